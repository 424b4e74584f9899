"""What a file really is, read from its bytes, and how it may be shown to a browser.

A name or a client's Content-Type is a claim: a renamed executable says ``.png``. The type is read
from the leading bytes (the ``filetype`` library's signatures); what carries no signature counts as
plain text only when it decodes as UTF-8 without control characters, else as opaque bytes.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from urllib.parse import quote

import filetype

OCTET = "application/octet-stream"
TEXT = "text/plain"

# Shown inline (an <img>): raster formats only, never SVG, whose scripts would run on our origin.
INLINE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

_SNIFF_BYTES = 8192
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
NAME_CHARS = 200


def sniff(data: bytes) -> str:
    """The content type the bytes say they are: a known signature, else text/plain or octet-stream."""
    head = data[:_SNIFF_BYTES]
    found = filetype.guess_mime(head) if head else None
    if found:
        return str(found)
    return TEXT if _looks_like_text(head) else OCTET


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as err:
        # the sample may end inside a multi-byte character: only an error in its last 3 bytes is forgiven
        if err.start < len(head) - 3:
            return False
        text = head[: err.start].decode("utf-8")
    return not _CONTROL.search(text)


def kind_of(mime: str) -> str:
    """The attachment kind a content type is shown as: image | audio | video | file."""
    major = mime.split("/", 1)[0]
    return major if major in ("image", "audio", "video") else "file"


def clean_name(name: str, mime: str = "", fallback: str = "file") -> str:
    """A file name safe to show and to put in a header: no path, no control characters, bounded;
    ``fallback`` plus the type's extension when nothing is left."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    # every control and format character goes (line breaks would split a header, U+202E reverses
    # "gnp.exe" into "exe.png" on screen)
    name = "".join(c for c in name if not unicodedata.category(c).startswith("C")).strip().strip(".")
    if not name:
        extension = mimetypes.guess_extension(mime) if mime and mime != OCTET else None
        name = fallback + (extension or "")
    return name[:NAME_CHARS]


def content_disposition(mime: str, name: str) -> str:
    """``inline`` for images a browser may show, ``attachment`` otherwise, with RFC 6266's
    ``filename*`` (UTF-8) and a plain-ASCII ``filename`` for old clients."""
    disposition = "inline" if mime in INLINE else "attachment"
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in name) or "file"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
