"""The webhook routes of a running gateway, fuzzed over real HTTP on real Redis: signed and unsigned
random and mutated bodies to every bridged channel and to the dialer's report route.

Never a 5xx; every refusal is the JSON error envelope and leaves the tenant's ingest stream as it was
(nothing half-stored); every accepted body is worked off by the ingest worker without an exception,
and every conversation it opened holds its messages.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from conftest import DEMO_CONFIG, eventually
from fuzz_helpers import BODIES, SCALE, as_body, explore, fuzz, payloads
from history_helpers import history_gateway
from hypothesis import strategies as st
from test_fuzz_parsers import GOOD_MAIL, damaged, mails

from gateway.appkeys import SERVICES
from gateway.config import load_config
from gateway.keys import TenantKeys

pytestmark = pytest.mark.timeout(240 * SCALE)
DEMO = TenantKeys("demo")
DEAD = "http://127.0.0.1:9"  # replies (closed-hours notes, automatic answers) go nowhere, fast


def _hub(secret: str, body: bytes) -> dict:
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def _omni(secret: str, body: bytes) -> dict:
    return {"X-Omnirelay-Signature": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def _telegram(secret: str, body: bytes) -> dict:
    return {"X-Telegram-Bot-Api-Secret-Token": secret}


# channel type -> (channel id, how a delivery is signed, the channel's secret, what it carries)
CHANNELS = {
    "telegram": ("telegram", _telegram, "demo-telegram-secret", payloads("telegram").map(as_body)),
    "whatsapp": ("whatsapp", _hub, "demo-whatsapp-secret", payloads("whatsapp").map(as_body)),
    "messenger": ("messenger", _hub, "demo-messenger-secret", payloads("messenger").map(as_body)),
    "email": ("email", _omni, "demo-email-secret", st.one_of(mails(), damaged(GOOD_MAIL))),
}
SIGNING = st.sampled_from(["good", "none", "wrong"])


@pytest.fixture
async def gw(redis, redis_url, history_db, database_url) -> AsyncIterator:
    config = load_config(DEMO_CONFIG, env={})
    for channel in config.tenants["demo"].channels.values():
        channel.api_base = DEAD
        channel.listen_host = ""  # no SMTP listener: the fuzz posts mail over HTTP
        if channel.type == "webhook":
            channel.url = DEAD + "/dial"
    async with history_gateway(config, redis_url, database_url) as gateway:
        yield gateway


class Tally:
    def __init__(self) -> None:
        self.statuses: dict[int, int] = {}

    def count(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


async def _post(http, url: str, body: bytes, headers: dict) -> tuple[int, str, dict | None]:
    async with http.post(url, data=io.BytesIO(body) if len(body) > 65536 else body, headers={"Content-Type": "application/json", **headers}) as r:
        ctype = r.headers.get("Content-Type", "")
        data = await r.json(content_type=None) if "json" in ctype else None
        return r.status, ctype, data


def _refusal_is_an_envelope(status: int, data) -> None:
    assert isinstance(data, dict) and isinstance(data.get("error"), dict), (status, data)
    assert data["error"].get("code") and data["error"].get("message"), (status, data)


async def test_webhook_routes_take_anything_without_a_5xx_or_a_half_stored_body(gw, redis, caplog):
    caplog.set_level(logging.ERROR)
    tally = Tally()
    stream = DEMO.webhooks_in()

    async with aiohttp.ClientSession() as http:

        async def post(case: tuple[str, bytes, str]) -> None:
            kind, body, signing = case
            channel, sign, secret, _ = CHANNELS[kind]
            headers = sign(secret, body) if signing == "good" else {} if signing == "none" else sign(secret + "x", body)
            before = await redis.xlen(stream)
            status, _, answer = await _post(http, f"{gw.url}/webhooks/{kind}/{channel}", body, headers)
            tally.count(status)
            assert status < 500, (kind, signing, body, status, answer)
            if status != 200:
                _refusal_is_an_envelope(status, answer)
                # refused: nothing of it in the stream (the worker may have taken earlier entries out)
                assert await redis.xlen(stream) <= before, (kind, signing, body, status)
            if signing != "good":
                assert status == 401, (kind, signing, status, answer)

        cases = st.sampled_from(sorted(CHANNELS)).flatmap(
            lambda kind: st.tuples(st.just(kind), st.one_of(CHANNELS[kind][3], BODIES), SIGNING))
        await explore(fuzz(300), cases, post)

    assert tally.statuses.get(200, 0) > 20 and tally.statuses.get(401, 0) > 20, tally.statuses
    # the worker works every accepted body off, and none of them raised in the handler
    await eventually(lambda: _drained(redis, stream), timeout=60 * SCALE, interval=0.2)
    failed = [r for r in caplog.records if r.name.startswith("gateway") and r.levelno >= logging.ERROR]
    assert failed == [], [(r.name, r.getMessage(), r.exc_text) for r in failed[:3]]
    await _every_open_conversation_has_its_messages(gw)


async def _drained(redis, stream: str) -> bool:
    if await redis.xlen(stream):
        return False
    groups = await redis.xinfo_groups(stream)
    return all(int(g["pending"]) == 0 for g in groups)


async def _every_open_conversation_has_its_messages(gw) -> None:
    svc = gw.app[SERVICES]
    opened = 0
    async for key in svc.redis.scan_iter(match=DEMO.conv("*")):
        if key.count(":") != DEMO.conv("x").count(":"):
            continue  # a sub-key of a conversation (messages, sets)
        conv = await svc.redis.hgetall(key)
        if not conv.get("state"):
            continue
        cid = key.rsplit(":", 1)[1]
        opened += 1
        assert await svc.redis.xlen(DEMO.conv_messages(cid)) >= 1, (cid, conv)
    assert opened > 0


async def test_unknown_channels_and_oversized_bodies_are_refused_with_the_envelope(gw, redis):
    async with aiohttp.ClientSession() as http:
        for url, body, code in (
            ("/webhooks/telegram/nope", b"{}", 404),
            ("/webhooks/nope/telegram", b"{}", 404),
            ("/webhooks/whatsapp/telegram", b"{}", 404),  # a channel id of another type
            ("/webhooks/dialer/nope", b"{}", 404),
            ("/webhooks/telegram/telegram", b"x" * (1024 * 1024 + 1), 413),
        ):
            status, _, data = await _post(http, gw.url + url, body, {})
            assert status == code, (url, status, data)
            _refusal_is_an_envelope(status, data)
    assert await redis.xlen(DEMO.webhooks_in()) == 0


async def test_dialer_reports_take_anything_without_a_5xx(gw, redis):
    report = st.fixed_dictionaries(
        {"attempt_id": st.text(max_size=30) | st.sampled_from(["cb_1:1", "cb_00000000000000ff:2", ""]),
         "status": st.sampled_from(["ringing", "answered", "busy", "no_answer", "failed", "completed", "?"])},
        optional={"reason": st.text(max_size=20)})
    async with aiohttp.ClientSession() as http:

        async def post(case: tuple[bytes, bool]) -> None:
            body, signed = case
            status, _, answer = await _post(http, f"{gw.url}/webhooks/dialer/dialer", body,
                                           _omni("demo-dialer-secret", body) if signed else {})
            assert status < 500, (body, status, answer)
            if status != 200:
                _refusal_is_an_envelope(status, answer)
            if not signed:
                assert status == 401

        await explore(fuzz(150), st.tuples(st.one_of(report.map(as_body), payloads("dialer").map(as_body), BODIES),
                                           st.booleans()), post)
