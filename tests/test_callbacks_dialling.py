"""End to end: a widget callback is offered as voice, accepted, dialled through the signed webhook to a
local phone-system stand-in, retried after no answer, reached; and given up with a mail to the customer."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from email_helpers import CustomerServer, email_gateway, eventually

from gateway import appkeys as K
from gateway.callbacks.records import get_callback
from gateway.keys import TenantKeys

sys.path.insert(0, str(Path(__file__).parent / "bridges"))  # the ARI stand-in of the bridge tests
from ari_standin import PASSWORD, USER, FakeAri  # noqa: E402

pytestmark = pytest.mark.timeout(40)
SECRET = "demo-dialer-secret"  # the demo config's dialer secret without $CALLBACK_DIALER_SECRET


class PhoneSystem:
    """The phone system's webhook: records each call request whose signature is right (else 401)."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.forged = 0

    async def dial(self, request: web.Request) -> web.Response:
        body = await request.read()
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if request.headers.get("X-Omnirelay-Signature") != expected:
            self.forged += 1
            return web.Response(status=401)
        self.calls.append(json.loads(body))
        return web.json_response({"ok": True})


@contextlib.asynccontextmanager
async def phone_system() -> AsyncIterator[tuple[PhoneSystem, str]]:
    phones = PhoneSystem()
    app = web.Application()
    app.router.add_post("/dial", phones.dial)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield phones, str(server.make_url("/dial"))
    finally:
        await server.close()


async def report(gateway, attempt_id: str, status: str, secret: str = SECRET) -> int:
    body = json.dumps({"attempt_id": attempt_id, "status": status}).encode()
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{gateway.url}/webhooks/dialer/dialer", data=body,
                             headers={"X-Omnirelay-Signature": sig}) as r:
            return r.status


@contextlib.asynccontextmanager
async def callback_gateway(redis_url: str, dial_url: str, relay_port: int, *, max_attempts: int):
    def configure(config) -> None:
        tenant = config.tenants["demo"]
        tenant.channels["dialer"].url = dial_url
        tenant.callbacks.retry_after_s, tenant.callbacks.max_attempts = 0.5, max_attempts
        tenant.queues["billing"].wrapup_s = 0  # the agent is free for the next attempt at once
    async with email_gateway(redis_url, relay_port, configure=configure) as gw:
        yield gw


async def _accept_voice(anna, a_in, attempt: int) -> dict:
    offer = await a_in.next("offer", lambda o: o["channel"] == "voice" and o["callback"]["attempt"] == attempt)
    ack = await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5)
    assert "error" not in ack, ack
    return offer


async def test_no_answer_is_retried_after_the_delay_then_reached(redis, redis_url):
    async with CustomerServer() as smtp, phone_system() as (phones, url), \
            callback_gateway(redis_url, url, smtp.port, max_attempts=3) as gw:
        anna, a_in = await gw.agent("anna")
        visitor, v_in = await gw.visitor(name="Max", language="de")
        await visitor.call("message", {"text": "Rückruf bitte", "client_id": "m1"}, namespace="/visitor")
        ack = await visitor.call("escalate", {"to": "callback", "phone": "030 1234567"}, namespace="/visitor", timeout=5)
        assert ack["ok"] is True, ack
        offer = await _accept_voice(anna, a_in, 1)
        cb_id = offer["callback"]["id"]
        await eventually(lambda: len(phones.calls) == 1)
        assert phones.calls[0] == {
            "callback_id": cb_id, "attempt_id": f"cb_{cb_id}_1", "agent_endpoint": "sip:anna",
            "customer_number": "+49301234567", "conversation_url": f"/agent#conversation={ack['conversation_id']}",
        }
        assert await report(gw, f"cb_{cb_id}_1", "ringing") == 200
        assert await report(gw, f"cb_{cb_id}_1", "no_answer", secret="forged") == 401
        assert (await get_callback(redis, TenantKeys("demo"), cb_id)).state == "dialling"
        assert await report(gw, f"cb_{cb_id}_1", "no_answer") == 200
        retry = await v_in.next("message", lambda m: m["text"].startswith("Wir haben Sie unter +49301234567 nicht"))
        assert "erneut" in retry["text"]
        await _accept_voice(anna, a_in, 2)  # offered again once the delay is over
        await eventually(lambda: len(phones.calls) == 2)
        assert phones.calls[1]["attempt_id"] == f"cb_{cb_id}_2"
        assert await report(gw, f"cb_{cb_id}_2", "completed") == 200
        await v_in.next("message", lambda m: m["text"] == "Gespräch mit +49301234567 verbunden.")
        assert await report(gw, f"cb_{cb_id}_2", "no_answer") == 200  # late and repeated: changes nothing
        cb = await get_callback(redis, TenantKeys("demo"), cb_id)
        assert cb.state == "reached" and cb.attempts == 2
        assert len(phones.calls) == 2 and phones.forged == 0  # each attempt dialled exactly once


