"""Telegram webhooks in: the secret-token check, the one Update of a request, and Update → events.

Telegram sends one ``Update`` per request (``update_id`` plus one field naming its kind) and signs
nothing: it repeats the secret given to ``setWebhook`` in a header, which is compared in constant time.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from bridges.base import AuthFailed, Delivery, Malformed
from bridges.events import Attachment, Choice, Contact, Customer, Edit, Event, Location, Message, Unsupported

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
GROUP_CHATS = frozenset({"group", "supergroup"})

# Fields of a Message that describe it rather than being its content; the first other field names
# the content type of a message this bridge cannot show (a poll, a dice, a game …).
_ENVELOPE = frozenset({
    "message_id", "message_thread_id", "from", "sender_chat", "sender_boost_count", "sender_business_bot",
    "date", "business_connection_id", "chat", "forward_origin", "forward_from", "forward_from_chat",
    "forward_from_message_id", "forward_signature", "forward_sender_name", "forward_date",
    "is_topic_message", "is_automatic_forward", "reply_to_message", "external_reply", "quote",
    "reply_to_story", "via_bot", "edit_date", "has_protected_content", "is_from_offline", "media_group_id",
    "author_signature", "entities", "caption_entities", "caption", "link_preview_options", "reply_markup",
    "show_caption_above_media", "has_media_spoiler", "effect_id", "paid_star_count", "is_paid_post",
})


def verify_secret(headers: Mapping[str, str], secret: str) -> None:
    """Raise AuthFailed unless the request carries the channel's secret token (constant time)."""
    given = headers.get(SECRET_HEADER)
    if given is None:  # a plain dict (tests, tools) is not case-insensitive like aiohttp's headers
        given = next((v for k, v in headers.items() if k.lower() == SECRET_HEADER.lower()), "")
    # bytes, because compare_digest refuses non-ASCII str; an empty secret never matches (fail closed)
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        raise AuthFailed("secret token mismatch")


def split(body: bytes) -> list[Delivery]:
    """The one Update of a webhook body, keyed by ``update_id`` (``message_id`` is unique per chat only)."""
    try:
        update = json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise Malformed("not JSON") from err
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        raise Malformed("not a Telegram Update (no update_id)")
    return [(str(update["update_id"]), update)]


class Parser:
    """Update → canonical events, for one channel (whether group chats are served)."""

    def __init__(self, allow_groups: bool) -> None:
        self.allow_groups = allow_groups
        self._updates: dict[str, Callable[[dict[str, Any]], list[Event]]] = {
            "message": self._message,
            "edited_message": self._edited,
            "callback_query": self._callback,
        }

    def parse(self, update: dict[str, Any]) -> list[Event]:
        kind = next((k for k in update if k != "update_id"), "")
        handler = self._updates.get(kind)
        if handler is None:
            # only the kinds setWebhook asks for are expected: anything else is logged by the gateway
            return [Unsupported(kind=kind or "empty update", raw=update)]
        try:
            return handler(update[kind])
        except (KeyError, TypeError, ValueError, AttributeError):
            # verified, but not shaped as the Bot API documents: acknowledged, never retried for days
            return [Unsupported(kind=f"malformed {kind}", raw=update)]

    def _served(self, message: dict[str, Any]) -> bool:
        """Private chats always; groups when the channel allows them; never channels or bots."""
        if message.get("from", {}).get("is_bot") or "from" not in message:
            return False  # other bots in a group, anonymous admins and channel posts are not customers
        return self._chat_served(message.get("chat", {}).get("type"))

    def _chat_served(self, chat_type: str | None) -> bool:
        return chat_type == "private" or (self.allow_groups and chat_type in GROUP_CHATS)

    def _message(self, message: dict[str, Any]) -> list[Event]:
        if not self._served(message):
            return []
        head = _head(message)
        for field, content in _CONTENT:
            if field in message:
                return [content(message, head)]
        kind = next((k for k in message if k not in _ENVELOPE), "unknown")
        return [Unsupported(kind=kind, **head)]

    def _edited(self, message: dict[str, Any]) -> list[Event]:
        if not self._served(message):
            return []
        head = _head(message)
        # an edit keeps the message's id: its own id adds the edit time, so two edits are two events
        edited_at = message.get("edit_date", message.get("date", 0))
        head.update(message_id=f"{head['message_id']}:edit:{edited_at}", ts=float(edited_at))
        return [Edit(target=str(message["message_id"]), text=message.get("text", message.get("caption", "")), **head)]

    def _callback(self, query: dict[str, Any]) -> list[Event]:
        message = query.get("message") or {}
        if message and not self._chat_served(message.get("chat", {}).get("type")):
            return []
        customer = _customer(query["from"])
        # a button under an inline message has no chat: a private chat's id is the user's id
        thread = str(message.get("chat", {}).get("id", query["from"]["id"]))
        value = query.get("data", query.get("game_short_name", ""))
        return [Choice(customer=customer, thread=thread, message_id=str(query["id"]), value=value,
                       label=_button_label(message, value), raw=query)]


