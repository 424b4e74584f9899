"""The Telegram bridge of one channel: the ``Bridge`` protocol plus ``WebhookAdmin`` (setWebhook).

Health follows what the platform last said: a refused token turns it ``auth_failed``, a 429/5xx or
a timeout ``transient_error``, any answer it accepted ``ok`` again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import parse_qs

from aiohttp import ClientSession

from bridges.base import Delivery, Fatal, HealthTracker, Media, NotReady, Outbound, Sent
from bridges.events import Event
from bridges.telegram import inbound
from bridges.telegram.client import TelegramClient, TooLarge
from bridges.telegram.config import TelegramConfig
from bridges.telegram.outbound import send as send_reply

DOWNLOAD_BYTES = 20 * 1024 * 1024  # Bot API: "bots can download files of up to 20MB in size"
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")  # what parse turns into events
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # setWebhook's rule for secret_token



class TelegramBridge(HealthTracker):
    """One configured Telegram bot, built by ``SPEC.factory`` with the shared Telegram session."""

    def __init__(self, config: TelegramConfig, http: ClientSession) -> None:
        self.config = config
        self.client = TelegramClient(http, config.base, config.token)
        self._parser = inbound.Parser(config.allow_groups)

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        inbound.verify_secret(headers, self.config.secret)

    def handshake(self, query: Mapping[str, str], body: bytes) -> str | None:
        return None  # setWebhook is an API call of ours, Telegram never asks

    def deliveries(self, body: bytes) -> list[Delivery]:
        return inbound.split(body)

    def parse(self, unit: Any) -> list[Event]:
        return self._parser.parse(unit)

    async def send(self, outbound: Outbound) -> Sent:
        return await self._tracked(send_reply(self.client, outbound))

    async def fetch(self, ref: str, max_bytes: int) -> Media:
        """getFile, then the download; refused without a call when the update said it is too large."""
        file_id, known = _split_ref(ref)
        name, limit = known.get("name", ""), min(max_bytes, DOWNLOAD_BYTES)
        size = int(known.get("size") or 0)
        if size > limit:
            raise Fatal(f"too large: {name or 'file'}, {size} bytes", code="too_large")
        try:
            info = await self._tracked(self.client.call("getFile", json={"file_id": file_id}))
        except Fatal as err:
            if "too big" in err.reason:  # "Bad Request: file is too big": over the Bot API's limit
                raise Fatal(f"too large: {name or 'file'}, more than {DOWNLOAD_BYTES} bytes",
                            code="too_large") from err
            raise
        if not isinstance(info, dict):
            raise NotReady("Telegram getFile: unexpected answer")
        size = int(info.get("file_size") or size)
        path = str(info.get("file_path") or "")
        name = name or PurePosixPath(path).name
        if size > limit:
            raise Fatal(f"too large: {name or 'file'}, {size} bytes", code="too_large")
        if not path:
            raise Fatal("Telegram gave no file path for this file", code="no_file_path")
        try:
            data = await self._tracked(self.client.download(path, limit))
        except TooLarge as err:
            raise Fatal(f"too large: {name or 'file'}, {err.reason}", code="too_large") from err
        return Media(data=data, mime=known.get("mime", "") or "application/octet-stream", name=name)

    async def register_webhook(self, url: str, secret: str) -> dict[str, Any]:
        """setWebhook with the secret Telegram repeats in a header and the update kinds we parse."""
        if not SECRET_TOKEN.fullmatch(secret):
            raise Fatal("the webhook secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -",
                        code="bad_secret")
        result = await self._tracked(self.client.call("setWebhook", json={
            "url": url, "secret_token": secret, "allowed_updates": list(ALLOWED_UPDATES),
        }))
        return {"ok": True, "result": result}

    async def webhook_info(self) -> dict[str, Any]:
        """getWebhookInfo: url, pending_update_count, last_error_date, last_error_message …"""
        result = await self._tracked(self.client.call("getWebhookInfo"))
        return dict(result) if isinstance(result, dict) else {}

    async def edit(self, thread: str, message_id: str, text: str) -> None:
        """editMessageText: the agent changed a reply after it was sent (Slack edits, gateway/slack)."""
        await self._tracked(self.client.call("editMessageText", json={
            "chat_id": thread, "message_id": int(message_id), "text": text}))

    async def delete(self, thread: str, message_id: str) -> None:
        """deleteMessage: the agent withdrew a reply (Telegram allows it for 48 hours)."""
        await self._tracked(self.client.call("deleteMessage", json={"chat_id": thread, "message_id": int(message_id)}))

    async def answer_callback(self, callback_id: str, text: str = "") -> None:
        """Stop the spinner on the customer's button (Telegram shows it until this call, ~15 s at most)."""
        body = {"callback_query_id": callback_id, **({"text": text} if text else {})}
        await self._tracked(self.client.call("answerCallbackQuery", json=body))


def _split_ref(ref: str) -> tuple[str, dict[str, str]]:
    """``file_id?size=…&name=…&mime=…`` (see ``inbound.file_ref``) → the id and what the update said."""
    file_id, _, query = ref.partition("?")
    return file_id, {k: v[0] for k, v in parse_qs(query).items()}
