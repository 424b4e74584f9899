"""Webhooks in, through the real gateway and Redis, with the test-only ``echo`` bridge:
verify → durable stream → 200, then the worker: split, dedupe with the outcome, parse, handle."""

from __future__ import annotations

import asyncio
import io
import json

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from echo import SECRET, SIGNATURE, SPEC, FakeVendor, echo_gateway, eventually, sign

from bridges.events import Message, Reaction
from bridges.registry import BRIDGES
from gateway.keys import TenantKeys
from gateway.webhooks import ingest

STREAM = TenantKeys("demo").webhooks_in()


@pytest.fixture(autouse=True)
def echo_registered(monkeypatch):
    monkeypatch.setitem(BRIDGES, "echo", SPEC)
    monkeypatch.setattr(ingest, "RETRY_IDLE_S", 0.3)  # retries come quickly in tests


@pytest.fixture
async def vendor():
    server = TestServer(FakeVendor().app, host="127.0.0.1", port=0)
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


class Handled:
    """The handler given to the gateway: records events; ``fail`` holds message ids to fail once."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, object]] = []
        self.calls: list[str] = []
        self.fail: set[str] = set()

    async def __call__(self, tenant: str, channel: str, event) -> None:
        self.calls.append(event.message_id)
        if event.message_id in self.fail:
            self.fail.discard(event.message_id)
            raise RuntimeError("conversation service down for a moment")
        self.events.append((tenant, channel, event))

    def texts(self) -> list[str]:
        return [e.text for _, _, e in self.events if isinstance(e, Message)]


def text(uid: str, words: str, user: str = "42") -> dict:
    return {"id": uid, "type": "text", "from": {"id": user, "name": "Ada"}, "chat": f"c{user}", "text": words}


async def _empty(redis) -> bool:
    return await redis.xlen(STREAM) == 0


async def post(http: aiohttp.ClientSession, url: str, updates: list[dict] | bytes, *, secret: str = SECRET,
               signature: str | None = None, path: str = "/webhooks/echo/echo") -> aiohttp.ClientResponse:
    body = updates if isinstance(updates, bytes) else json.dumps({"updates": updates}).encode()
    headers = {SIGNATURE: signature if signature is not None else sign(secret, body)}
    async with http.post(url + path, data=body, headers=headers) as r:
        await r.read()
        return r


async def test_a_bad_or_missing_signature_is_401_and_nothing_is_stored(redis, redis_url, vendor):
    handled = Handled()
    async with echo_gateway(redis_url, vendor, handler=handled) as gw, aiohttp.ClientSession() as http:
        assert (await post(http, gw.url, [text("1", "hi")], secret="wrong")).status == 401
        assert (await post(http, gw.url, [text("1", "hi")], signature="")).status == 401
        await asyncio.sleep(0.3)
        assert await redis.xlen(STREAM) == 0 and handled.calls == []


async def test_unknown_channel_404_too_big_413_malformed_400(redis, redis_url, vendor):
    async with echo_gateway(redis_url, vendor, handler=Handled()) as gw, aiohttp.ClientSession() as http:
        assert (await post(http, gw.url, [text("1", "hi")], path="/webhooks/echo/nope")).status == 404
        # a channel id of another type is unknown under this type's URL
        assert (await post(http, gw.url, [text("1", "hi")], path="/webhooks/echo/telegram")).status == 404
        assert (await post(http, gw.url, [text("1", "hi")], path="/webhooks/telegram/echo")).status == 404
        big = b"x" * (1024 * 1024 + 1)
        async with http.post(f"{gw.url}/webhooks/echo/echo", data=io.BytesIO(big),
                             headers={SIGNATURE: sign(SECRET, big), "Connection": "close"}) as r:
            assert r.status == 413
        assert (await post(http, gw.url, b"{not json")).status == 400
        assert (await post(http, gw.url, b'{"updates": [{"no": "id"}]}')).status == 400
        assert await redis.xlen(STREAM) == 0


async def test_a_batch_of_three_is_handled_in_order_and_a_repeat_once(redis, redis_url, vendor):
    handled = Handled()
    batch = [text("1", "one"), text("2", "two"), text("3", "three")]
    async with echo_gateway(redis_url, vendor, handler=handled) as gw, aiohttp.ClientSession() as http:
        assert (await post(http, gw.url, batch)).status == 200
        await eventually(lambda: len(handled.events) == 3)
        assert handled.texts() == ["one", "two", "three"]
        tenant, channel, first = handled.events[0]
        assert (tenant, channel) == ("demo", "echo")
        assert first.customer.id == "42" and first.thread == "c42" and first.raw == batch[0]
        # the platform retries (it missed our 200): answered 200, handled once
        assert (await post(http, gw.url, batch)).status == 200
        assert (await post(http, gw.url, [text("3", "three"), text("4", "four")])).status == 200
        await eventually(lambda: len(handled.events) == 4)
        await asyncio.sleep(0.5)
        assert handled.texts() == ["one", "two", "three", "four"]
        await eventually(lambda: _empty(redis))


async def test_a_failed_handling_is_retried_then_handled_once(redis, redis_url, vendor):
    handled = Handled()
    handled.fail.add("2")
    async with echo_gateway(redis_url, vendor, handler=handled) as gw, aiohttp.ClientSession() as http:
        assert (await post(http, gw.url, [text("1", "one"), text("2", "two"), text("3", "three")])).status == 200
        await eventually(lambda: len(handled.events) == 3)
        # "2" failed once and came back; "3" waited for it (order kept); "1" was not handled again
        assert handled.calls == ["1", "2", "2", "3"]
        assert handled.texts() == ["one", "two", "three"]
        await eventually(lambda: _empty(redis))
        # the platform's retry of the same batch changes nothing
        assert (await post(http, gw.url, [text("2", "two")])).status == 200
        await asyncio.sleep(0.5)
        assert handled.calls == ["1", "2", "2", "3"]


async def test_unsupported_payloads_are_acknowledged_and_others_parsed(redis, redis_url, vendor):
    handled = Handled()
    reaction = {"id": "r1", "type": "reaction", "from": {"id": "42"}, "chat": "c42", "target": "1", "emoji": "👍"}
    async with echo_gateway(redis_url, vendor, handler=handled) as gw, aiohttp.ClientSession() as http:
        sticker = {"id": "s1", "type": "hologram", "from": {"id": "42"}, "chat": "c42"}
        assert (await post(http, gw.url, [sticker, reaction])).status == 200
        await eventually(lambda: len(handled.events) == 1)
        assert isinstance(handled.events[0][2], Reaction) and handled.events[0][2].emoji == "👍"
        await eventually(lambda: _empty(redis))
        async with http.get(f"{gw.url}/metrics") as r:
            metrics = await r.text()
        assert 'omnirelay_bridge_events_total{kind="Unsupported",type="echo"} 1.0' in metrics
        assert 'omnirelay_webhooks_total{outcome="accepted",type="echo"} 1.0' in metrics


async def test_entries_of_a_dead_consumer_are_taken_over(redis, redis_url, vendor):
    handled = Handled()
    async with echo_gateway(redis_url, vendor, handler=handled) as gw, aiohttp.ClientSession() as http:
        assert (await post(http, gw.url, [text("1", "one")])).status == 200
        await eventually(lambda: len(handled.events) == 1)
        # a consumer that read an entry and died before handling it
        body = json.dumps({"updates": [text("9", "orphan")]}).encode()
        await redis.xadd(STREAM, {"channel": "echo", "body": body})
        await redis.xreadgroup(ingest.GROUP, "dead-node", {STREAM: ">"}, count=1)
        await eventually(lambda: len(handled.events) == 2)
        assert handled.texts() == ["one", "orphan"]


async def test_a_channel_without_its_secret_rejects_everything(redis, redis_url, vendor, caplog):
    handled = Handled()
    async with echo_gateway(redis_url, vendor, handler=handled, secret="") as gw, aiohttp.ClientSession() as http:
        assert (await post(http, gw.url, [text("1", "hi")], secret="")).status == 401
        async with http.get(f"{gw.url}/healthz") as r:
            assert (await r.json())["channels"]["echo"] == {"type": "echo", "health": "disabled: secret not configured"}
    assert handled.calls == [] and await redis.xlen(STREAM) == 0
    assert [r for r in caplog.records if "channel disabled" in r.getMessage()]


async def test_the_subscription_handshake(redis, redis_url, vendor):
    async with echo_gateway(redis_url, vendor, handler=Handled()) as gw, aiohttp.ClientSession() as http:
        url = f"{gw.url}/webhooks/echo/echo"
        async with http.get(url, params={"challenge": "c-123", "verify_token": "echo-verify"}) as r:
            assert r.status == 200 and await r.text() == "c-123"
        async with http.get(url, params={"challenge": "c-123", "verify_token": "guess"}) as r:
            assert r.status == 403
        async with http.get(f"{gw.url}/healthz") as r:
            assert (await r.json())["channels"]["echo"] == {"type": "echo", "health": "ok"}
