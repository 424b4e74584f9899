"""Erasing a contact also erases what the event webhooks hold of them (real Redis, real PostgreSQL,
local aiohttp receivers): deliveries queued behind a hanging receiver (one of them in flight at that
very moment), delivered ones and dead letters are gone from Redis — no key of the webhooks holds the
person's name, email, words or rating comment —, no receiver gets any of them afterwards, a replay of
an erased dead letter answers 410, an event derived just before the erasure is not queued after it, and
``contact.erased`` (ids only) still reaches every receiver."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest
from conftest import eventually
from event_webhook_helpers import Admin, Receiver, fast_config
from history_helpers import history_gateway

from gateway.event_webhooks.consumer import Consumer
from gateway.keys import TenantKeys

pytestmark = pytest.mark.timeout(120)
KEYS = TenantKeys("demo")
AGENT, VISITOR = "/agent", "/visitor"
NAME, EMAIL = "Vera Quellenberg", "vera.quellenberg@example.org"
WORDS = ("Kundennummer Zebrafink-8841", "Rueckruf bitte: Kolibri-2290", "Lob: Pelikan-7313 war super")


def _personal(text: str) -> list[str]:
    return [n for n in (NAME, "Quellenberg", EMAIL, "Zebrafink", "Kolibri", "Pelikan") if n in text]


async def _webhook_dump(redis) -> str:
    """Every key of the tenant's event webhooks and its value, as text (whatever the type)."""
    parts = []
    async for key in redis.scan_iter(match=f"{KEYS.prefix}wh:*", count=1000):
        kind = await redis.type(key)
        value: object = {"string": redis.get, "hash": redis.hgetall, "set": redis.smembers}.get(kind)
        if kind == "list":
            value = await redis.lrange(key, 0, -1)
        elif kind == "zset":
            value = await redis.zrange(key, 0, -1)
        elif callable(value):
            value = await value(key)
        parts.append(f"{key} {value!r}")
    return "\n".join(parts)


async def _full_dump(redis) -> str:
    parts = []
    async for key in redis.scan_iter(count=1000):
        kind = await redis.type(key)
        if kind == "hash":
            parts.append(f"{key} {await redis.hgetall(key)!r}")
        elif kind == "string":
            parts.append(f"{key} {await redis.get(key)!r}")
        elif kind == "list":
            parts.append(f"{key} {await redis.lrange(key, 0, -1)!r}")
        elif kind == "stream":
            parts.append(f"{key} {await redis.xrange(key)!r}")
    return "\n".join(parts)


@pytest.fixture
async def receivers():
    hung = await Receiver(hang=asyncio.Event()).start()  # holds every request until the sender gives up
    ok = await Receiver().start()
    dead = await Receiver(statuses=[503] * 100_000).start()
    yield hung, ok, dead
    for r in (hung, ok, dead):
        await r.stop()


async def _erase(gw, kid: str) -> dict:
    sam = (await gw.login("sam"))["token"]
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {sam}"}) as http:
        async with http.post(f"{gw.url}/api/v1/contacts/{kid}/erase") as r:
            assert r.status == 200, await r.text()
            return await r.json()


def _bodies(receiver: Receiver, since: float = 0.0) -> list[dict]:
    return [json.loads(r.body) for r in receiver.got if r.at >= since]


