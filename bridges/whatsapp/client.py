"""A thin client of the WhatsApp Cloud API over the channel type's shared ``aiohttp.ClientSession``:
send a message, upload a file, resolve and download a customer's media. Every failure leaves as
NotReady (retry), AuthFailed (credentials) or Fatal (never), with Meta's words."""

from __future__ import annotations

import io
from typing import Any

import aiohttp
from aiohttp import ClientSession, ClientTimeout, FormData

from bridges.base import Fatal, NotReady, OutboundFile
from bridges.whatsapp.config import WhatsAppConfig
from bridges.whatsapp.errors import graph_error, retry_after_header

API_TIMEOUT = ClientTimeout(total=30)  # one call; the outbox retries a NotReady with back-off
MEDIA_TIMEOUT = ClientTimeout(total=300, sock_read=60)  # up to 100 MB of document
CHUNK = 64 * 1024


class CloudClient:
    """The Cloud API as one channel's number sees it (its token, its phone_number_id)."""

    def __init__(self, config: WhatsAppConfig, http: ClientSession) -> None:
        self.config = config
        self.http = http

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.token}"}

    async def send_message(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /<phone_number_id>/messages; Meta's answer (``messages[0].id`` is the wamid)."""
        url = f"{self.config.base_url}/{self.config.phone_number_id}/messages"
        return await self._call("POST", url, json={"messaging_product": "whatsapp", **body})

    async def upload(self, file: OutboundFile) -> str:
        """POST /<phone_number_id>/media as multipart: the media id to send the file by."""
        form = FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", file.mime)
        # a stream, not bytes: aiohttp warns that a large bytes body would block the event loop
        form.add_field("file", io.BytesIO(file.data), filename=file.name or "file", content_type=file.mime)
        answer = await self._call("POST", f"{self.config.base_url}/{self.config.phone_number_id}/media", data=form)
        return _field(answer, "id")

    async def media_info(self, media_id: str) -> dict[str, Any]:
        """GET /<media-id>: a short-lived ``url`` (minutes), ``mime_type`` and ``file_size``."""
        return await self._call("GET", f"{self.config.base_url}/{media_id}")

    async def download(self, url: str, max_bytes: int, name: str) -> tuple[bytes, str]:
        """The file behind a media URL (it needs the token too), stopped past ``max_bytes``."""
        try:
            async with self.http.get(url, headers=self._auth, timeout=MEDIA_TIMEOUT) as r:
                if r.status != 200:
                    # an expired URL (401/403/404) is cured by asking for the media again: retry
                    raise NotReady(f"media download answered {r.status}",
                                   retry_after=retry_after_header(r.headers.get("Retry-After")))
                declared = r.content_length
                if declared is not None and declared > max_bytes:
                    raise Fatal(f"too large: {name}, {declared} bytes", code="too_large")
                data = bytearray()
                async for chunk in r.content.iter_chunked(CHUNK):
                    data += chunk
                    if len(data) > max_bytes:  # a length the server did not declare, or lied about
                        raise Fatal(f"too large: {name}, more than {max_bytes} bytes", code="too_large")
                return bytes(data), r.headers.get("Content-Type", "")
        except (aiohttp.ClientError, TimeoutError) as err:
            raise NotReady("media download failed: network") from err

    async def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            async with self.http.request(method, url, headers=self._auth, timeout=API_TIMEOUT, **kwargs) as r:
                try:
                    answer = await r.json(content_type=None)
                except ValueError:  # an HTML error page from a proxy, say
                    answer = None
                if 200 <= r.status < 300 and isinstance(answer, dict):
                    return answer
                if 200 <= r.status < 300:
                    raise NotReady(f"WhatsApp API answered {r.status} without a JSON object")
                raise graph_error(r.status, answer, retry_after_header(r.headers.get("Retry-After")))
        except (aiohttp.ClientError, TimeoutError) as err:
            raise NotReady("WhatsApp API unreachable") from err


def _field(answer: dict[str, Any], name: str) -> str:
    value = answer.get(name)
    if not value:
        raise NotReady(f"WhatsApp API answer without {name!r}")
    return str(value)
