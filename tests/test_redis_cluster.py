"""The gateway on a real Redis Cluster: three primaries on loopback (the embedded package's binaries).

Each tenant's keys share one hash tag (``t:{tenant}:…``), so every script of a tenant runs on the
node that owns its slot. Shown by running the real code paths: two tenants whose slots live on
different primaries each have a conversation routed, answered, noted, closed and rated; a
Telegram delivery goes through the ingest stream; and no script call, nor any background loop,
meets CROSSSLOT (or any other cluster refusal).
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import aiohttp
import pytest
from conftest import FIXTURES, eventually, running_gateway, two_tenants_config
from redis_topology import cluster

from acd import lua_runner
from acd import scripts as acd_scripts
from gateway.keys import TenantKeys
from gateway.redis_client import connect

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
CLUSTER_REFUSALS = ("CROSSSLOT", "non local key", "same slot", "MOVED", "ASK ", "ClusterException", "CLUSTERDOWN")


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory):
    nodes = cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield "redis+cluster://" + ",".join(n.address for n in nodes)
    finally:
        for node in nodes:
            node.stop()


@pytest.fixture
def script_calls(monkeypatch):
    """Every Lua call the gateway makes: (script name, error text or "")."""
    calls: list[tuple[str, str]] = []
    real = lua_runner.LuaRunner.call

    async def recording(self, script, keys, args):
        name = script.name if script.name != "acd" else str(args[-1])  # the ACD's entry travels as the last ARGV
        try:
            result = await real(self, script, keys, args)
        except Exception as err:
            calls.append((name, f"{type(err).__name__}: {err}"))
            raise
        calls.append((name, ""))
        return result

    monkeypatch.setattr(lua_runner.LuaRunner, "call", recording)
    return calls


async def _conversation(gw, agent: str, password: str, visitor_auth: dict) -> str:
    """A customer writes, the agent is offered it, accepts, answers, notes, closes; the customer rates."""
    login = await gw.login(agent, password)
    worker, inbox = await gw.socket("/agent", {"token": login["token"]}, ["offer", "message"])
    assert (await worker.call("state", {"state": "available"}, namespace="/agent", timeout=5))["state"] == "available"
    visitor, v_in = await gw.visitor(**visitor_auth)
    first = await visitor.call("message", {"text": "hello", "client_id": "v1"}, namespace="/visitor", timeout=5)
    cid = first["conversation_id"]
    offer = await inbox.next("offer", lambda o: o["conversation_id"] == cid, timeout=10)
    accepted = await worker.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5)
    assert accepted["ok"], accepted
    await v_in.next("assigned")
    reply = await worker.call("message", {"conversation_id": cid, "text": "how can I help?", "client_id": "a1"},
                              namespace="/agent", timeout=5)
    assert reply["seq"] == 2, reply
    assert (await v_in.next("message", lambda m: m["author"]["kind"] == "agent"))["text"] == "how can I help?"
    await visitor.call("typing", {"on": True}, namespace="/visitor", timeout=5)
    again = await visitor.call("message", {"text": "thanks", "client_id": "v2"}, namespace="/visitor", timeout=5)
    assert again["seq"] == 3
    assert "error" not in await worker.call("note", {"conversation_id": cid, "text": "sorted"}, namespace="/agent", timeout=5)
    closed = await worker.call("close", {"conversation_id": cid}, namespace="/agent", timeout=5)
    assert "error" not in closed, closed
    await v_in.next("closed")
    rated = await visitor.call("rate", {"conversation_id": cid, "score": 5}, namespace="/visitor", timeout=5)
    assert "error" not in rated, rated
    history = await visitor.call("history", {"after_seq": 0}, namespace="/visitor", timeout=5)
    texts = [m["text"] for m in history["messages"] if m["author"]["kind"] in ("visitor", "agent")]
    assert texts == ["hello", "how can I help?", "thanks"]
    return cid


async def test_two_tenants_on_different_primaries_each_served(cluster_url, script_calls, caplog):
    caplog.set_level(logging.ERROR)
    direct = connect(cluster_url)
    try:
        async with asyncio.timeout(50), running_gateway(two_tenants_config(), cluster_url) as gw:
            demo_cid = await _conversation(gw, "anna", "anna-demo", {})
            acme_cid = await _conversation(gw, "zed", "anna-demo", {"tenant": "acme", "topic": "help"})

            # the two tenants' conversations live on different primaries, each wholly on its own
            demo_key, acme_key = TenantKeys("demo").conv(demo_cid), TenantKeys("acme").conv(acme_cid)
            await direct.initialize()  # type: ignore[attr-defined]  (the slot map)
            demo_node = direct.get_node_from_key(demo_key)  # type: ignore[attr-defined]
            acme_node = direct.get_node_from_key(acme_key)  # type: ignore[attr-defined]
            assert demo_node.name != acme_node.name
            for node, key in ((demo_node, demo_key), (acme_node, acme_key)):
                only_there = connect(f"redis://{node.host}:{node.port}")
                try:
                    assert await only_there.exists(key, TenantKeys(key.split("{")[1].split("}")[0]).conv_messages(
                        key.rsplit(":", 1)[1])) == 2
                finally:
                    await only_there.aclose()

            # a messenger delivery: the verified body into the tenant's stream, the consumer group, a conversation
            body = json.loads((FIXTURES / "telegram_text.json").read_text())["payload"]
            body["update_id"] = 770001
            async with aiohttp.ClientSession() as http, http.post(
                f"{gw.url}/webhooks/telegram/telegram", data=json.dumps(body).encode(),
                headers={"X-Telegram-Bot-Api-Secret-Token": "demo-telegram-secret"},
            ) as r:
                assert r.status == 200, await r.text()

            async def telegram_conversation_opened() -> bool:
                return any(name == "delivery_claim" and not error for name, error in script_calls)

            await eventually(telegram_conversation_opened, timeout=10)
            await asyncio.sleep(1.5)  # a few turns of every timer loop (ACD tick, snapshots, sweeps) on the cluster
    finally:
        await direct.aclose()

    refused = [(name, error) for name, error in script_calls if any(r in error for r in CLUSTER_REFUSALS)]
    assert not refused, refused
    logged = [r.getMessage() + " " + (r.exc_text or "") for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [m for m in logged if any(r in m for r in CLUSTER_REFUSALS)], logged
    ran = {name for name, error in script_calls if not error}
    # the store's core and the ACD's routing scripts all ran on the cluster
    for expected in ("append_message", "webhook_append", "delivery_claim", "submit", "accept", "close", "close_conversation"):
        assert expected in ran, sorted(ran)
    every = {p.stem for p in ROOT.glob("**/lua/*.lua") if ".venv" not in p.parts and "node_modules" not in p.parts}
    ran |= set(acd_scripts.LIBRARY)  # the ACD's library is part of every ACD call
    print(f"\n{len(ran & every)} of {len(every)} Lua scripts ran on the cluster; not in this flow: {sorted(every - ran)}")