async def test_erasure_takes_queued_delivered_and_dead_deliveries_and_contact_erased_still_goes_out(
        redis, redis_url, database_url, history_db, receivers, tmp_path):
    hung, ok, dead = receivers
    config = fast_config()
    config.server.media_dir = str(tmp_path / "media")
    async with history_gateway(config, redis_url, database_url) as gw:
        admin = await Admin.login(gw.url)
        queued_sid, _ = await admin.subscribe(hung.url)
        delivered_sid, _ = await admin.subscribe(ok.url)
        dead_sid, _ = await admin.subscribe(dead.url, retry_window_s=1)

        # a contact with two conversations: one served, closed and rated, one still open
        anna, anna_in = await gw.agent("anna")
        vera, vera_in = await gw.visitor(name=NAME, email=EMAIL, language="de")
        first = (await vera.call("message", {"text": WORDS[0], "client_id": "v1"}, namespace=VISITOR))["conversation_id"]
        offer = await anna_in.next("offer", lambda o: o["conversation_id"] == first, timeout=10)
        assert (await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace=AGENT))["ok"]
        await anna.call("message", {"conversation_id": first, "text": f"Hallo {NAME}", "client_id": "a1"},
                        namespace=AGENT)
        assert (await anna.call("close", {"conversation_id": first}, namespace=AGENT))["ok"]
        await vera_in.next("closed", lambda d: d["conversation_id"] == first, timeout=5)
        assert (await vera.call("rate", {"conversation_id": first, "score": 5, "comment": WORDS[2]},
                                namespace=VISITOR))["ok"]
        second = (await vera.call("message", {"text": WORDS[1], "client_id": "v2"},
                                  namespace=VISITOR))["conversation_id"]
        assert second != first
        kid = await redis.hget(KEYS.conv(first), "contact_id")
        assert kid and await redis.hget(KEYS.conv(second), "contact_id") == kid
        convs = {first, second}

        # (b) delivered: the healthy receiver has everything, the rating comment included
        def rated() -> bool:
            types = [b["type"] for b in _bodies(ok)]
            return "rating.given" in types and "contact.created" in types and any(
                b["type"] == "message.created" and b["data"]["conversation"]["id"] == second for b in _bodies(ok))
        await eventually(rated, timeout=20)

        # (c) dead letters: the failing receiver's deliveries gave up after their one-second window
        async def dead_letters() -> list[dict]:
            return (await admin.call("GET", f"/{dead_sid}/dead-letters"))[1]["dead_letters"]

        async def all_dead() -> list[dict]:
            letters = await dead_letters()
            return letters if any(d["key"] == second for d in letters) and any(
                d["type"] == "contact.created" for d in letters) else []
        letters = await eventually(all_dead, timeout=20)
        assert _personal(json.dumps(letters))

        # (a) queued behind the hanging receiver, one attempt in flight right now
        await eventually(lambda: any(n > 0 for n in hung.in_flight.values()), timeout=10)
        assert await redis.llen(KEYS.hook_queue(queued_sid, first)) > 1
        assert set(_personal(await _webhook_dump(redis))) >= {NAME, EMAIL, "Zebrafink", "Kolibri", "Pelikan"}

        started = time.time()
        result = await _erase(gw, kid)
        done = time.time()
        assert result["erased"] is True and result["conversations"] == 2
        assert done - started < 15  # it waited for the attempt in flight (a 2 s timeout), not longer

        # the attempt that was in flight has ended (the erasure waited for it) and recorded nothing
        assert not [m for m in await redis.hkeys(KEYS.hook_leases()) if m.split("|", 1)[1] in convs]
        assert not any(hung.in_flight.values())
        # nothing of the person is left in the webhooks' keys, nor anywhere in Redis
        assert _personal(await _webhook_dump(redis)) == []
        for sid in (queued_sid, delivered_sid, dead_sid):
            for cid in convs:
                assert not await redis.exists(KEYS.hook_queue(sid, cid))
        status, out = await admin.call("GET", f"/{queued_sid}/deliveries")
        assert status == 200 and not [d for d in out["pending"] if d["key"] in convs]
        assert not [a for a in out["recent"] if a.get("key") in convs]

        # an erased dead letter is not sent again: 410, and "replay all" finds none of them
        erased = next(d for d in letters if d["key"] in convs)
        status, out = await admin.call("POST", f"/{dead_sid}/dead-letters/{erased['id']}/replay")
        assert status == 410 and out["error"]["code"] == "erased", out
        status, out = await admin.call("POST", f"/{dead_sid}/dead-letters/replay")
        assert status == 200 and not set(out["replayed"]) & {d["id"] for d in letters}

        # the receivers recover: contact.erased reaches them, nothing of the person does any more
        hung.hang.set()
        dead.statuses.clear()
        for receiver in (hung, ok):
            await eventually(lambda r=receiver: any(b["type"] == "contact.erased" for b in _bodies(r)), timeout=20)
        await asyncio.sleep(1.5)  # time for anything wrongly left queued to go out
        notice = next(b for b in _bodies(ok) if b["type"] == "contact.erased")
        assert notice["data"]["contact_id"] == kid and notice["data"]["conversations"] == 2
        assert _personal(json.dumps(notice)) == []
        for receiver in (hung, ok, dead):
            late = _bodies(receiver, since=done)
            assert _personal(json.dumps(late)) == [], late
            assert not [b for b in late if b["data"].get("conversation", {}).get("id") in convs
                        or b["data"].get("conversation_id") in convs]
        assert _personal(await _webhook_dump(redis)) == []
        assert _personal(await _full_dump(redis)) == []  # the rating comment on the ACD task went too


async def test_an_event_derived_just_before_the_erasure_is_not_queued_after_it(
        redis, redis_url, database_url, history_db, receivers, tmp_path):
    _, ok, _ = receivers
    config = fast_config()
    config.server.media_dir = str(tmp_path / "media")
    async with history_gateway(config, redis_url, database_url) as gw:
        admin = await Admin.login(gw.url)
        sid, _ = await admin.subscribe(ok.url)
        vera, _ = await gw.visitor(name=NAME, email=EMAIL)
        cid = (await vera.call("message", {"text": WORDS[0], "client_id": "v1"}, namespace=VISITOR))["conversation_id"]
        kid = await redis.hget(KEYS.conv(cid), "contact_id")
        await eventually(lambda: any(b["type"] == "message.created" for b in _bodies(ok)), timeout=10)
        await _erase(gw, kid)
        done = time.time()

        # a consumer that read its entries (an SLA breach, a late message) before the erasure and queues
        # them only now: dropped and acknowledged; an unrelated event still goes
        late = Consumer(redis, "demo", "late-reader", claim_idle_s=30)
        entries = [(cid, "sla.breached", {"conversation_id": cid, "queue": "billing", "note": NAME}),
                   ("contact:" + kid, "contact.created", {"contact": {"id": kid, "name": NAME, "email": EMAIL}}),
                   ("channel:web", "channel.health_changed", {"channel": "web", "health": "ok", "previous": "x"})]
        handled = await late.handle([((i, 0), "archive", f"{i}-0", {"k": "event", "t": t, "key": key,
                                                                     "data": json.dumps(data)})
                                     for i, (key, t, data) in enumerate(entries, start=1)])
        assert handled == 3
        assert not await redis.exists(KEYS.hook_queue(sid, cid))
        for did in await redis.lrange(KEYS.hook_queue(sid, "contact:" + kid), 0, -1):  # contact.erased, on its way
            assert await redis.hget(KEYS.hook_delivery(did), "type") == "contact.erased"
        await eventually(lambda: any(b["type"] == "channel.health_changed" for b in _bodies(ok)), timeout=10)
        assert _personal(json.dumps(_bodies(ok, since=done))) == []
        assert _personal(await _webhook_dump(redis)) == []
