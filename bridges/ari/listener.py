"""The ARI events websocket (``/ari/events?app=…``), kept open: reconnects with back-off.

Asterisk sends an application's events to one websocket only, and keeps no backlog, so the dialer
refuses to dial while this is down (a leg originated then could answer and never be bridged).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from aiohttp import ClientSession, WSMsgType, hdrs

from bridges.ari.config import AriConfig
from bridges.base import Health

log = logging.getLogger(__name__)

FIRST_BACKOFF_S = 0.5
MAX_BACKOFF_S = 30.0
HEARTBEAT_S = 20.0  # a ping unanswered for this long means Asterisk is gone: reconnect

Handler = Callable[[Mapping[str, Any]], Awaitable[None]]


class EventListener:
    """Reads the app's events in order and hands each to ``handle``, one at a time."""

    def __init__(self, config: AriConfig, http: ClientSession, handle: Handler,
                 first_backoff_s: float = FIRST_BACKOFF_S) -> None:
        self.config = config
        self.http = http
        self.handle = handle
        self.first_backoff_s = first_backoff_s
        self.health = Health.CONNECTING
        self.connected = asyncio.Event()
        self.connections = 0  # how many times the websocket opened (a reconnect counts)

    async def run(self) -> None:
        """Until cancelled: connect, read, and after a failure wait (doubling, capped) and again."""
        backoff = self.first_backoff_s
        while True:
            try:
                await self._read_until_closed()
                backoff = self.first_backoff_s  # it was open: a fresh failure starts short again
                self.health = Health.TRANSIENT_ERROR
            except aiohttp.WSServerHandshakeError as err:
                self.health = Health.AUTH_FAILED if err.status == 401 else Health.TRANSIENT_ERROR
                log.warning("ARI events websocket refused: %s %s", err.status, err.message)
            except (aiohttp.ClientError, TimeoutError, OSError) as err:
                self.health = Health.TRANSIENT_ERROR
                log.warning("ARI events websocket failed: %r", err)
            finally:
                self.connected.clear()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _read_until_closed(self) -> None:
        url = f"{self.config.ari_url}/events"
        params = {"app": self.config.app, "subscribeAll": "false"}
        headers = {hdrs.AUTHORIZATION: self.config.authorization}
        async with self.http.ws_connect(url, params=params, headers=headers, heartbeat=HEARTBEAT_S) as ws:
            self.connections += 1
            self.health = Health.OK
            self.connected.set()
            log.info("ARI events websocket open for app %s", self.config.app)
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    event = json.loads(msg.data)
                except ValueError:
                    log.warning("ARI sent a frame that is not JSON: %.200s", msg.data)
                    continue
                if isinstance(event, dict):
                    await self._handle(event)

    async def _handle(self, event: Mapping[str, Any]) -> None:
        try:
            await self.handle(event)
        except Exception:  # one bad event must not close the stream for every other call
            log.exception("ARI event %s could not be handled", event.get("type"))
