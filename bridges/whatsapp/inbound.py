"""WhatsApp Cloud API webhooks in: the signature, the hub.challenge handshake, the split of a batch
into units (every entry, change, message and status) and the dispatch of each unit by type.

Everything here is a pure function of the body, so the route (which verifies and stores) and the
ingest worker (which splits again from the stored body) agree on the units and their dedupe ids.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bridges.base import AuthFailed, Malformed
from bridges.events import (
    Attachment,
    Choice,
    Contact,
    Customer,
    DeliveryStatus,
    Event,
    Location,
    Message,
    Reaction,
    Unsupported,
)
from bridges.whatsapp.errors import status_reason

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
MEDIA_KINDS = {"image": "image", "document": "file", "audio": "audio", "video": "video", "sticker": "sticker"}
STATUSES = {"sent", "delivered", "read", "failed"}


def verify_signature(app_secret: str, headers: Mapping[str, str], body: bytes) -> None:
    """Raise AuthFailed unless ``sha256=<hex HMAC-SHA256(body, app_secret)>`` signs the raw bytes."""
    given = _header(headers, SIGNATURE_HEADER)
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    # bytes on both sides: compare_digest refuses non-ASCII str, and a header is anyone's to send
    if not app_secret or not hmac.compare_digest(given.strip().lower().encode("utf-8", "replace"), expected.encode()):
        raise AuthFailed("bad or missing X-Hub-Signature-256")


def handshake_answer(verify_token: str, query: Mapping[str, str]) -> str | None:
    """Meta's GET ``hub.mode=subscribe`` check: the challenge to echo, None when not a handshake."""
    if "hub.mode" not in query and "hub.challenge" not in query:
        return None
    given = query.get("hub.verify_token", "")
    if (query.get("hub.mode") != "subscribe" or not verify_token or "hub.challenge" not in query
            or not hmac.compare_digest(given.encode("utf-8", "replace"), verify_token.encode())):
        raise AuthFailed("hub.verify_token does not match")
    return query["hub.challenge"]


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:  # a plain dict (tests, other servers) is not case-insensitive like aiohttp's
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), "")
    return value


@dataclass(frozen=True, slots=True)
class Unit:
    """One message or one status of a batch, with the contacts of its change (who it is about)."""

    kind: str  # "message" | "status"
    item: dict[str, Any]
    contacts: tuple[dict[str, Any], ...] = ()


def split(body: bytes, phone_number_id: str = "") -> list[tuple[str, Unit]]:
    """Every message and status of every change of every entry, in order, with its dedupe id:
    a message by its wamid, a status by (wamid, status) since one wamid goes sent → delivered → read."""
    try:
        payload = json.loads(body)
        units: list[tuple[str, Unit]] = []
        for entry in payload["entry"]:
            for change in entry.get("changes") or ():
                units.extend(_change_units(change, phone_number_id))
        return units
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise Malformed("not a WhatsApp webhook batch") from err


def _change_units(change: dict[str, Any], phone_number_id: str) -> list[tuple[str, Unit]]:
    value = change.get("value") or {}
    if change.get("field") != "messages":  # template reviews, account updates …: nothing a customer said
        return []
    number = str((value.get("metadata") or {}).get("phone_number_id", ""))
    if phone_number_id and number and number != phone_number_id:
        # one Meta app may serve several numbers: answering from this channel's number would be wrong
        log.warning("whatsapp webhook for another business number ignored",
                    extra={"phone_number_id": number, "expected": phone_number_id})
        return []
    # only objects: a contact of another shape names nobody (and must not break the batch's parse later)
    contacts = tuple(c for c in value.get("contacts") or () if isinstance(c, dict))
    units = [(str(m["id"]), Unit("message", m, contacts)) for m in value.get("messages") or ()
             if not m.get("group_id")]  # group chats are not conversations with one customer
    units += [(f"{s['id']}:{s['status']}", Unit("status", s, contacts)) for s in value.get("statuses") or ()]
    return units


def parse(unit: Unit) -> list[Event]:
    """The canonical events of one unit; a type we do not read yields ``Unsupported``."""
    if unit.kind == "status":
        return [_status(unit)]
    who = _customer(unit.item, unit.contacts)
    kind = str(unit.item.get("type", ""))
    reader = _MESSAGES.get(kind)
    if reader is None:
        return [_unsupported(unit.item, who, kind)]
    try:
        return reader(unit.item, who)
    except (KeyError, TypeError, ValueError, AttributeError):
        # a known type in a shape we cannot read: shown to the agent, never retried forever
        log.warning("whatsapp message unreadable", extra={"type": kind, "message_id": unit.item.get("id")})
        return [_unsupported(unit.item, who, f"{kind} (unreadable)")]


# --- who wrote --------------------------------------------------------------------------------


