"""The Graph API calls of the Messenger bridge: the Send API (text, file uploads) and attachment
downloads, with Graph's error envelope mapped onto NotReady / AuthFailed / Fatal.

The Page token travels as ``Authorization: Bearer`` (Graph accepts it), never as ``?access_token=``
in a URL that proxies and logs would keep. Downloads carry no token at all: Meta's CDN URLs are signed.
"""

from __future__ import annotations

import json
import posixpath
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import aiohttp
from aiohttp import ClientSession

from bridges.base import (
    AuthFailed,
    BridgeError,
    Button,
    Fatal,
    Media,
    NotReady,
    OutboundFile,
    Sent,
    WindowClosed,
    numbered,
)

FILE_LIMIT = 25 * 1024 * 1024  # Messenger takes and serves attachments up to 25 MB
MAX_REDIRECTS = 3
_CHUNK = 64 * 1024
_AUTH_CODES = {190}  # invalid or expired token (subcodes 463, 467 …)
# 2 unexpected/retry later, 4 app limit, 17 user limit, 32 page limit, 613 rate limit, 1200 temporary
# send failure, 80006 Messenger's business-use-case limit: all pass with time.
_RETRY_CODES = {2, 4, 17, 32, 613, 1200, 80006}
_WINDOW = (10, 2018278)  # "sent outside of allowed window"
# Quick replies: at most 13, a title of at most 20 characters (longer ones are cut), a payload of at
# most 1000. Outside these, the choices go as numbered text.
MAX_QUICK_REPLIES, QUICK_TITLE_CHARS, QUICK_PAYLOAD_CHARS = 13, 20, 1000


def text_message(text: str, choices: tuple[Button, ...] = ()) -> dict[str, Any]:
    """The Send API ``message`` of a text with its choices as quick replies; a phone choice is
    Messenger's ``user_phone_number`` quick reply (it offers the number of the customer's profile)."""
    fits = len(choices) <= MAX_QUICK_REPLIES and all(
        c.kind == "phone" or (0 < len(c.label) <= QUICK_TITLE_CHARS and 0 < len(c.value) <= QUICK_PAYLOAD_CHARS)
        for c in choices)
    if not choices:
        return {"text": text}
    if not fits:
        return {"text": numbered(text, tuple(c for c in choices if c.kind != "phone"))}
    quick = [{"content_type": "user_phone_number"} if c.kind == "phone"
             else {"content_type": "text", "title": c.label, "payload": c.value} for c in choices]
    return {"text": text, "quick_replies": quick}


def upload_kind(mime: str) -> str:
    """The Send API attachment type for a file's content type."""
    major = mime.split("/", 1)[0].lower()
    return major if major in ("image", "audio", "video") else "file"


def file_name(url: str) -> str:
    """The last path segment of a URL, decoded (Meta's CDN keeps the uploader's file name there)."""
    return unquote(posixpath.basename(urlsplit(url).path)) or "attachment"


