"""The webhook dialer against a local phone-system stand-in: a signed request per attempt, and what
each answer means to the gateway (taken, retry later, credentials wrong, refused for good)."""

from __future__ import annotations

import hashlib
import hmac
import json

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bridges.base import AuthFailed, Fatal, Malformed, NotReady
from bridges.dialer import DialOutcome, DialRequest, DialStatus
from bridges.dialer_webhook import SPEC, WebhookDialerConfig
from bridges.dialer_webhook.inbound import parse_report
from bridges.dialer_webhook.signature import sign, verify

pytestmark = pytest.mark.timeout(15)
SECRET = "s3cret"
REQ = DialRequest(callback_id="cb1", attempt_id="cb_cb1_1", agent_endpoint="sip:anna@pbx",
                  customer_number="+49301234567", conversation_url="http://gw/agent#c1")


async def _standin(answers: list[web.Response]):
    seen: list[tuple[dict, str]] = []

    async def dial(request: web.Request) -> web.Response:
        body = await request.read()
        seen.append((json.loads(body), request.headers.get("X-Omnirelay-Signature", "")))
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert seen[-1][1] == expected
        return answers.pop(0)

    app = web.Application()
    app.router.add_post("/dial", dial)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    return server, seen


async def _dialer(server: TestServer, http: aiohttp.ClientSession):
    async def on_outcome(o: DialOutcome) -> None:  # reports come through the gateway's route
        raise AssertionError(o)

    return SPEC.factory(WebhookDialerConfig(url=str(server.make_url("/dial")), secret=SECRET), http, on_outcome)


@pytest.mark.parametrize(("answer", "error"), [
    (web.json_response({"ok": True}), None),
    (web.json_response({"error": "attempt known"}, status=409), None),  # already has it: not an error, not dialled again
    (web.Response(status=429, headers={"Retry-After": "7"}), NotReady),
    (web.Response(status=503), NotReady),
    (web.Response(status=401, text="bad signature"), AuthFailed),
    (web.Response(status=422, text="number blocked"), Fatal),
])
async def test_each_answer_of_the_phone_system(answer, error):
    server, seen = await _standin([answer])
    try:
        async with aiohttp.ClientSession() as http:
            dialer = await _dialer(server, http)
            if error is None:
                await dialer.dial(REQ)
            else:
                with pytest.raises(error) as info:
                    await dialer.dial(REQ)
                if answer.status == 429:
                    assert info.value.retry_after == 7
                if answer.status == 422:
                    assert info.value.reason == "number blocked" and info.value.code == "422"
    finally:
        await server.close()
    assert seen[0][0] == {"callback_id": "cb1", "attempt_id": "cb_cb1_1", "agent_endpoint": "sip:anna@pbx",
                          "customer_number": "+49301234567", "conversation_url": "http://gw/agent#c1"}


async def test_an_unreachable_dialer_is_retried_later():
    async with aiohttp.ClientSession() as http:
        dialer = SPEC.factory(WebhookDialerConfig(url="http://127.0.0.1:9/dial", secret=SECRET), http, _never)
        with pytest.raises(NotReady):
            await dialer.dial(REQ)


async def _never(o: DialOutcome) -> None:
    raise AssertionError(o)


def test_reports_are_verified_and_parsed():
    body = json.dumps({"attempt_id": "cb_cb1_1", "status": "no_answer", "reason": "NOANSWER"}).encode()
    verify(SECRET, {"X-Omnirelay-Signature": sign(SECRET, body)}, body)
    for headers in ({}, {"X-Omnirelay-Signature": sign("other", body)}, {"X-Omnirelay-Signature": "sha256=00"}):
        with pytest.raises(AuthFailed):
            verify(SECRET, headers, body)
    assert parse_report(body) == DialOutcome("cb_cb1_1", DialStatus.NO_ANSWER, "NOANSWER")
    for bad in (b"nope", b"[]", b'{"attempt_id": "a", "status": "exploded"}', b'{"status": "busy"}'):
        with pytest.raises(Malformed):
            parse_report(bad)