async def test_exhausted_attempts_end_it_and_mail_the_customer(redis, redis_url):
    async with CustomerServer() as smtp, phone_system() as (phones, url), \
            callback_gateway(redis_url, url, smtp.port, max_attempts=1) as gw:
        anna, a_in = await gw.agent("anna")
        visitor, v_in = await gw.visitor(name="Kim", language="en", email="kim@customer.example")
        await visitor.call("message", {"text": "call me", "client_id": "m1"}, namespace="/visitor")
        assert (await visitor.call("escalate", {"to": "callback", "phone": "+49 30 1234567"},
                                   namespace="/visitor", timeout=5))["ok"] is True
        offer = await _accept_voice(anna, a_in, 1)
        await eventually(lambda: len(phones.calls) == 1)
        assert await report(gw, f"cb_{offer['callback']['id']}_1", "busy") == 200
        await v_in.next("message", lambda m: m["text"].startswith("We could not reach you at +49301234567 and will not"))
        await eventually(lambda: smtp.mails, timeout=10)
        assert smtp.mails[0]["To"] == "kim@customer.example"
        assert "will not call again" in smtp.mails[0].get_body(("plain",)).get_content()
        assert (await get_callback(redis, TenantKeys("demo"), offer["callback"]["id"])).state == "failed"
        assert await redis.zcard(TenantKeys("demo").callbacks_due()) == 0  # no further attempt is planned

        # the supervisors' alert (gateway/alerts) sees a callback nobody followed up ...
        alerts, cb_id = gw.app[K.ALERTS], offer["callback"]["id"]
        [failed] = await alerts._failed_callbacks(TenantKeys("demo"), time.time())
        assert (failed.id, failed.attempts, failed.followed_up) == (cb_id, 1, False)
        # ... until something happens in its conversation (here the customer writes again)
        await visitor.call("message", {"text": "try my mobile then", "client_id": "m2"}, namespace="/visitor")
        [failed] = await alerts._failed_callbacks(TenantKeys("demo"), time.time())
        assert failed.followed_up


async def test_reports_for_unknown_channels_or_unreadable_bodies_are_refused(gateway):
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{gateway.url}/webhooks/dialer/nope", data=b"{}") as r:
            assert r.status == 404
    body = b"not json"
    sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{gateway.url}/webhooks/dialer/dialer", data=body,
                             headers={"X-Omnirelay-Signature": sig}) as r:
            assert r.status == 400