def retry_after(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds (given as seconds or as an HTTP date), None when absent or unreadable."""
    value = headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def graph_error(status: int, answer: Any, headers: Mapping[str, str]) -> BridgeError:
    """The bridge error for a Graph refusal: ``{"error": {"message", "code", "error_subcode", …}}``."""
    error = answer.get("error") if isinstance(answer, dict) else None
    error = error if isinstance(error, dict) else {}
    code, subcode = error.get("code"), error.get("error_subcode")
    reason = _reason(error) or f"Messenger answered HTTP {status}"
    if code in _AUTH_CODES or (status == 401 and code is None):
        return AuthFailed(reason)
    if status == 429 or status >= 500 or code in _RETRY_CODES:
        return NotReady(reason, retry_after=retry_after(headers))
    if (code, subcode) == _WINDOW:
        return WindowClosed(reason, code=str(code))
    return Fatal(reason, code=str(code if code is not None else status))


def _reason(error: dict[str, Any]) -> str:
    """Meta's words: the message, plus ``error_data`` when it is a sentence of its own."""
    message = str(error.get("message") or "")
    detail = error.get("error_data")
    if isinstance(detail, str) and detail and detail not in message:
        return f"{message}: {detail}" if message else detail
    return message


class GraphClient:
    """The calls one Messenger channel makes, over the platform's shared ``ClientSession``."""

    def __init__(self, http: ClientSession, base: str, token: str) -> None:
        self.http = http
        self.base = base  # e.g. https://graph.facebook.com/v26.0
        self._auth = {"Authorization": f"Bearer {token}"}

    async def send_text(self, psid: str, text: str, tag: str = "", choices: tuple[Button, ...] = ()) -> Sent:
        """One text message to the customer ``psid`` (with ``choices`` as quick replies)."""
        body = {"recipient": {"id": psid}, **_messaging_type(tag), "message": text_message(text, choices)}
        return await self._send(json_body=body)

    async def send_file(self, psid: str, file: OutboundFile, tag: str = "") -> Sent:
        """One attachment, uploaded with the message as multipart ``filedata`` (never a public link)."""
        if len(file.data) > FILE_LIMIT:
            raise Fatal(f"too large: {file.name}, {len(file.data)} bytes (Messenger takes up to {FILE_LIMIT})")
        form = aiohttp.FormData(quote_fields=False)  # else the customer sees "invoice%207.pdf"
        form.add_field("recipient", json.dumps({"id": psid}))
        for name, value in _messaging_type(tag).items():
            form.add_field(name, value)
        attachment = {"type": upload_kind(file.mime), "payload": {"is_reusable": False}}
        form.add_field("message", json.dumps({"attachment": attachment}))
        name = "".join(c for c in file.name if c.isprintable()) or "attachment"  # no header injection
        form.add_field("filedata", file.data, filename=name, content_type=file.mime or "application/octet-stream")
        return await self._send(form=form)

    async def _send(self, *, json_body: dict[str, Any] | None = None, form: aiohttp.FormData | None = None) -> Sent:
        url = f"{self.base}/me/messages"
        try:
            async with self.http.post(url, json=json_body, data=form, headers=self._auth) as r:
                status, headers = r.status, r.headers
                raw = await r.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise NotReady(f"Messenger unreachable: {err.__class__.__name__}") from err
        try:
            answer: Any = json.loads(raw) if raw else None
        except ValueError:
            answer = None  # a proxy's HTML page: the status alone decides
        if status == 200 and isinstance(answer, dict) and "error" not in answer:
            return Sent(message_id=str(answer.get("message_id", "")), raw=answer)
        raise graph_error(status, answer, headers)

    async def fetch(self, url: str, max_bytes: int) -> Media:
        """Download a customer's attachment (following at most a few redirects, https only)."""
        limit = min(max_bytes, FILE_LIMIT) if max_bytes > 0 else FILE_LIMIT
        name = file_name(url)
        try:
            for _ in range(MAX_REDIRECTS + 1):
                self._check_source(url)
                async with self.http.get(url, allow_redirects=False) as r:
                    if r.status in (301, 302, 303, 307, 308) and "Location" in r.headers:
                        url = urljoin(url, r.headers["Location"])
                        continue
                    if r.status == 429 or r.status >= 500:
                        raise NotReady(f"download of {name} answered {r.status}", retry_after=retry_after(r.headers))
                    if r.status != 200:
                        raise Fatal(f"no longer available: {name} (HTTP {r.status})", code=str(r.status))
                    if r.content_length is not None and r.content_length > limit:
                        raise Fatal(f"too large: {name}, {r.content_length} bytes")
                    data = bytearray()
                    async for chunk in r.content.iter_chunked(_CHUNK):
                        data += chunk
                        if len(data) > limit:  # no (or a lying) Content-Length: stop reading at the limit
                            raise Fatal(f"too large: {name}, more than {limit} bytes")
                    return Media(data=bytes(data), mime=r.content_type, name=name)
        except (aiohttp.ClientError, TimeoutError) as err:
            raise NotReady(f"download of {name} failed: {err.__class__.__name__}") from err
        raise Fatal(f"too many redirects: {name}")

    def _check_source(self, url: str) -> None:
        """Only https, or the configured API host itself (a local stand-in in tests)."""
        parts, base = urlsplit(url), urlsplit(self.base)
        if parts.scheme != "https" and (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
            raise Fatal(f"refused to download over {parts.scheme or 'no scheme'}: {file_name(url)}")


def _messaging_type(tag: str) -> dict[str, str]:
    """RESPONSE inside the 24-hour window; a tagged message (HUMAN_AGENT) after it."""
    return {"messaging_type": "MESSAGE_TAG", "tag": tag} if tag else {"messaging_type": "RESPONSE"}
