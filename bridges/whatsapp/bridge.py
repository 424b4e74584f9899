"""The WhatsApp channel the gateway talks to: webhooks in through ``inbound``, replies and media
through ``client``, and the bridge's own view of its health."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import ClientSession

from bridges.base import (
    AuthFailed,
    Button,
    Fatal,
    Health,
    Media,
    NotReady,
    Outbound,
    OutboundFile,
    Sent,
    numbered,
)
from bridges.events import Event
from bridges.whatsapp import inbound
from bridges.whatsapp.client import CloudClient
from bridges.whatsapp.config import WhatsAppConfig

# What Meta takes per media type (mime → type), and the most it takes of each. A file of another
# type, or too big for its type, goes as a document (up to 100 MB); past that it cannot go at all.
SEND_AS = {
    "image/jpeg": "image", "image/png": "image",
    "video/mp4": "video", "video/3gpp": "video",
    "audio/aac": "audio", "audio/amr": "audio", "audio/mpeg": "audio", "audio/mp4": "audio", "audio/ogg": "audio",
}
MAX_BYTES = {"image": 5 * 1024 * 1024, "video": 16 * 1024 * 1024, "audio": 16 * 1024 * 1024,
             "document": 100 * 1024 * 1024}
CAPTIONED = {"image", "video", "document"}  # audio takes no caption
MEDIA_MAX_BYTES = MAX_BYTES["document"]  # nothing a customer sends is larger
# Reply buttons (type "interactive", "button"): 1-3 buttons, unique titles of at most 20 characters,
# ids of at most 256, a body of at most 1024 characters. Outside these, the choices go as numbered text.
MAX_BUTTONS, TITLE_CHARS, BUTTON_ID_CHARS, BUTTON_BODY_CHARS = 3, 20, 256, 1024


def text_body(text: str, choices: tuple[Button, ...]) -> dict[str, Any]:
    """The message for a text with its choices: reply buttons when they fit Meta's limits, else the
    choices as a numbered list in plain text (a phone button is a reply button here: the number is known)."""
    titles = [c.label for c in choices]
    fits = (0 < len(choices) <= MAX_BUTTONS and 0 < len(text) <= BUTTON_BODY_CHARS
            and all(0 < len(t) <= TITLE_CHARS for t in titles) and len(set(titles)) == len(titles)
            and all(0 < len(c.value) <= BUTTON_ID_CHARS and c.value == c.value.strip() for c in choices))
    if not fits:
        return {"type": "text", "text": {"body": numbered(text, choices), "preview_url": False}}
    buttons = [{"type": "reply", "reply": {"id": c.value, "title": c.label}} for c in choices]
    return {"type": "interactive", "interactive": {"type": "button", "body": {"text": text},
                                                   "action": {"buttons": buttons}}}


def media_type(file: OutboundFile) -> str:
    """The Cloud API message type a file is sent as; Fatal when it is too large for any."""
    kind = SEND_AS.get(file.mime.split(";")[0].strip().lower(), "document")
    if len(file.data) > MAX_BYTES[kind]:
        kind = "document"
    if len(file.data) > MAX_BYTES[kind]:
        raise Fatal(f"too large: {file.name}, {len(file.data)} bytes", code="too_large")
    return kind


class WhatsAppBridge:
    """One WhatsApp business number, as configured for one channel."""

    def __init__(self, config: WhatsAppConfig, http: ClientSession) -> None:
        self.config = config
        self.client = CloudClient(config, http)
        self._health = Health.CONNECTING

    # --- webhooks in ------------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        inbound.verify_signature(self.config.app_secret, headers, body)

    def handshake(self, query: Mapping[str, str], body: bytes) -> str | None:
        return inbound.handshake_answer(self.config.verify_token, query)

    def deliveries(self, body: bytes) -> list[tuple[str, Any]]:
        return list(inbound.split(body, self.config.phone_number_id))

    def parse(self, unit: Any) -> list[Event]:
        return inbound.parse(unit)

    # --- replies out ---------------------------------------------------------------------------------

    async def send(self, outbound: Outbound) -> Sent:
        """Text, a template, or files (uploaded first, then sent by media id; the text rides as the
        first file's caption when it can). ``Sent`` carries the wamid of the message with the text."""
        try:
            sent = await self._send(outbound)
        except AuthFailed:
            self._health = Health.AUTH_FAILED
            raise
        except NotReady:
            self._health = Health.TRANSIENT_ERROR
            raise
        self._health = Health.OK
        return sent

    async def _send(self, outbound: Outbound) -> Sent:
        to = _recipient(outbound)
        context = {"context": {"message_id": outbound.reply_to}} if outbound.reply_to else {}
        if outbound.template is not None:
            template = {"name": outbound.template.name, "language": {"code": outbound.template.language}}
            answer = await self.client.send_message({**to, **context, "type": "template", "template": template})
            return Sent(message_id=_wamid(answer), raw=answer)
        kinds = [media_type(f) for f in outbound.files]  # refuse a too-large file before any upload
        media_ids = [await self.client.upload(f) for f in outbound.files]  # uploads are invisible to the customer
        bodies: list[dict[str, Any]] = []
        caption = outbound.text
        if outbound.choices:  # the buttons need a message of their own (a caption cannot carry them)
            bodies.append(text_body(caption, outbound.choices))
            caption = ""
        elif caption and not (kinds and kinds[0] in CAPTIONED):
            bodies.append({"type": "text", "text": {"body": caption, "preview_url": False}})
            caption = ""
        for file, kind, media_id in zip(outbound.files, kinds, media_ids, strict=True):
            media: dict[str, Any] = {"id": media_id}
            if caption:
                media["caption"], caption = caption, ""
            if kind == "document":
                media["filename"] = file.name
            bodies.append({"type": kind, kind: media})
        if not bodies:
            raise Fatal("nothing to send: no text and no file", code="empty")
        answers = []
        for i, body in enumerate(bodies):
            answers.append(await self.client.send_message({**to, **(context if i == 0 else {}), **body}))
        return Sent(message_id=_wamid(answers[0]), raw=answers if len(answers) > 1 else answers[0])

    async def fetch(self, ref: str, max_bytes: int) -> Media:
        """A customer's file by its media id: resolve the short-lived URL, then download it with the token."""
        limit = min(max_bytes, MEDIA_MAX_BYTES)
        try:
            info = await self.client.media_info(ref)
        except Fatal as err:  # e.g. media deleted or expired at Meta (kept 30 days)
            raise Fatal(f"media {ref} is gone: {err.reason}", code=err.code) from err
        name = str(info.get("filename") or ref)
        mime = str(info.get("mime_type", ""))
        try:
            size = int(info.get("file_size", 0) or 0)
        except (TypeError, ValueError):
            size = 0
        if size > limit:
            raise Fatal(f"too large: {name}, {size} bytes", code="too_large")
        url = info.get("url")
        if not url:
            raise NotReady(f"media {ref}: Meta gave no download URL")
        data, content_type = await self.client.download(str(url), limit, name)
        return Media(data=data, mime=mime or content_type.split(";")[0], name=name if name != ref else "")

    @property
    def health(self) -> Health:
        return self._health


def _recipient(outbound: Outbound) -> dict[str, str]:
    """``to`` takes a phone number, ``recipient`` a BSUID (``CC.…``). Older threads are the wa_id."""
    if outbound.phone:
        return {"to": outbound.phone, "recipient_type": "individual"}
    if outbound.thread.isdigit():
        return {"to": outbound.thread, "recipient_type": "individual"}
    return {"recipient": outbound.thread, "recipient_type": "individual"}


def _wamid(answer: dict[str, Any]) -> str:
    """The wamid Meta gave; "" when a 2xx carried none (it was taken: a retry would send it twice)."""
    try:
        return str(answer["messages"][0]["id"])
    except (KeyError, IndexError, TypeError):
        return ""
