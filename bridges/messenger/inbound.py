"""Messenger webhooks in: the signature and handshake checks, the split of a batch into deliveries
(with the ids a redelivery repeats), and a dispatch table from messaging item to canonical events.

A body is ``{"object": "page", "entry": [{"messaging": [item, …]}, …]}``; each item names its kind by
its one key besides ``sender`` / ``recipient`` / ``timestamp`` (``message``, ``postback``, ``read`` …).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import posixpath
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from bridges.base import AuthFailed, Delivery, Malformed
from bridges.events import (
    Attachment,
    Choice,
    Customer,
    DeliveryStatus,
    Edit,
    Event,
    Location,
    Message,
    Reaction,
    Unsupported,
)

SIGNATURE_HEADER = "X-Hub-Signature-256"
_ENVELOPE = ("sender", "recipient", "timestamp")
_MEDIA = {"image", "audio", "video", "file"}
# Meta's own events about the thread, not a customer's doing: logged and acknowledged, never shown.
_PLATFORM_KINDS = {"pass_thread_control", "take_thread_control", "request_thread_control", "app_roles",
                   "policy_enforcement", "policy-enforcement"}


def signature(app_secret: str, body: bytes) -> str:
    """The header value Meta sends for ``body``: ``sha256=`` and the lowercase hex HMAC."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def check_signature(headers: Mapping[str, str], body: bytes, app_secret: str) -> None:
    """Raise AuthFailed unless ``X-Hub-Signature-256`` signs these exact bytes (constant time)."""
    given = _header(headers, SIGNATURE_HEADER)
    # bytes, so that a non-ASCII header is a mismatch rather than compare_digest's TypeError
    if not app_secret or not hmac.compare_digest(given.encode(), signature(app_secret, body).encode()):
        raise AuthFailed("X-Hub-Signature-256 does not match")


def challenge(query: Mapping[str, str], verify_token: str) -> str | None:
    """``hub.challenge`` when the subscription check carries our verify token; None when the request
    is no handshake; AuthFailed when it is one with a wrong token (or we have none to compare)."""
    if "hub.challenge" not in query and "hub.mode" not in query:
        return None
    given = query.get("hub.verify_token", "")
    if (query.get("hub.mode") != "subscribe" or not verify_token
            or not hmac.compare_digest(given.encode(), verify_token.encode())):
        raise AuthFailed("wrong hub.verify_token")
    return query.get("hub.challenge", "")


