"""Bounces: which of our mails could not be delivered, to whom, and what the server said.

An RFC 3464 delivery report (``multipart/report; report-type=delivery-status``) names each
recipient with its ``Action`` and ``Diagnostic-Code``, and returns our mail's headers, so our
``Message-ID`` ties the bounce to the message it failed. The many servers that send no such
report are left to ``flufl.bounce``'s detectors, which name the failed recipients only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from typing import Any

from flufl.bounce import all_failures

MESSAGE_ID = re.compile(r"^Message-ID:\s*<([^>\s]+)>", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Failure:
    """One recipient a report is about: ``status`` "failed", "delivered" or "delayed"."""

    recipient: str
    status: str
    reason: str
    message_id: str  # our Message-ID without <>, "" when the report did not return it


def is_report(msg: EmailMessage) -> bool:
    """Whether ``msg`` is a delivery status report (the standard form of a bounce)."""
    return msg.get_content_type() == "multipart/report" and any(
        part.get_content_type() in ("message/delivery-status", "message/global-delivery-status")
        for part in msg.walk()
    )


def failures(msg: EmailMessage) -> list[Failure]:
    """Every recipient a report names; a non-standard bounce yields its failed recipients only."""
    original = _original_id(msg)
    found = _from_report(msg, original) if is_report(msg) else []
    if found:
        return found
    try:
        temporary, permanent = all_failures(msg)
    except Exception:  # a heuristic detector tripping over an odd mail must not lose the mail
        return []
    return [
        *(Failure(_text(r), "failed", "", original) for r in sorted(permanent)),
        *(Failure(_text(r), "delayed", "", original) for r in sorted(temporary - permanent)),
    ]


def _from_report(msg: EmailMessage, original: str) -> list[Failure]:
    out: list[Failure] = []
    for part in msg.walk():
        if part.get_content_type() not in ("message/delivery-status", "message/global-delivery-status"):
            continue
        # the first block is about the report (Reporting-MTA), each later one about one recipient
        for block in _blocks(part)[1:]:
            recipient = _address(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
            action = str(block.get("Action", "")).strip().lower()
            status = {"failed": "failed", "delayed": "delayed"}.get(action, "delivered")
            diagnostic = _address_type_off(str(block.get("Diagnostic-Code", "")))
            reason = " ".join((diagnostic or str(block.get("Status", ""))).split())
            if recipient:
                out.append(Failure(recipient, status, reason, original))
    return out


def _blocks(part: Message) -> list[Message]:
    """The header blocks of a delivery-status part (the email package parses them as sub-messages)."""
    payload: Any = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    text = payload if isinstance(payload, str) else ""
    return [HeaderParser().parsestr(chunk) for chunk in re.split(r"\r?\n\r?\n", text) if chunk.strip()]


def _original_id(msg: EmailMessage) -> str:
    """Our Message-ID as the report returned it (a message/rfc822 part, or the returned headers)."""
    for part in msg.walk():
        kind = part.get_content_type()
        if kind in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, Message) and inner.get("Message-ID"):
                return str(inner["Message-ID"]).strip().strip("<>")
        if kind in ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers"):
            found = MESSAGE_ID.search(_part_text(part))
            if found:
                return found.group(1)
    found = MESSAGE_ID.search(_part_text(msg.get_body(("plain",)) or msg))
    # a non-standard bounce quotes our headers in its text; the bounce's own id is not "ours"
    return found.group(1) if found and found.group(1) != str(msg.get("Message-ID", "")).strip("<> ") else ""


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode(part.get_content_charset() or "utf-8", "replace")
    return payload if isinstance(payload, str) else ""


def _address(field: str) -> str:
    """``rfc822; kim@example.com`` → ``kim@example.com``."""
    return _address_type_off(field).strip().strip("<>").lower()


def _address_type_off(value: str) -> str:
    """Drop the type prefix of a DSN field (``rfc822;``, ``smtp;``)."""
    kind, sep, rest = value.partition(";")
    return rest.strip() if sep and " " not in kind.strip() else value.strip()


def _text(value: bytes | str) -> str:
    return (value.decode("utf-8", "replace") if isinstance(value, bytes) else value).lower()
