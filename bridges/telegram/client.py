"""A thin Bot API client: ``<api_base>/bot<token>/<method>`` calls and file downloads, with the
platform's answers mapped to the error trio.

The token is part of every URL, so no message raised from here names a URL, and a vendor error
whose text holds the token is not chained (a logged traceback would print it).
"""

from __future__ import annotations

from collections.abc import Mapping
from json import loads
from typing import Any

import aiohttp
from aiohttp import ClientSession, ClientTimeout, FormData

from bridges.base import AuthFailed, Fatal, NotReady

DOWNLOAD_TIMEOUT = ClientTimeout(total=120, sock_read=30)  # up to 20 MB on a slow link
CHUNK = 64 * 1024


class TooLarge(Fatal):
    """A download ran past its limit (the caller names the file in its own message)."""


class TelegramClient:
    """Calls one bot's methods over the session the gateway shares between Telegram channels."""

    def __init__(self, http: ClientSession, base: str, token: str) -> None:
        self._http = http
        self._base = base
        self._token = token

    async def call(self, method: str, *, json: Mapping[str, Any] | None = None,
                   form: FormData | None = None) -> Any:
        """One method call: its ``result``; NotReady / AuthFailed / Fatal from the platform's answer."""
        url = f"{self._base}/bot{self._token}/{method}"
        try:
            async with self._http.post(url, json=json, data=form, allow_redirects=False) as r:
                status, headers = r.status, r.headers
                try:
                    answer = await r.json(content_type=None)
                except ValueError:
                    answer = None
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:  # ValueError: an unusable api_base
            raise NotReady(f"Telegram {method}: unreachable ({type(err).__name__})") from self._safe(err)
        if status == 200 and isinstance(answer, dict) and answer.get("ok"):
            return answer.get("result")
        raise self.error(method, status, answer, headers)

    async def download(self, file_path: str, limit: int) -> bytes:
        """The bytes of ``file_path`` (from getFile); TooLarge past ``limit`` bytes, read as they come."""
        url = f"{self._base}/file/bot{self._token}/{file_path}"
        try:
            async with self._http.get(url, timeout=DOWNLOAD_TIMEOUT, allow_redirects=False) as r:
                if r.status != 200:
                    body = await r.read()
                    raise self.error("download", r.status, _json_or_none(body), r.headers)
                if (r.content_length or 0) > limit:
                    raise TooLarge(f"more than {limit} bytes", code="too_large")
                data = bytearray()
                async for chunk in r.content.iter_chunked(CHUNK):
                    data += chunk
                    if len(data) > limit:
                        raise TooLarge(f"more than {limit} bytes", code="too_large")
                return bytes(data)
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            raise NotReady(f"Telegram download: unreachable ({type(err).__name__})") from self._safe(err)

    def error(self, method: str, status: int, answer: Any, headers: Mapping[str, str]) -> Exception:
        """The bridge error for a refused call, with Telegram's own words (``description``)."""
        body = answer if isinstance(answer, dict) else {}
        code = body.get("error_code", status)
        words = self._scrub(str(body.get("description") or f"HTTP {status}"))
        if status == 429 or code == 429:
            return NotReady(f"Telegram {method}: {words}", retry_after=_retry_after(body, headers))
        if status >= 500:
            return NotReady(f"Telegram {method}: {words}", retry_after=_retry_after(body, headers))
        if status == 401 or code == 401:
            return AuthFailed(f"Telegram {method}: {words} (the bot token was refused)")
        if status == 404 and method != "download":
            # every method named here exists: a 404 from /bot<token>/… means the token cannot be valid
            return AuthFailed(f"Telegram {method}: {words} (the bot token was not recognised)")
        if status == 404:
            return Fatal("file no longer available", code="404")
        if status == 200:  # "ok": false, or not JSON, under a 200: not an answer we can act on
            return NotReady(f"Telegram {method}: unexpected answer")
        # 400 (message is too long, chat not found …) and 403 (blocked, deactivated, kicked): permanent
        return Fatal(words, code=str(code))

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "<token>") if self._token else text

    def _safe(self, err: BaseException) -> BaseException | None:
        """``err`` to chain, unless its text holds the token (an aiohttp error may quote the URL)."""
        return None if self._token and self._token in f"{err!s}{err!r}" else err


def _retry_after(body: Mapping[str, Any], headers: Mapping[str, str]) -> float | None:
    """Seconds to wait: the body's ``parameters.retry_after``, else the HTTP ``Retry-After`` header."""
    given = (body.get("parameters") or {}).get("retry_after")
    if given is None:
        given = headers.get("Retry-After")
    try:
        return float(given) if given is not None else None
    except ValueError:  # an HTTP date: rare enough to let the gateway's back-off decide
        return None


def _json_or_none(body: bytes) -> Any:
    try:
        return loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