async def test_the_agent_reports_the_outcome_from_the_console(redis, redis_url):
    async with CustomerServer() as smtp, phone_system() as (phones, url), \
            callback_gateway(redis_url, url, smtp.port, max_attempts=3) as gw:
        anna, a_in = await gw.agent("anna")
        visitor, _ = await gw.visitor(name="Max", language="de")
        await visitor.call("message", {"text": "Rückruf bitte", "client_id": "m1"}, namespace="/visitor")
        ack = await visitor.call("escalate", {"to": "callback", "phone": "030 1234567"}, namespace="/visitor", timeout=5)
        conv_id = ack["conversation_id"]
        offer = await _accept_voice(anna, a_in, 1)
        cb_id = offer["callback"]["id"]
        await eventually(lambda: len(phones.calls) == 1)
        # a reloaded console finds the callback it is dialling again
        _, again_in = await gw.agent("anna", available=False)
        hello = await again_in.next("hello")
        assert hello["callbacks"] == [{"conversation_id": conv_id, "state": "dialling",
                                       "callback": {"id": cb_id, "phone": "+49301234567", "attempt": 1}}]
        bad = await anna.call("callback_outcome", {"conversation_id": conv_id, "outcome": "maybe"}, namespace="/agent")
        assert bad["error"]["code"] == "bad_request"
        done = await anna.call("callback_outcome", {"conversation_id": conv_id, "outcome": "reached"}, namespace="/agent")
        assert done == {"ok": True, "callback_id": cb_id, "settled": True}
        assert (await get_callback(redis, TenantKeys("demo"), cb_id)).state == "reached"
        assert await report(gw, f"cb_{cb_id}_1", "no_answer") == 200  # the phone system's late report changes nothing
        assert (await get_callback(redis, TenantKeys("demo"), cb_id)).state == "reached"
        again = await anna.call("callback_outcome", {"conversation_id": conv_id, "outcome": "busy"}, namespace="/agent")
        assert again["error"]["code"] == "not_found"  # the attempt is over: its voice slot was freed



async def test_an_asterisk_dialer_rings_the_agent_then_the_customer_and_a_busy_line_is_retried(redis, redis_url):
    ari = FakeAri()
    server = TestServer(ari.app, host="127.0.0.1", port=0)
    await server.start_server()
    ari.url = str(server.make_url("")).rstrip("/")

    def asterisk(config) -> None:
        tenant = config.tenants["demo"]
        dialer = tenant.channels["dialer"]
        dialer.type, dialer.url, dialer.username, dialer.password = "ari", ari.url, USER, PASSWORD
        tenant.callbacks.retry_after_s, tenant.callbacks.max_attempts = 60.0, 3
        tenant.queues["billing"].wrapup_s = 0

    try:
        async with CustomerServer() as smtp, email_gateway(redis_url, smtp.port, configure=asterisk) as gw:
            anna, a_in = await gw.agent("anna")
            visitor, _ = await gw.visitor(name="Max", language="de")
            await visitor.call("message", {"text": "Rückruf bitte", "client_id": "m1"}, namespace="/visitor")
            ack = await visitor.call("escalate", {"to": "callback", "phone": "030 1234567"}, namespace="/visitor",
                                     timeout=5)
            assert ack["ok"] is True, ack
            offer = await _accept_voice(anna, a_in, 1)
            attempt = f"cb_{offer['callback']['id']}_1"
            await eventually(lambda: f"{attempt}-agent" in ari.channels, timeout=10)  # the agent's phone first
            await ari.answer(f"{attempt}-agent")
            await eventually(lambda: f"{attempt}-customer" in ari.channels, timeout=10)  # then the customer's
            await ari.refuse(f"{attempt}-customer", "BUSY", 17, "User busy")
            cb_id = offer["callback"]["id"]
            await eventually(lambda: _state(redis, cb_id, "scheduled"), timeout=10)  # busy: another attempt later
            cb = await get_callback(redis, TenantKeys("demo"), cb_id)
            assert cb.attempts == 1 and not cb.in_attempt
    finally:
        await server.close()


async def _state(redis, cb_id: str, state: str) -> bool:
    cb = await get_callback(redis, TenantKeys("demo"), cb_id)
    return cb is not None and cb.state == state
