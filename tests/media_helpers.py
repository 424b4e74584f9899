"""Files and HTTP helpers shared by the media tests: real bytes of each type, downloads, uploads."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import aiohttp

AGENT_EVENTS = ["offer", "assigned", "message", "attachment", "closed"]


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A valid, tiny RGB PNG."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120  # a Linux executable's header


async def get(url: str, *, token: str = "", visitor: str = "") -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of a GET with a bearer token and/or a visitor token."""
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if visitor:
        headers["X-Visitor-Token"] = visitor
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as r:
        return r.status, dict(r.headers), await r.read()


async def upload(url: str, data: bytes, *, filename: str = "photo.png", content_type: str = "image/png",
                 text: str | None = None, client_id: str | None = None, token: str = "",
                 visitor: str = "") -> tuple[int, dict]:
    """POST a multipart upload; (status, JSON answer)."""
    form = aiohttp.FormData(quote_fields=False)  # as browsers send names: raw UTF-8
    form.add_field("file", data, filename=filename, content_type=content_type)
    if text is not None:
        form.add_field("text", text)
    if client_id is not None:
        form.add_field("client_id", client_id)
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if visitor:
        headers["X-Visitor-Token"] = visitor
    async with aiohttp.ClientSession() as http, http.post(url, data=form, headers=headers) as r:
        return r.status, await r.json(content_type=None)


def stored_files(root: Path) -> list[Path]:
    """Every file the gateway keeps under its media dir (temporary parts included)."""
    return sorted(p for p in root.rglob("*") if p.is_file())
