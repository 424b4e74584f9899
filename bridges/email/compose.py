"""Mail out: an agent's reply as ``multipart/alternative`` (plain text and simple, safe HTML),
threaded for every client: In-Reply-To/References for most, Thread-Topic/Thread-Index for Outlook.

Everything a person typed (the reply, the intro, the history, names) is escaped in the HTML, and
every header value is folded to one line, so nothing in a message can add markup or headers.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from bridges.base import Fatal, Outbound
from bridges.email.config import EmailConfig

FILETIME_EPOCH_S = 11_644_473_600  # seconds from 1601-01-01 (FILETIME) to 1970-01-01
MAX_CHILD_BLOCKS = 30  # Thread-Index grows 5 bytes per reply level; Outlook reads any length
REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|fwd?|wg|antw|sv|vs)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)

# The quoted history's words, by language ("en" for any other); the "wrote:" line is the form
# mail clients recognise, so a customer's reply above it is cut there when it comes back.
LABELS = {
    "de": {"history": "Bisheriger Verlauf", "wrote": "Am {date} schrieb {author}:", "date": "%d.%m.%Y um %H:%M UTC",
           "undated": "{author} schrieb:"},
    "en": {"history": "Conversation so far", "wrote": "On {date}, {author} wrote:", "date": "%Y-%m-%d %H:%M UTC",
           "undated": "{author} wrote:"},
}
STYLE_BODY = "font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.5;color:#222222"
STYLE_MARKER = "color:#9a9a9a;font-size:11px"
STYLE_QUOTE = "margin:16px 0 0;padding:0 0 0 10px;border-left:2px solid #cccccc;color:#555555"


def compose(out: Outbound, config: EmailConfig, now: datetime | None = None) -> EmailMessage:
    """The complete mail for ``out`` (headers, both alternatives, the agent's files)."""
    ctx: Mapping[str, Any] = out.context
    now = now or datetime.now(UTC)
    sender = _one_line(ctx.get("from") or config.address)
    message_id = _one_line(ctx.get("message_id") or "") or make_msgid(domain=sender.rpartition("@")[2] or None)
    references = [_one_line(r) for r in ctx.get("references") or [] if _one_line(r)]
    in_reply_to = _one_line(ctx.get("in_reply_to") or "")
    subject = _one_line(ctx.get("subject") or "")
    labels = LABELS.get(str(ctx.get("language") or config.language)[:2].lower(), LABELS["en"])
    msg = EmailMessage()
    msg["From"] = _address(_one_line(ctx.get("from_name") or config.display_name), sender)
    msg["To"] = _address("", _one_line(out.thread))
    if ctx.get("reply_to"):
        msg["Reply-To"] = _address("", _one_line(ctx["reply_to"]))
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    msg["Thread-Topic"] = _one_line(ctx.get("thread_topic") or "") or REPLY_PREFIX.sub("", subject)
    root = references[0] if references else in_reply_to or message_id
    msg["Thread-Index"] = _one_line(ctx.get("thread_index") or "") or thread_index(root, len(references), now)
    msg["Auto-Submitted"] = "no"  # a person's reply (RFC 3834): auto-responders may answer it
    history = list(ctx.get("history") or [])
    intro, marker = str(ctx.get("intro") or ""), str(ctx.get("marker") or "")
    msg.set_content(plain_body(intro, out.text, marker, history, labels))
    msg.add_alternative(html_body(intro, out.text, marker, history, labels, ctx.get("language") or ""),
                        subtype="html")
    for f in out.files:
        maintype, _, subtype = (f.mime or "application/octet-stream").partition("/")
        msg.add_attachment(f.data, maintype=maintype, subtype=subtype or "octet-stream", filename=f.name or None)
    if ctx.get("language"):  # set last: building the parts moves every Content-* header into them
        msg["Content-Language"] = _one_line(ctx["language"])
    return msg


def plain_body(intro: str, text: str, marker: str, history: Sequence[Mapping[str, Any]],
               labels: Mapping[str, str]) -> str:
    """The text/plain alternative: intro, reply, marker, then the history quoted with ``>``."""
    blocks = [b.strip() for b in (intro, text, marker) if b.strip()]
    if history:
        quoted = [f"-- {labels['history']} --"]
        for entry in history:
            quoted += ["", _wrote(entry, labels)]
            quoted += [f"> {line}".rstrip() for line in str(entry.get("text", "")).splitlines() or [""]]
        blocks.append("\n".join(quoted))
    return "\n\n".join(blocks) + "\n"


def html_body(intro: str, text: str, marker: str, history: Sequence[Mapping[str, Any]],
              labels: Mapping[str, str], language: str) -> str:
    """The text/html alternative: the same content, every piece of text escaped, inline styles only."""
    parts = [_paragraphs(intro), _paragraphs(text)]
    if marker.strip():
        parts.append(f'<p style="{STYLE_MARKER}">{_esc(marker.strip())}</p>')
    if history:
        items = [f"<p><strong>{_esc(labels['history'])}</strong></p>"]
        for entry in history:
            items.append(f'<p style="margin:12px 0 2px">{_esc(_wrote(entry, labels))}</p>')
            items.append(_paragraphs(str(entry.get("text", ""))))
        parts.append(f'<blockquote style="{STYLE_QUOTE}">{"".join(items)}</blockquote>')
    lang = f' lang="{_esc(language)}"' if language else ""
    return (f'<!DOCTYPE html><html{lang}><head><meta charset="utf-8"></head>'
            f'<body><div style="{STYLE_BODY}">{"".join(p for p in parts if p)}</div></body></html>\n')


def thread_index(root_id: str, depth: int, now: datetime) -> str:
    """An Outlook Thread-Index ([MS-OXOMSG] PidTagConversationIndex): 0x01, five bytes of FILETIME,
    a GUID shared by the thread (derived from its first Message-ID, so every mail of it agrees),
    and one 5-byte block per reply level."""
    filetime = int((now.timestamp() + FILETIME_EPOCH_S) * 10_000_000)
    guid = hashlib.sha256(root_id.strip().encode()).digest()[:16]
    children = bytes(5) * max(0, min(depth, MAX_CHILD_BLOCKS))
    return base64.b64encode(b"\x01" + (filetime >> 24).to_bytes(5, "big") + guid + children).decode()


def _wrote(entry: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """The line above a quoted message: who wrote it, and when (left out when unknown)."""
    author = " ".join(str(entry.get("author") or "?").split())
    try:
        date = datetime.fromtimestamp(float(entry.get("ts") or 0), UTC).strftime(labels["date"])
    except (TypeError, ValueError, OverflowError, OSError):
        date = ""
    if not date or not entry.get("ts"):
        return labels["undated"].format(author=author)
    return labels["wrote"].format(date=date, author=author)


def _paragraphs(text: str) -> str:
    """Text as HTML paragraphs: blank lines part them, single line breaks stay; all of it escaped."""
    paras = [p.strip("\n") for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
    return "".join(f'<p style="margin:0 0 12px">{_esc(p).replace(chr(10), "<br>")}</p>' for p in paras)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _one_line(value: Any) -> str:
    """A header value on one line: a CR or LF in it could otherwise start a header of its own."""
    return " ".join(str(value).split())


def _address(name: str, address: str) -> Address:
    try:
        return Address(display_name=name, addr_spec=address)
    except (ValueError, IndexError) as err:  # the email package refuses what no server would take
        raise Fatal(f"not an email address: {address!r}", code="bad_address") from err
