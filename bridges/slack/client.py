"""A thin Slack Web API client on slack_sdk's ``AsyncWebClient`` (the gateway's shared aiohttp
session, a configurable base URL), with Slack's answers mapped to the error trio.

Rate limits: ``chat.postMessage`` "generally allows one message per second per channel", whoever
posts. Posts to one channel are spaced a second apart: by a ``spacer`` every process shares when the
gateway gives one (gateway/slack/pacing.py, a slot reserved in Redis), else in this process; a 429 is
waited out as its ``Retry-After`` says by slack_sdk's ``AsyncRateLimitErrorRetryHandler`` and, when it
persists, raised as NotReady with that delay. The token never appears in an error we raise
(slack_sdk's messages are not chained).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from aiohttp import ClientSession
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bridges.base import AuthFailed, Fatal, NotReady

log = logging.getLogger(__name__)
POST_INTERVAL_S = 1.0  # Slack: about one message per second per channel
RATE_LIMIT_RETRIES = 2  # 429s waited out inside one call before it is handed back as NotReady
# answers that mean our token is not (or no longer) good: sending stops until an operator fixes it
AUTH_ERRORS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
                         "missing_scope", "no_permission", "team_access_not_granted", "org_login_required"})
# Reserves the next post slot of a channel (its id, the interval in seconds) and answers how many
# seconds to wait for it: shared by every process that posts with the same app
Spacer = Callable[[str, float], Awaitable[float]]


class SlackClient:
    """The Web API methods the gateway uses, for one bot token."""

    def __init__(self, http: ClientSession, base: str, token: str, *, post_interval_s: float = POST_INTERVAL_S) -> None:
        self._web = AsyncWebClient(token=token, base_url=base, session=http, timeout=15,
                                   retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)])
        self._interval = post_interval_s
        self._last_post: dict[str, float] = {}
        self._post_locks: dict[str, asyncio.Lock] = {}
        self.spacer: Spacer | None = None

    async def call(self, method: str, *, form: bool = False, **params: Any) -> dict[str, Any]:
        """One Web API call: Slack's answer; NotReady / AuthFailed / Fatal when refused. Write methods
        take a JSON body; read methods (users.info, users.lookupByEmail) only a form (``form=True``)."""
        try:
            response = await (self._web.api_call(method, data=params) if form else self._web.api_call(method, json=params))
        except SlackApiError as err:
            raise _error(method, err.response.status_code, err.response.data, err.response.headers) from None
        except (aiohttp.ClientError, TimeoutError, SlackClientError, ValueError) as err:
            raise NotReady(f"Slack {method}: unreachable ({type(err).__name__})") from None
        data = response.data if isinstance(response.data, dict) else {}
        if not data.get("ok"):
            raise _error(method, response.status_code, data, response.headers)
        return data

    async def post_message(self, channel: str, text: str, *, thread_ts: str = "", blocks: list[dict] | None = None,
                           metadata: Mapping[str, Any] | None = None) -> str:
        """chat.postMessage, spaced per channel; the ``ts`` of the posted message."""
        params: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False, "unfurl_media": False}
        if thread_ts:
            params["thread_ts"] = thread_ts
        if blocks:
            params["blocks"] = blocks
        if metadata:
            params["metadata"] = dict(metadata)
        lock = self._post_locks.setdefault(channel, asyncio.Lock())
        async with lock:
            wait = await self._slot(channel)
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                data = await self.call("chat.postMessage", **params)
            finally:
                self._last_post[channel] = time.monotonic()
        return str(data.get("ts", ""))

    async def _slot(self, channel: str) -> float:
        """Seconds until this post may go: the shared slot, and never sooner than this process's own
        spacing (which alone holds while the spacer cannot be asked)."""
        own = self._last_post.get(channel, 0.0) + self._interval - time.monotonic()
        if self.spacer is None:
            return own
        try:
            return max(await self.spacer(channel, self._interval), own)
        except Exception as err:  # the shared store is down: Slack's 429 and its Retry-After still guard
            log.warning("slack post spacing not shared: %s", type(err).__name__, extra={"channel": channel})
            return own

    async def update(self, channel: str, ts: str, text: str, *, blocks: list[dict] | None = None,
                     metadata: Mapping[str, Any] | None = None) -> None:
        """chat.update of one of our messages (the conversation's state under its first message)."""
        params: dict[str, Any] = {"channel": channel, "ts": ts, "text": text, "blocks": blocks or []}
        if metadata:
            params["metadata"] = dict(metadata)
        await self.call("chat.update", **params)

    async def delete(self, channel: str, ts: str) -> None:
        """chat.delete of one of our messages (an erased contact's thread); Fatal ``message_not_found``
        when it is gone already, ``cant_delete_message`` when it is not ours."""
        await self.call("chat.delete", channel=channel, ts=ts)

    async def post_ephemeral(self, channel: str, user: str, text: str, *, thread_ts: str = "") -> None:
        """chat.postEphemeral: a line only ``user`` sees (a refusal; nobody else learns of it)."""
        params: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if thread_ts:
            params["thread_ts"] = thread_ts
        await self.call("chat.postEphemeral", **params)

    async def user_info(self, user: str) -> dict[str, Any]:
        """users.info: the user object (``profile.email`` needs the users:read.email scope)."""
        return dict((await self.call("users.info", form=True, user=user)).get("user") or {})

    async def lookup_by_email(self, email: str) -> dict[str, Any] | None:
        """users.lookupByEmail: the user with this email, None when Slack knows nobody by it."""
        try:
            return dict((await self.call("users.lookupByEmail", form=True, email=email)).get("user") or {})
        except Fatal as err:
            if err.code == "users_not_found":
                return None
            raise

    async def auth_test(self) -> dict[str, Any]:
        """auth.test: who our token is (team, bot user id, bot id); AuthFailed when Slack refuses it."""
        return await self.call("auth.test", form=True)


def _error(method: str, status: int, data: Any, headers: Mapping[str, Any]) -> Exception:
    """The bridge error for a refused call, with Slack's own error code."""
    body = data if isinstance(data, dict) else {}
    code = str(body.get("error") or f"http_{status}")
    if status == 429 or code == "ratelimited":
        return NotReady(f"Slack {method}: rate limited", retry_after=_retry_after(headers))
    if status >= 500 or code in ("internal_error", "fatal_error", "service_unavailable", "request_timeout"):
        return NotReady(f"Slack {method}: {code}", retry_after=_retry_after(headers))
    if status == 401 or code in AUTH_ERRORS:
        return AuthFailed(f"Slack {method}: {code} (the bot token was refused)")
    return Fatal(f"Slack {method}: {code}", code=code)


def _retry_after(headers: Mapping[str, Any]) -> float | None:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            value = value[0] if isinstance(value, list | tuple) and value else value
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None
