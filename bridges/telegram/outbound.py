"""An agent's reply → Bot API calls: ``sendMessage`` for text, ``sendPhoto`` / ``sendDocument``
multipart uploads for files (never links), the text riding as the caption when it fits.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import FormData

from bridges.base import Button, Fatal, Outbound, OutboundFile, Sent
from bridges.telegram.client import TelegramClient

CAPTION_CHARS = 1024  # Bot API: a caption is 0-1024 characters (a text 1-4096)
PHOTO_BYTES = 10 * 1024 * 1024  # sendPhoto takes at most 10 MB; a larger picture goes as a document
UPLOAD_BYTES = 50 * 1024 * 1024  # bots upload at most 50 MB
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})  # a GIF as a photo would lose its motion
CALLBACK_DATA_BYTES = 64  # Bot API: an inline button's callback_data is 1-64 bytes


async def send(client: TelegramClient, outbound: Outbound) -> Sent:
    """Send the reply; ``Sent`` carries the id of its first Telegram message.

    One call when there is a file and the text fits its caption; otherwise the text, then each
    file. Every size is checked before the first call, so a refused file sends nothing at all."""
    for file in outbound.files:
        if len(file.data) > UPLOAD_BYTES:
            raise Fatal(f"too large: {file.name}, {len(file.data)} bytes", code="too_large")
    reply = _reply_parameters(outbound.reply_to)
    markup = reply_markup(outbound.choices)
    as_caption = bool(outbound.files) and len(outbound.text) <= CAPTION_CHARS
    sent: list[Any] = []
    if not as_caption:
        body: dict[str, Any] = {"chat_id": outbound.thread, "text": outbound.text}
        if reply:
            body["reply_parameters"] = reply
        if markup:
            body["reply_markup"] = markup
        sent.append(await client.call("sendMessage", json=body))
    for i, file in enumerate(outbound.files):
        caption = outbound.text if as_caption and i == 0 else ""
        method, form = _upload(outbound.thread, file, caption, reply if not sent else None,
                               markup if as_caption and i == 0 else None)
        sent.append(await client.call(method, form=form))
    first = sent[0] if sent and isinstance(sent[0], dict) else {}
    return Sent(message_id=str(first.get("message_id", "")), raw=sent[0] if len(sent) == 1 else sent)


def reply_markup(choices: tuple[Button, ...]) -> dict[str, Any] | None:
    """Buttons under the message: an inline keyboard (a tap comes back as a callback query with the
    button's value), or, when the customer's phone is asked for (``request_contact`` exists only
    there) or a value is too long for callback_data, a one-time reply keyboard whose taps arrive as
    the label's text (the contact button as a shared contact)."""
    if not choices:
        return None
    inline = all(c.kind != "phone" and 0 < len(c.value.encode()) <= CALLBACK_DATA_BYTES for c in choices)
    if inline:
        return {"inline_keyboard": [[{"text": c.label, "callback_data": c.value}] for c in choices]}
    rows = [[{"text": c.label, **({"request_contact": True} if c.kind == "phone" else {})}] for c in choices]
    return {"keyboard": rows, "one_time_keyboard": True, "resize_keyboard": True}


def _reply_parameters(reply_to: str) -> dict[str, Any] | None:
    """Thread the reply under the customer's message; sent anyway if that message is gone."""
    if not reply_to.isdigit():  # an edit's id or nothing: Telegram message ids are integers
        return None
    return {"message_id": int(reply_to), "allow_sending_without_reply": True}


def _upload(chat: str, file: OutboundFile, caption: str, reply: dict[str, Any] | None,
            markup: dict[str, Any] | None = None) -> tuple[str, FormData]:
    as_photo = file.mime in PHOTO_TYPES and len(file.data) <= PHOTO_BYTES
    method, field = ("sendPhoto", "photo") if as_photo else ("sendDocument", "document")
    form = FormData()
    form.add_field("chat_id", chat)
    if caption:
        form.add_field("caption", caption)
    if reply:
        form.add_field("reply_parameters", json.dumps(reply))
    if markup:
        form.add_field("reply_markup", json.dumps(markup))
    form.add_field(field, file.data, filename=file.name or field, content_type=file.mime or "application/octet-stream")
    return method, form