def _customer(user: dict[str, Any]) -> Customer:
    name = " ".join(p for p in (user.get("first_name", ""), user.get("last_name", "")) if p)
    return Customer(id=str(user["id"]), name=name, username=user.get("username", ""),
                    language=user.get("language_code", ""), raw=user)


def _head(message: dict[str, Any]) -> dict[str, Any]:
    """The fields every event of a message shares."""
    return {"customer": _customer(message["from"]), "thread": str(message["chat"]["id"]),
            "message_id": str(message["message_id"]), "ts": float(message.get("date", 0)), "raw": message}


def _button_label(message: dict[str, Any], value: str) -> str:
    """The text of the inline button whose callback_data was chosen (what the customer read)."""
    for row in message.get("reply_markup", {}).get("inline_keyboard", []):
        for button in row:
            if button.get("callback_data") == value:
                return str(button.get("text", value))
    return value


def file_ref(file_id: str, size: int = 0, name: str = "", mime: str = "") -> str:
    """What ``fetch`` needs: the file id, and what the update said of the file, so that a file over
    the Bot API's download limit is refused with its name and size without asking Telegram."""
    extra = {k: v for k, v in (("size", size), ("name", name), ("mime", mime)) if v}
    return f"{file_id}?{urlencode(extra)}" if extra else file_id


def _file(kind: str, field: str, default_mime: str = "") -> Callable[[dict[str, Any], dict[str, Any]], Event]:
    def content(message: dict[str, Any], head: dict[str, Any]) -> Event:
        item = message[field]
        if field == "photo":  # several sizes of one picture: the most pixels (the list order is not a promise)
            item = max(item, key=lambda p: (p.get("width", 0) * p.get("height", 0), p.get("file_size", 0)))
        mime = item.get("mime_type", default_mime)
        if field == "sticker":
            mime = "video/webm" if item.get("is_video") else ("application/x-tgsticker" if item.get("is_animated")
                                                              else "image/webp")
        name, size = item.get("file_name", ""), int(item.get("file_size") or 0)
        return Attachment(kind=kind, ref=file_ref(item["file_id"], size, name, mime), mime=mime, name=name,
                          size=size, caption=message.get("caption", ""), **head)
    return content


def _text(message: dict[str, Any], head: dict[str, Any]) -> Event:
    reply_to = str(message.get("reply_to_message", {}).get("message_id", ""))
    return Message(text=message["text"], reply_to=reply_to, **head)


def _venue(message: dict[str, Any], head: dict[str, Any]) -> Event:
    venue = message["venue"]
    return Location(latitude=venue["location"]["latitude"], longitude=venue["location"]["longitude"],
                    name=venue.get("title", ""), address=venue.get("address", ""), **head)


def _location(message: dict[str, Any], head: dict[str, Any]) -> Event:
    return Location(latitude=message["location"]["latitude"], longitude=message["location"]["longitude"], **head)


def _contact(message: dict[str, Any], head: dict[str, Any]) -> Event:
    card = message["contact"]
    name = " ".join(p for p in (card.get("first_name", ""), card.get("last_name", "")) if p)
    return Contact(name=name, phone=card.get("phone_number", ""), user_id=str(card.get("user_id", "")), **head)


# Content field → event. Order matters: a venue also has a location, an animation also a document.
_CONTENT: tuple[tuple[str, Callable[[dict[str, Any], dict[str, Any]], Event]], ...] = (
    ("text", _text),
    ("photo", _file("image", "photo", "image/jpeg")),  # Telegram re-encodes every photo as JPEG
    ("animation", _file("video", "animation", "video/mp4")),
    ("document", _file("file", "document")),
    ("voice", _file("audio", "voice", "audio/ogg")),
    ("audio", _file("audio", "audio")),
    ("video", _file("video", "video", "video/mp4")),
    ("video_note", _file("video", "video_note", "video/mp4")),
    ("sticker", _file("sticker", "sticker")),
    ("venue", _venue),
    ("location", _location),
    ("contact", _contact),
)
