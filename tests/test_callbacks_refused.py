"""A dial request the phone system refuses (the webhook dialer's call answered 4xx/5xx, an ARI
originate refused) is a failed attempt: the conversation says so and it is tried again after the
delay, like an unanswered call, until the attempts run out."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from email_helpers import CustomerServer, email_gateway, eventually
from test_callbacks_dialling import _accept_voice, callback_gateway

from gateway.callbacks.records import get_callback
from gateway.keys import TenantKeys

sys.path.insert(0, str(Path(__file__).parent / "bridges"))
from ari_standin import PASSWORD, USER, FakeAri  # noqa: E402

pytestmark = pytest.mark.timeout(40)
KEYS = TenantKeys("demo")


class RefusingPhoneSystem:
    """Answers the first call request with ``status``, takes the next ones."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.calls: list[dict] = []

    async def dial(self, request: web.Request) -> web.Response:
        self.calls.append(json.loads(await request.read()))
        if len(self.calls) == 1:
            return web.json_response({"error": "trunk down"}, status=self.status)
        return web.json_response({"ok": True})


async def _request(gw):
    visitor, v_in = await gw.visitor(name="Max", language="en")
    await visitor.call("message", {"text": "call me", "client_id": "m1"}, namespace="/visitor")
    ack = await visitor.call("escalate", {"to": "callback", "phone": "030 1234567"}, namespace="/visitor", timeout=5)
    assert ack["ok"] is True, ack
    return visitor, v_in


async def _attempts(redis, cb_id: str) -> list[dict]:
    return [json.loads(a) for a in await redis.lrange(KEYS.callback_attempts(cb_id), 0, -1)]


@pytest.mark.parametrize("status", [503, 400])
async def test_a_refused_webhook_dial_is_a_failed_attempt_and_tried_again(redis, redis_url, status):
    phones = RefusingPhoneSystem(status)
    app = web.Application()
    app.router.add_post("/dial", phones.dial)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with CustomerServer() as smtp, \
                callback_gateway(redis_url, str(server.make_url("/dial")), smtp.port, max_attempts=3) as gw:
            anna, a_in = await gw.agent("anna")
            visitor, v_in = await _request(gw)
            offer = await _accept_voice(anna, a_in, 1)
            cb_id = offer["callback"]["id"]
            retry = await v_in.next("message", lambda m: m["text"].startswith("We could not reach you"))
            assert "try again" in retry["text"]
            failed = [a for a in await _attempts(redis, cb_id) if a.get("status") == "failed"]
            assert failed and failed[0]["n"] == 1
            assert ("503" if status == 503 else "trunk down") in failed[0]["reason"]  # the phone system's words
            await _accept_voice(anna, a_in, 2)  # the next attempt after the delay
            await eventually(lambda: len(phones.calls) == 2)
            assert phones.calls[1]["attempt_id"] == f"cb_{cb_id}_2"
            cb = await get_callback(redis, KEYS, cb_id)
            assert cb.state == "dialling" and cb.attempts == 2
            history = await visitor.call("history", {"after_seq": 0}, namespace="/visitor")
            timeline = [m["text"] for m in history["messages"] if m["author"]["kind"] == "system"]
            assert timeline[1:] == ["Calling +49301234567 (attempt 1).", retry["text"], "Calling +49301234567 (attempt 2)."]
    finally:
        await server.close()


async def test_a_refused_asterisk_originate_is_a_failed_attempt_and_tried_again(redis, redis_url):
    ari = FakeAri()
    server = TestServer(ari.app, host="127.0.0.1", port=0)
    await server.start_server()
    ari.url = str(server.make_url("")).rstrip("/")
    ari.script["originate"].append((500, {"message": "Allocation failed"}, {}))

    def asterisk(config) -> None:
        tenant = config.tenants["demo"]
        dialer = tenant.channels["dialer"]
        dialer.type, dialer.url, dialer.username, dialer.password = "ari", ari.url, USER, PASSWORD
        tenant.callbacks.retry_after_s, tenant.callbacks.max_attempts = 0.5, 3
        tenant.queues["billing"].wrapup_s = 0

    try:
        async with CustomerServer() as smtp, email_gateway(redis_url, smtp.port, configure=asterisk) as gw:
            anna, a_in = await gw.agent("anna")
            await eventually(lambda: ari.sockets, timeout=10)  # the dialer follows the events first
            _, v_in = await _request(gw)
            offer = await _accept_voice(anna, a_in, 1)
            cb_id = offer["callback"]["id"]
            await v_in.next("message", lambda m: m["text"].startswith("We could not reach you"))
            failed = [a for a in await _attempts(redis, cb_id) if a.get("status") == "failed"]
            assert "Allocation failed" in failed[0]["reason"]
            await _accept_voice(anna, a_in, 2)
            await eventually(lambda: f"cb_{cb_id}_2-agent" in ari.channels, timeout=10)  # placed this time
            assert f"cb_{cb_id}_1-agent" not in ari.channels
    finally:
        await server.close()
