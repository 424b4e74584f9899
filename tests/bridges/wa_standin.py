"""A local stand-in for the WhatsApp Cloud API (messages, media upload, media lookup and download),
answering like Meta: the tests script its refusals and read what it received."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from aiohttp import web
from wa_fixtures import PHONE_NUMBER_ID, TOKEN

MIB = 1024 * 1024


class FakeGraph:
    """The Cloud API on loopback: records requests; ``script`` holds answers to give before the 200s."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        # per route ("messages", "media", "info", "download"): (status, JSON or text, headers) answers
        self.script: dict[str, list[tuple[int, Any, dict[str, str]]]] = defaultdict(list)
        self.files: dict[str, bytes] = {"65463453": b"\xff\xd8jpeg-bytes"}
        self.declared_size: dict[str, int] = {}
        self.delay = 0.0
        self.hold_media: asyncio.Event | None = None  # set: media lookups wait for it
        self.url = ""
        self.app = web.Application(client_max_size=128 * MIB)  # Meta takes documents up to 100 MB
        self.app.router.add_post(f"/{PHONE_NUMBER_ID}/messages", self._messages)
        self.app.router.add_post(f"/{PHONE_NUMBER_ID}/media", self._upload)
        self.app.router.add_get("/download/{media_id}", self._download)
        self.app.router.add_get("/{media_id}", self._media_info)

    def _scripted(self, route: str) -> web.Response | None:
        if not self.script[route]:
            return None
        status, answer, headers = self.script[route].pop(0)
        if isinstance(answer, str):
            return web.Response(text=answer, status=status, headers=headers, content_type="text/html")
        return web.json_response(answer, status=status, headers=headers)

    async def _messages(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.delay)
        body = await request.json()
        self.requests.append({"path": request.path, "auth": request.headers.get("Authorization"), "json": body})
        scripted = self._scripted("messages")
        if scripted is not None:
            return scripted
        n = sum(1 for r in self.requests if r["path"].endswith("/messages"))
        who = body.get("to") or body.get("recipient")
        return web.json_response({"messaging_product": "whatsapp", "contacts": [{"input": who}],
                                  "messages": [{"id": f"wamid.out{n}"}]})

    async def _upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["file"]
        assert isinstance(upload, web.FileField)
        self.requests.append({"path": request.path, "auth": request.headers.get("Authorization"),
                              "content_type": request.content_type,
                              "form": {"messaging_product": form["messaging_product"], "type": form["type"]},
                              "file": (upload.filename, upload.content_type, upload.file.read())})
        scripted = self._scripted("media")
        return scripted or web.json_response({"id": f"media{len(self.requests)}"})

    async def _media_info(self, request: web.Request) -> web.Response:
        media_id = request.match_info["media_id"]
        if self.hold_media is not None:
            await self.hold_media.wait()
        self.requests.append({"path": request.path, "auth": request.headers.get("Authorization")})
        scripted = self._scripted("info")
        if scripted is not None:
            return scripted
        if media_id not in self.files:
            return web.json_response({"error": {"message": "Unsupported get request.", "type": "GraphMethodException",
                                                "code": 100, "error_subcode": 33}}, status=400)
        size = self.declared_size.get(media_id, len(self.files[media_id]))
        return web.json_response({"messaging_product": "whatsapp", "url": f"{self.url}/download/{media_id}",
                                  "mime_type": "image/jpeg", "file_size": size, "id": media_id})

    async def _download(self, request: web.Request) -> web.StreamResponse:
        self.requests.append({"path": request.path, "auth": request.headers.get("Authorization")})
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.Response(status=401)
        scripted = self._scripted("download")
        if scripted is not None:
            return scripted
        response = web.StreamResponse(headers={"Content-Type": "image/jpeg"})  # chunked: no length declared
        await response.prepare(request)
        await response.write(self.files[request.match_info["media_id"]])
        await response.write_eof()
        return response

    def sent(self) -> list[dict[str, Any]]:
        return [r["json"] for r in self.requests if r["path"].endswith("/messages")]