def _customer(message: dict[str, Any], contacts: tuple[dict[str, Any], ...]) -> Customer:
    """The BSUID (``user_id``) is the id when present; the phone (``wa_id``) is only an attribute,
    and the id itself for older payloads that carry no BSUID."""
    sender, sender_bsuid = str(message.get("from", "")), str(message.get("from_user_id", ""))
    contact = next((c for c in contacts if (sender and c.get("wa_id") == sender)
                    or (sender_bsuid and c.get("user_id") == sender_bsuid)), None)
    if contact is None and len(contacts) == 1:
        contact = contacts[0]
    contact = contact or {}
    phone = str(contact.get("wa_id") or sender)
    bsuid = str(contact.get("user_id") or sender_bsuid)
    profile = contact.get("profile")
    profile = profile if isinstance(profile, dict) else {}
    return Customer(id=bsuid or phone, name=str(profile.get("name", "")), username=str(profile.get("username", "")),
                    phone=phone, raw=contact or None)


def _common(m: dict[str, Any], who: Customer) -> dict[str, Any]:
    return {"customer": who, "thread": who.id, "message_id": str(m["id"]), "ts": _ts(m), "raw": m}


def _ts(item: dict[str, Any]) -> float:
    try:
        return float(item.get("timestamp", 0))
    except (TypeError, ValueError):
        return 0.0


def _reply_to(m: dict[str, Any]) -> str:
    return str((m.get("context") or {}).get("id", ""))


# --- one reader per message type ----------------------------------------------------------------


def _text(m: dict[str, Any], who: Customer) -> list[Event]:
    return [Message(**_common(m, who), text=str(m["text"].get("body", "")), reply_to=_reply_to(m))]


def _media(m: dict[str, Any], who: Customer) -> list[Event]:
    media = m[m["type"]]
    return [Attachment(**_common(m, who), kind=MEDIA_KINDS[m["type"]], ref=str(media["id"]),
                       mime=str(media.get("mime_type", "")), name=str(media.get("filename", "")),
                       size=int(media.get("file_size", 0) or 0), caption=str(media.get("caption", "")))]


def _location(m: dict[str, Any], who: Customer) -> list[Event]:
    place = m["location"]
    return [Location(**_common(m, who), latitude=float(place["latitude"]), longitude=float(place["longitude"]),
                     name=str(place.get("name", "")), address=str(place.get("address", "")))]


def _contacts(m: dict[str, Any], who: Customer) -> list[Event]:
    cards: list[Event] = []
    for i, card in enumerate(m.get("contacts") or ()):
        phones = card.get("phones") or [{}]
        common = _common(m, who)
        if i:  # the gateway stores one message per platform id: later cards get their own
            common["message_id"] = f"{common['message_id']}#{i}"
        cards.append(Contact(**common, name=str((card.get("name") or {}).get("formatted_name", "")),
                             phone=str(phones[0].get("phone", "")), user_id=str(phones[0].get("wa_id", ""))))
    return cards or [_unsupported(m, who, "contacts")]


def _interactive(m: dict[str, Any], who: Customer) -> list[Event]:
    reply_kind = str(m["interactive"].get("type", ""))
    if reply_kind not in ("button_reply", "list_reply"):  # e.g. nfm_reply (a WhatsApp Flow's answers)
        return [_unsupported(m, who, f"interactive.{reply_kind}")]
    picked = m["interactive"][reply_kind]
    return [Choice(**_common(m, who), value=str(picked.get("id", "")), label=str(picked.get("title", "")))]


def _button(m: dict[str, Any], who: Customer) -> list[Event]:
    """A template's quick-reply button."""
    button = m["button"]
    return [Choice(**_common(m, who), value=str(button.get("payload", "")), label=str(button.get("text", "")))]


def _reaction(m: dict[str, Any], who: Customer) -> list[Event]:
    reaction = m["reaction"]
    return [Reaction(**_common(m, who), target=str(reaction.get("message_id", "")),
                     emoji=str(reaction.get("emoji") or ""))]  # "" (or no emoji): taken back


def _unsupported(m: dict[str, Any], who: Customer, kind: str) -> Unsupported:
    return Unsupported(kind=kind or "unknown", customer=who, thread=who.id, message_id=str(m["id"]), ts=_ts(m), raw=m)


_MESSAGES: dict[str, Callable[[dict[str, Any], Customer], list[Event]]] = {
    "text": _text,
    **{kind: _media for kind in MEDIA_KINDS},
    "location": _location,
    "contacts": _contacts,
    "interactive": _interactive,
    "button": _button,
    "reaction": _reaction,
}


# --- what became of our sends ----------------------------------------------------------------------


def _status(unit: Unit) -> Event:
    s = unit.item
    recipient = str(s.get("recipient_id", ""))
    contact = next((c for c in unit.contacts if c.get("wa_id") == recipient), None)
    # the conversation's thread is the BSUID whenever Meta gave one
    thread = str(s.get("recipient_user_id") or (contact or {}).get("user_id") or recipient)
    status = str(s["status"])
    if status not in STATUSES:  # e.g. "deleted", "warning": nothing to show on an agent's message
        return Unsupported(kind=f"status.{status}", thread=thread, message_id=str(s["id"]), ts=_ts(s), raw=s)
    errors = s.get("errors")
    errors = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
    reason = status_reason(errors) if status == "failed" else ""
    return DeliveryStatus(thread=thread, message_id=str(s["id"]), status=status, reason=reason, ts=_ts(s), raw=s)
