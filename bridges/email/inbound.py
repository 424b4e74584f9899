"""Mail in: the webhook's signature, one raw RFC 5322 message per delivery, and MIME → events.

A person's mail becomes one ``Message`` whose text is only the new words (``reply_text``), with
its files carried along (a mail holds its attachments, there is nothing to fetch later) and every
header the gateway's threading and loop rules need in ``details``. A bounce becomes a
``DeliveryStatus`` of the mail of ours that bounced (``bounce``).

Ids: ``Message.message_id`` and the delivery id are the Message-ID without ``<>`` (a sha256 of
the raw mail when it has none); ``details`` keeps the header forms, with ``<>``, as the gateway
writes them back into In-Reply-To and References.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from email import policy
from email.errors import MessageError
from email.message import EmailMessage
from email.message import Message as MimePart
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from bridges.base import AuthFailed, Delivery, Malformed
from bridges.email import auto, bounce, reply_text
from bridges.events import Attachment, Customer, DeliveryStatus, Event, Message, Unsupported

SIGNATURE_HEADER = "X-Omnirelay-Signature"
MARKER = re.compile(r"\[ref:([A-Za-z0-9._~+/=-]{1,512})\]")
MSG_ID = re.compile(r"<[^<>\s]+>")
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")  # where a plus-address token may be
KINDS = {"image": "image", "audio": "audio", "video": "video"}


def verify_signature(headers: Mapping[str, str], body: bytes, secret: str) -> None:
    """Raise AuthFailed unless ``X-Omnirelay-Signature: sha256=<hex HMAC-SHA256 of body>`` matches."""
    given = headers.get(SIGNATURE_HEADER)
    if given is None:  # a plain dict (tests, tools) is not case-insensitive like aiohttp's headers
        given = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER.lower()), "")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    # bytes: compare_digest refuses non-ASCII str; an empty secret never matches (fail closed)
    if not secret or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise AuthFailed("email webhook signature mismatch")


def split(body: bytes) -> list[Delivery]:
    """The one mail of a body, keyed by its Message-ID (a sha256 of the mail when it has none)."""
    if not body.strip():
        raise Malformed("empty mail")
    msg = read(body)
    if not msg.keys():
        raise Malformed("not a mail: no header")
    return [(mail_id(msg, body), body)]


def read(raw: bytes) -> EmailMessage:
    """The parsed mail (the modern ``email`` API: decoded headers, ``get_body``, ``iter_attachments``)."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)  # policy.default builds EmailMessage
    return msg


def mail_id(msg: EmailMessage, raw: bytes) -> str:
    """The mail's Message-ID without <>, or a sha256 of the raw mail: the same on every redelivery."""
    return _first_id(header(msg, "Message-ID"))[1:-1] or hashlib.sha256(raw).hexdigest()


def parse(unit: Any) -> list[Event]:
    """The events of one raw mail: a bounce's statuses, or the customer's message."""
    if not isinstance(unit, bytes | bytearray):
        return [Unsupported(kind="email_not_bytes", raw=unit)]
    raw = bytes(unit)
    msg = read(raw)
    sender_name, sender = _first(addresses(msg, "From"))
    if bounce.is_report(msg) or auto.reason(msg, sender) == "mailer_daemon":
        statuses = _bounce_events(msg, raw)
        if statuses or bounce.is_report(msg):
            return statuses or [Unsupported(kind="email_report", message_id=mail_id(msg, raw), raw=raw)]
    if not sender:
        return [Unsupported(kind="email_without_sender", message_id=mail_id(msg, raw), raw=raw)]
    return [_message(msg, raw, sender.lower(), sender_name)]


def _message(msg: EmailMessage, raw: bytes, sender: str, name: str) -> Message:
    plain_part, html_part = msg.get_body(("plain",)), msg.get_body(("html",))
    plain, html = _text(plain_part), _text(html_part)
    text = reply_text.new_text(plain) if plain.strip() else reply_text.new_text_of_html(html)
    who = Customer(id=sender, name=name, raw=header(msg, "From"))
    common: dict[str, Any] = {"customer": who, "thread": sender, "message_id": mail_id(msg, raw),
                              "ts": _ts(msg)}
    files = _attachments(msg, common, skip={id(plain_part), id(html_part)})
    return Message(**common, text=text, attachments=files, details=_details(msg, sender, plain, html), raw=raw)