def split(body: bytes) -> list[Delivery]:
    """Every messaging item of every entry, in order, with its dedupe id. Malformed when the body
    is no page webhook. (``standby`` items belong to the app that holds the thread: not ours.)"""
    try:
        payload = json.loads(body)
    except ValueError as err:
        raise Malformed("body is not JSON") from err
    if not isinstance(payload, dict) or payload.get("object") != "page":
        raise Malformed("not a Messenger page webhook")
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise Malformed("no entry list")
    deliveries: list[Delivery] = []
    for entry in entries:
        items = entry.get("messaging", []) if isinstance(entry, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise Malformed("an entry without a messaging list")
        deliveries.extend((delivery_id(item), item) for item in items)
    return deliveries


def kind_of(item: dict[str, Any]) -> str:
    """The item's kind: its first key that is not part of the envelope."""
    return next((k for k in item if k not in _ENVELOPE), "empty")


def delivery_id(item: dict[str, Any]) -> str:
    """What a redelivery of ``item`` repeats: the mid for messages; for statuses the watermark per
    customer and kind (one watermark covers many mids); else a digest of what identifies the action."""
    kind, psid, body = kind_of(item), _psid(item), item.get(kind_of(item))
    part = body if isinstance(body, dict) else {}
    if kind == "message" and part.get("mid"):
        return f"message:{part['mid']}"
    if kind == "postback":
        return f"postback:{part['mid']}" if part.get("mid") else _digest("postback", psid, item.get("timestamp"),
                                                                         part.get("payload"))
    if kind in ("delivery", "read"):
        mark = part.get("watermark")
        return f"{kind}:{psid}:{mark}" if mark else _digest(kind, psid, sorted(part.get("mids") or []))
    if kind == "message_edit" and part.get("mid"):
        return f"edit:{part['mid']}:{part.get('num_edit', '')}"
    return _digest(kind, psid, item.get("timestamp"), body)


def parse(item: Any) -> list[Event]:
    """The canonical events of one messaging item (the dispatch table below, by kind)."""
    if not isinstance(item, dict):
        return [Unsupported(kind="unreadable", raw=item)]
    kind = kind_of(item)
    if kind in _PLATFORM_KINDS or not _psid(item):
        return [Unsupported(kind=kind, ts=_ts(item.get("timestamp")), raw=item)]
    if not isinstance(item.get(kind), dict):
        return [_unsupported(item, kind)]
    handler = _PARSERS.get(kind)
    return handler(item, item[kind]) if handler else [_unsupported(item, kind)]


def _message(item: dict[str, Any], msg: dict[str, Any]) -> list[Event]:
    if msg.get("is_echo"):
        return []  # our own send coming back
    common = _common(item, msg.get("mid") or delivery_id(item))
    text = msg.get("text") or ""
    quick = msg.get("quick_reply")
    if isinstance(quick, dict):
        return [Choice(**common, value=str(quick.get("payload", "")), label=text)]
    files: list[Attachment] = []
    extra: list[Event] = []
    attachments = msg.get("attachments")
    for index, attachment in enumerate(attachments if isinstance(attachments, list) else []):
        found = _attachment(item, common["message_id"], index, attachment)
        if isinstance(found, Attachment):
            files.append(found)
        else:
            extra.append(found)
    reply = msg.get("reply_to")
    reply_to = str(reply.get("mid", "")) if isinstance(reply, dict) else ""
    head: list[Event] = [Message(**common, text=text, reply_to=reply_to, attachments=tuple(files))] \
        if text or files else []
    return head + extra or [_unsupported(item, "message")]


def _attachment(item: dict[str, Any], mid: str, index: int, attachment: Any) -> Event:
    common = _common(item, f"{mid}:{index}")
    kind = str(attachment.get("type", "")) if isinstance(attachment, dict) else ""
    payload = attachment.get("payload") if isinstance(attachment, dict) else None
    payload = payload if isinstance(payload, dict) else {}
    url = payload.get("url")
    if kind in _MEDIA and isinstance(url, str) and url:
        return Attachment(**common, kind="sticker" if payload.get("sticker_id") else kind, ref=url,
                          name=str(payload.get("title") or _file_name(url)))
    coordinates = payload.get("coordinates")
    if kind == "location" and isinstance(coordinates, dict):  # older Messenger clients share places so
        return Location(**common, latitude=_number(coordinates.get("lat")),
                        longitude=_number(coordinates.get("long")), name=str(attachment.get("title", "")))
    return _unsupported(item, kind or "attachment", common["message_id"])


def _postback(item: dict[str, Any], postback: dict[str, Any]) -> list[Event]:
    common = _common(item, postback.get("mid") or delivery_id(item))
    return [Choice(**common, value=str(postback.get("payload", "")), label=str(postback.get("title", "")))]


def _delivery(item: dict[str, Any], delivery: dict[str, Any]) -> list[Event]:
    # "everything up to the watermark arrived"; mids, when Meta lists them, name the messages
    ts, thread = _ts(delivery.get("watermark")), _psid(item)
    mids = [str(m) for m in delivery.get("mids") or []] or [""]
    return [DeliveryStatus(thread=thread, message_id=m, status="delivered", ts=ts, raw=item) for m in mids]


def _read(item: dict[str, Any], read: dict[str, Any]) -> list[Event]:
    # no mids: the gateway applies the watermark to our messages sent before it
    return [DeliveryStatus(thread=_psid(item), message_id="", status="read", ts=_ts(read.get("watermark")), raw=item)]


def _reaction(item: dict[str, Any], reaction: dict[str, Any]) -> list[Event]:
    emoji = "" if reaction.get("action") == "unreact" else str(reaction.get("emoji") or reaction.get("reaction", ""))
    return [Reaction(**_common(item, delivery_id(item)), target=str(reaction.get("mid", "")), emoji=emoji)]


def _edit(item: dict[str, Any], edit: dict[str, Any]) -> list[Event]:
    mid = str(edit.get("mid", ""))
    common = _common(item, f"{mid}:edit:{edit.get('num_edit', '')}")
    return [Edit(**common, target=mid, text=str(edit.get("text", "")))]


_PARSERS: dict[str, Callable[[dict[str, Any], dict[str, Any]], list[Event]]] = {
    "message": _message,
    "postback": _postback,
    "delivery": _delivery,
    "read": _read,
    "reaction": _reaction,
    "message_edit": _edit,
}


def _common(item: dict[str, Any], message_id: str) -> dict[str, Any]:
    """The fields every customer event shares: the PSID is both who wrote and where replies go."""
    psid = _psid(item)
    return {"customer": Customer(id=psid, raw=item.get("sender")), "thread": psid, "message_id": str(message_id),
            "ts": _ts(item.get("timestamp")), "raw": item}


def _unsupported(item: dict[str, Any], kind: str, message_id: str = "") -> Unsupported:
    common = _common(item, message_id or delivery_id(item))
    return Unsupported(kind=kind, **common)


def _psid(item: dict[str, Any]) -> str:
    sender = item.get("sender")
    return str(sender.get("id", "")) if isinstance(sender, dict) else ""


def _ts(ms: Any) -> float:
    """Meta's epoch milliseconds as epoch seconds (0 = not told)."""
    return _number(ms) / 1000.0


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _file_name(url: str) -> str:
    return unquote(posixpath.basename(urlsplit(url).path))


def _digest(*parts: Any) -> str:
    """A stable id for an item Meta gives no id of its own (same item, same id)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return f"{parts[0]}:{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def _header(headers: Mapping[str, str], name: str) -> str:
    """A header by name, case-insensitively even when ``headers`` is a plain dict."""
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), "")
    return value
