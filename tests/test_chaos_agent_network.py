"""Chaos: an agent's network drops (a TCP proxy between console and gateway is cut; no logout).
Back before the disconnect grace, nothing moves; gone past it, their conversation is offered to
someone else — not before the grace, and promptly after it."""

from __future__ import annotations

import asyncio
import time

import pytest
from chaos_helpers import CuttableProxy, chaos_config
from conftest import running_gateway

from gateway.appkeys import SERVICES
from gateway.config import load_config

pytestmark = pytest.mark.timeout(60)
GRACE_S = 2.0


async def test_a_dropped_agent_keeps_work_within_the_grace_and_loses_it_after(tmp_path, redis, redis_url):
    config = load_config(chaos_config(tmp_path, agents=2, grace_s=GRACE_S), env={})
    async with running_gateway(config, redis_url) as gw:
        host, port = gw.server.host, gw.server.port
        proxy = await CuttableProxy((host, port)).start()
        try:
            engine = gw.app[SERVICES].router.engine("demo")
            token = (await gw.login("c00", "anna-demo"))["token"]
            via_proxy = gw.url
            gw.url = proxy.url  # c00's console reaches the gateway through the proxy only
            dropped, dropped_in = await gw.socket("/agent", {"token": token}, ["hello", "offer", "unassigned"])
            gw.url = via_proxy
            assert (await dropped.call("state", {"state": "available"}, namespace="/agent", timeout=5))["state"] == "available"
            visitor, v_in = await gw.visitor(name="Nina Net")
            ack = await visitor.call("message", {"text": "is anyone there?", "client_id": "n1"}, namespace="/visitor", timeout=5)
            cid = ack["conversation_id"]
            offer = await dropped_in.next("offer")
            assert (await dropped.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5))["ok"]
            # another agent, free and qualified for the conversation
            other, other_in = await gw.socket("/agent", {"token": (await gw.login("c01", "anna-demo"))["token"]}, ["offer"])
            assert (await other.call("state", {"state": "available"}, namespace="/agent", timeout=5))["state"] == "available"

            # 1. the network drops and comes back within the grace: nothing moves
            proxy.cut()
            await asyncio.sleep(GRACE_S / 4)
            gw.url = proxy.url
            back, back_in = await gw.socket("/agent", {"token": token}, ["hello", "offer", "unassigned"])
            gw.url = via_proxy
            hello = await back_in.next("hello")
            assert [c["conversation_id"] for c in hello["conversations"]] == [cid]
            await asyncio.sleep(GRACE_S * 1.5)  # well past the grace counted from the drop
            assert set(await engine.assigned_tasks("c00")) == {cid}
            assert (await engine.agent("c00"))["state"] == "available"
            assert other_in.all("offer") == [] and v_in.all("requeued") == [] and back_in.all("unassigned") == []

            # 2. it drops again and stays away: after the grace the conversation goes to the other agent
            proxy.cut()
            cut_at = time.monotonic()
            moved = await other_in.next("offer", lambda o: o["conversation_id"] == cid, timeout=GRACE_S + 5)
            after = time.monotonic() - cut_at
            assert GRACE_S - 0.3 <= after <= GRACE_S + 2.0, after  # not before the grace; promptly after it
            assert (await v_in.next("requeued"))["reason"] == "agent_offline"
            assert (await engine.agent("c00"))["state"] == "offline"
            assert (await other.call("accept", {"offer_id": moved["offer_id"]}, namespace="/agent", timeout=5))["ok"]
            assert cid in await engine.assigned_tasks("c01") and cid not in await engine.assigned_tasks("c00")
            print(f"\nchaos agent network: conversation offered elsewhere {after:.2f} s after the drop (grace {GRACE_S} s)")
        finally:
            await proxy.close()