def _details(msg: EmailMessage, sender: str, plain: str, html: str) -> dict[str, Any]:
    recipients = [a for h in RECIPIENT_HEADERS for _, a in addresses(msg, h) if a]
    return {
        "subject": header(msg, "Subject"),
        "from": header(msg, "From"),
        "to": [_display(n, a) for n, a in addresses(msg, "To")],
        "cc": [_display(n, a) for n, a in addresses(msg, "Cc")],
        # beyond the contract: where the customer asks answers to go, and Outlook's own thread index
        "reply_to": [a for _, a in addresses(msg, "Reply-To")],
        "thread_index": header(msg, "Thread-Index"),
        "message_id": _first_id(header(msg, "Message-ID")),
        "in_reply_to": _first_id(header(msg, "In-Reply-To")),
        "references": MSG_ID.findall(header(msg, "References")),
        "recipients": list(dict.fromkeys(recipients)),  # case kept: a signed token may be case-sensitive
        "marker_tokens": list(dict.fromkeys(MARKER.findall(plain) + MARKER.findall(html))),
        "quoted": plain.strip() or reply_text.html_to_text(html),
        "html": reply_text.sanitise(html),
        "auto": auto.reason(msg, sender),
    }


def _attachments(msg: EmailMessage, common: dict[str, Any], skip: set[int]) -> tuple[Attachment, ...]:
    """Every file part, numbered by its place in the mail (``inline:<n>``), with its decoded bytes."""
    found: list[Attachment] = []
    for index, part in enumerate(_leaves(msg)):
        if id(part) in skip or _is_body_text(part):
            continue
        data = _bytes(part)
        mime = part.get_content_type()
        name = part.get_filename() or ("forwarded.eml" if mime == "message/rfc822" else "")
        found.append(Attachment(**common, kind=KINDS.get(part.get_content_maintype(), "file"),
                                ref=f"inline:{index}", mime=mime, name=name, size=len(data), raw=data))
    return tuple(found)


def _leaves(part: MimePart) -> list[MimePart]:
    """The parts that are not containers, in order; a forwarded mail (message/rfc822) is one file,
    not opened (``walk`` would descend into it and hand out its inner parts as ours)."""
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        return [part]
    inner = part.get_payload()
    return [leaf for child in inner if isinstance(child, MimePart) for leaf in _leaves(child)] \
        if isinstance(inner, list) else []


def _is_body_text(part: MimePart) -> bool:
    """A text part without a name that is not marked as an attachment: more of the body, not a file
    (Apple Mail splits the text around an inline picture)."""
    return (part.get_content_maintype() == "text" and not part.get_filename()
            and part.get_content_disposition() != "attachment")


def _bytes(part: MimePart) -> bytes:
    if part.get_content_type() == "message/rfc822":  # a forwarded mail: its bytes as sent
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        return inner.as_bytes() if isinstance(inner, MimePart) else b""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _bounce_events(msg: EmailMessage, raw: bytes) -> list[Event]:
    events: list[Event] = []
    for f in bounce.failures(msg):
        if f.status == "delayed":  # the server still tries: nothing has failed yet
            events.append(Unsupported(kind="email_delivery_delayed", thread=f.recipient,
                                      message_id=f.message_id, ts=_ts(msg), raw=raw))
        else:
            # a bounce without a report gives no diagnostic: its subject ("failure notice") is what there is
            events.append(DeliveryStatus(thread=f.recipient, message_id=f.message_id, status=f.status,
                                         reason=f.reason or header(msg, "Subject"), ts=_ts(msg), raw=raw))
    return events


def addresses(msg: EmailMessage, name: str) -> list[tuple[str, str]]:
    """(display name, address) of every address in every ``name`` header, in order."""
    try:
        values = [str(v) for v in (msg.get_all(name) or [])]
    except (ValueError, TypeError, IndexError, AttributeError, MessageError):
        # the modern header parser fails on some broken addresses (``<kim@``: IndexError, ``a.:) @@,``:
        # AttributeError): the header as it came, read by the lenient parser, rather than losing the mail
        values = [str(v) for k, v in msg.raw_items() if k.lower() == name.lower()]
    return [(n, a) for n, a in getaddresses(values) if a and "@" in a]


def header(msg: EmailMessage, name: str) -> str:
    """A header's decoded text, "" when absent or unreadable (a broken header must not lose the mail)."""
    try:
        value = msg.get(name)
    except (ValueError, TypeError, IndexError, AttributeError, MessageError):
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _text(part: MimePart | None) -> str:
    if part is None:
        return ""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    # an unknown or lying charset (a NUL in its name is a ValueError): keep what can be read
    except (LookupError, ValueError, KeyError):
        data = part.get_payload(decode=True)
        content = data.decode("utf-8", "replace") if isinstance(data, bytes) else ""
    return str(content).replace("\r\n", "\n")


def _ts(msg: EmailMessage) -> float:
    try:
        return parsedate_to_datetime(header(msg, "Date")).timestamp()
    except (TypeError, ValueError, IndexError):
        return 0.0


def _first(pairs: list[tuple[str, str]]) -> tuple[str, str]:
    return pairs[0] if pairs else ("", "")


def _display(name: str, address: str) -> str:
    return f"{name} <{address}>" if name else address


def _first_id(value: str) -> str:
    """The first ``<id>`` of a header, with its <>; "" when there is none."""
    found = MSG_ID.search(value)
    return found.group(0) if found else ""
