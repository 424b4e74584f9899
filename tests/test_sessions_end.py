"""A login that ends takes its open sockets with it: logout and expiry disconnect the console and
the dashboard, and logout sets the agent offline at once (its customers go back to the line)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import aiohttp

from gateway.appkeys import SERVICES


async def _logout(gateway, token: str) -> None:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
        async with http.post(f"{gateway.url}/api/v1/logout") as r:
            assert r.status == 200


async def _wait_disconnected(client, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if not client.connected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the socket stayed connected")


async def test_logout_disconnects_the_console_and_the_dashboard_and_sets_the_agent_offline(gateway):
    login = await gateway.login("anna")
    anna, anna_in = await gateway.socket("/agent", {"token": login["token"]}, ["offer", "session_ended", "state"])
    assert (await anna.call("state", {"state": "available"}, namespace="/agent"))["state"] == "available"
    visitor, v_in = await gateway.visitor()
    ack = await visitor.call("message", {"text": "hello", "client_id": "h1"}, namespace="/visitor")
    offer = await anna_in.next("offer")
    await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
    await v_in.next("assigned")

    sam_login = await gateway.login("sam")
    sam, sam_in = await gateway.socket("/supervisor", {"token": sam_login["token"]}, ["snapshot", "session_ended"])
    await sam_in.next("snapshot")

    await _logout(gateway, login["token"])
    assert (await anna_in.next("session_ended"))["reason"] == "logged_out"
    await _wait_disconnected(anna)
    # offline at once, not after the disconnect grace: the customer waits for someone who is there
    requeued = await v_in.next("requeued", timeout=3)
    assert requeued["conversation_id"] == ack["conversation_id"]
    engine = gateway.app[SERVICES].router.engine("demo")
    assert (await engine.agent("anna"))["state"] == "offline"

    await _logout(gateway, sam_login["token"])
    await sam_in.next("session_ended")
    await _wait_disconnected(sam)
    snapshots = len(sam_in.all("snapshot"))
    await asyncio.sleep(1.5)
    assert len(sam_in.all("snapshot")) == snapshots  # no tenant-wide data after logout


async def test_an_expired_login_loses_its_sockets(gateway):
    login = await gateway.login("sam")
    sam, sam_in = await gateway.socket("/supervisor", {"token": login["token"]}, ["snapshot", "session_ended"])
    await sam_in.next("snapshot")
    live = gateway.app[SERVICES].live
    sid, (namespace, who) = next(iter(live.sockets.items()))
    # the token's lifetime runs out while the dashboard is open
    live.sockets[sid] = (namespace, replace(who, expires_at=time.time() - 1))
    assert (await sam_in.next("session_ended", timeout=3))["reason"] == "expired"
    await _wait_disconnected(sam)



async def test_a_logout_on_one_process_closes_the_sockets_on_another_within_a_sweep(redis, redis_url, demo_config, monkeypatch):
    """The console may be connected to any process: the one that takes the logout tells the others
    through the tenant's revocations, read once per sweep (not one lookup per socket; the slow round
    over the session keys is stretched to an hour here, so it cannot be what finds it)."""
    from gateway import live_sessions
    from tests.conftest import running_gateway

    monkeypatch.setattr(live_sessions, "FULL_ROUND_S", 3600.0)
    async with running_gateway(demo_config, redis_url) as one, running_gateway(demo_config, redis_url) as two:
        login = await one.login("anna")
        other = await one.login("anna")  # a second login of the same agent stays
        anna, anna_in = await two.socket("/agent", {"token": login["token"]}, ["session_ended"])
        still, still_in = await two.socket("/agent", {"token": other["token"]}, ["session_ended"])
        await _logout(one, login["token"])
        assert (await anna_in.next("session_ended", timeout=3))["reason"] == "logged_out"
        await _wait_disconnected(anna, timeout=3)
        await asyncio.sleep(1.2)  # another sweep: the other login is left alone
        assert still.connected and not still_in.all("session_ended")
        assert await redis.zscore("t:{demo}:sessions:revoked", _session_id(login["token"])) is not None


async def test_a_session_key_that_vanishes_otherwise_is_caught_by_the_slow_round(gateway, redis, monkeypatch):
    """Not revoked through the gateway (deleted by hand, lost with a Redis failover): the sweep's
    round over every open socket's session key finds it (here the round is shortened to 2 s)."""
    from gateway import live_sessions

    monkeypatch.setattr(live_sessions, "FULL_ROUND_S", 2.0)
    login = await gateway.login("anna")
    anna, anna_in = await gateway.socket("/agent", {"token": login["token"]}, ["session_ended"])
    await redis.delete(f"t:{{demo}}:session:{_session_id(login['token'])}")
    assert (await anna_in.next("session_ended", timeout=4))["reason"] == "logged_out"
    await _wait_disconnected(anna)


def _session_id(token: str) -> str:
    import base64
    import json

    payload = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["s"]
