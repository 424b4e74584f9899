"""A thin client of Asterisk's REST interface (ARI): originate a leg, bridge legs, hang up.

Every failure leaves as the bridge error trio: 401 → AuthFailed, 5xx / 429 / no connection →
NotReady, any other 4xx → Fatal with Asterisk's words. Originating a ``channelId`` that exists is
answered 409 by Asterisk; ``originate`` reports it instead of raising, because for us it means the
attempt was already dialled, and dialling it again is exactly what must never happen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp import ClientSession, ClientTimeout, hdrs

from bridges.ari.config import AriConfig
from bridges.base import AuthFailed, BridgeError, Fatal, NotReady

API_TIMEOUT = ClientTimeout(total=10)  # Asterisk answers REST calls at once; the call itself is async


class AriClient:
    """The REST half of ARI for one configured Asterisk."""

    def __init__(self, config: AriConfig, http: ClientSession) -> None:
        self.config = config
        self.http = http
        self.headers = {hdrs.AUTHORIZATION: config.authorization}

    async def originate(self, channel_id: str, endpoint: str, *, app_args: str, timeout_s: int,
                        caller_id: str = "") -> bool:
        """POST /channels: ring ``endpoint`` into our Stasis app as ``channel_id``. False when that
        channel id exists already (409): the leg was originated before and must not be again."""
        params = {"endpoint": endpoint, "app": self.config.app, "appArgs": app_args,
                  "channelId": channel_id, "timeout": str(timeout_s)}
        if caller_id:
            params["callerId"] = caller_id
        status, _ = await self._call("POST", "/channels", params, ok_conflict=True)
        return status != 409

    async def bridge(self, bridge_id: str) -> None:
        """POST /bridges/{id}: a mixing bridge with our id (creating an existing one updates it)."""
        await self._call("POST", f"/bridges/{bridge_id}", {"type": "mixing"})

    async def add_channels(self, bridge_id: str, channel_ids: list[str]) -> None:
        """POST /bridges/{id}/addChannel: put the legs into the bridge, so they hear each other."""
        await self._call("POST", f"/bridges/{bridge_id}/addChannel", {"channel": ",".join(channel_ids)})

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        """DELETE /channels/{id}; a channel that is gone already (404) is what we wanted."""
        await self._call("DELETE", f"/channels/{channel_id}", {"reason": reason}, ok_missing=True)

    async def destroy_bridge(self, bridge_id: str) -> None:
        """DELETE /bridges/{id}: Asterisk keeps an empty bridge until told otherwise."""
        await self._call("DELETE", f"/bridges/{bridge_id}", {}, ok_missing=True)

    async def _call(self, method: str, path: str, params: Mapping[str, str], *, ok_conflict: bool = False,
                    ok_missing: bool = False) -> tuple[int, Any]:
        url = f"{self.config.ari_url}{path}"
        try:
            async with self.http.request(method, url, params=params, headers=self.headers, timeout=API_TIMEOUT) as r:
                try:
                    answer = await r.json(content_type=None)
                except ValueError:  # an empty 204, or an HTML page from a proxy
                    answer = None
                if r.status < 300 or (ok_conflict and r.status == 409) or (ok_missing and r.status == 404):
                    return r.status, answer
                raise ari_error(r.status, answer, r.headers.get("Retry-After"), f"{method} {path}")
        except (aiohttp.ClientError, TimeoutError) as err:
            raise NotReady(f"Asterisk ARI unreachable ({method} {path})") from err


def ari_error(status: int, answer: Any, retry_after: str | None, what: str) -> BridgeError:
    """The exception for a refused ARI call; Asterisk puts its words in ``message`` (or ``error``)."""
    words = ""
    if isinstance(answer, dict):
        words = str(answer.get("message") or answer.get("error") or "")
    reason = f"Asterisk refused {what}: {status} {words}".strip()
    if status == 401:
        return AuthFailed(f"{reason} (check the ARI user and password)")
    if status == 429 or status >= 500:
        return NotReady(reason, retry_after=_seconds(retry_after))
    return Fatal(reason, code=str(status))


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:  # an HTTP date: rare here, and the outbox's own back-off is fine
        return None
