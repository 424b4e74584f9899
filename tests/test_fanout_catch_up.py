"""What a gateway process does after its Socket.IO fan-out lost Redis (a restart, a Sentinel failover):
emits are published (not delivered only here) until a whole peer lease has passed with Redis answering,
since the other processes' leases may have lapsed while they live; and once it listens again, its
sockets are told to catch up — each console gets a fresh ``hello`` with its offers, each visitor tab
``resync`` and its conversation's state (gateway/sockets/reannounce.py)."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from conftest import eventually

from gateway import appkeys as K
from gateway.redis_client import connect
from gateway.sockets import redis_manager
from gateway.sockets.redis_manager import RedisFanout


async def test_a_process_trusts_it_is_alone_only_a_lease_after_redis_failed_it(redis, redis_url, monkeypatch):
    fanout = RedisFanout(redis_url, channel="test-catch-up")
    good = redis  # decoding, as the gateway's own client
    dead = connect("redis://127.0.0.1:1/0")
    try:
        await fanout.refresh_peers(good, "n1")
        assert await fanout.refresh_peers(good, "n1") is False and fanout.alone  # two looks agree: nobody else

        monkeypatch.setattr(redis_manager, "LEASE_S", 1.0)
        with pytest.raises(Exception):  # noqa: B017  (whatever redis-py raises for a refused connection)
            await fanout.refresh_peers(dead, "n1")
        assert not fanout.alone  # a peer's lease may have lapsed meanwhile: publish
        await fanout.refresh_peers(good, "n1")
        await fanout.refresh_peers(good, "n1")
        assert not fanout.alone  # two agreeing looks are not enough within a lease of the failure
        await asyncio.sleep(1.05)
        await fanout.refresh_peers(good, "n1")
        assert fanout.alone
    finally:
        await dead.aclose()


@pytest.mark.timeout(30)
async def test_after_the_fanout_subscribed_again_consoles_and_tabs_catch_up(gateway, redis):
    anna, console = await gateway.agent("anna")
    vera, tab = await gateway.visitor()
    tab_events: list[tuple[str, dict]] = []
    vera.on("resync", lambda data: tab_events.append(("resync", data)), namespace="/visitor")
    token = (await tab.next("session", lambda d: d.get("visitor_token")))["visitor_token"]
    # her second tab, opened before she wrote: it learns of the conversation from the catch-up too
    other_tab, _ = await gateway.socket("/visitor", {"tenant": "demo", "visitor_token": token}, [])
    other_events: list[dict] = []
    other_tab.on("resync", other_events.append, namespace="/visitor")
    ack = await vera.call("message", {"text": "hello", "client_id": "v1"}, namespace="/visitor", timeout=5)
    offer = await console.next("offer")
    assert len(console.all("hello")) == 1

    fanout = gateway.app[K.SIO].manager
    killed = await redis.client_kill_filter(_type="pubsub")  # the fan-out's subscription drops, as in a failover
    assert killed >= 1
    await eventually(lambda: not fanout.alone, 5)  # publish, not deliver locally only, for a lease

    # the console hears a fresh hello listing the offer it may have missed; the tab, to fetch its messages
    hello = await console.next("hello", where=lambda h: h is not console.all("hello")[0], timeout=10)
    assert [o["offer_id"] for o in hello["offers"]] == [offer["offer_id"]]
    assert hello["state"] == "available"
    await eventually(lambda: tab_events and other_events, 5)
    assert tab_events == [("resync", {"conversation_id": ack["conversation_id"]})]
    assert other_events == [{"conversation_id": ack["conversation_id"]}]

    # the agent takes it: the tab, caught up again later, hears who serves it
    assert (await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5))["ok"]
    await tab.next("assigned")
    tab.events.clear()
    await redis.client_kill_filter(_type="pubsub")
    assigned = await tab.next("assigned", timeout=10)
    assert assigned["conversation_id"] == ack["conversation_id"] and assigned["agent"]["name"]
    await eventually(lambda: len(tab_events) == 2, 5)
    async with aiohttp.ClientSession() as http, http.get(f"{gateway.url}/metrics") as r:
        scraped = await r.text()
    assert "omnirelay_fanout_resubscribes_total 2.0" in scraped.splitlines()
    assert 'omnirelay_caught_up_sockets_total{namespace="/agent"} 2.0' in scraped.splitlines()
    assert 'omnirelay_caught_up_sockets_total{namespace="/visitor"} 4.0' in scraped.splitlines()  # two tabs, twice
