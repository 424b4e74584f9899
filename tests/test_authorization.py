"""Who may act on what: ids checked before they reach storage, an open conversation cannot be
wrapped up (no capacity overrun), a reused client_id tells an outsider nothing, and an agent's 360°
view never fails open."""

from __future__ import annotations

import aiohttp

from gateway.appkeys import SERVICES
from gateway.keys import TenantKeys


async def _assigned(gateway, agent, agent_in, visitor, text="hello", client_id="x1"):
    ack = await visitor.call("message", {"text": text, "client_id": client_id}, namespace="/visitor")
    offer = await agent_in.next("offer", lambda o: o["conversation_id"] == ack["conversation_id"])
    accepted = await agent.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
    return ack["conversation_id"], accepted["conversation"]


async def test_ids_are_checked_before_they_reach_storage(gateway):
    anna, anna_in = await gateway.agent("anna")
    visitor, _ = await gateway.visitor()
    cid, _ = await _assigned(gateway, anna, anna_in, visitor)
    token = (await gateway.login("sam"))["token"]
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
        for path in (f"conversations/{cid}:msgs", f"conversations/{cid}:cids", "contacts/k_1:ids", "contacts/x"):
            async with http.get(f"{gateway.url}/api/v1/{path}") as r:
                assert r.status == 404, path
                assert (await r.json())["error"]["code"] == "not_found"
    for event in ("history", "message", "close", "typing", "note", "transfer", "label"):
        ack = await anna.call(event, {"conversation_id": f"{cid}:msgs", "text": "x", "client_id": "y"}, namespace="/agent")
        assert ack["error"]["code"] == "not_found", (event, ack)


async def test_an_open_conversation_cannot_be_wrapped_up_past_capacity(gateway):
    anna, anna_in = await gateway.agent("anna")  # chat capacity 3
    engine = gateway.app[SERVICES].router.engine("demo")
    held = []
    for i in range(5):
        visitor, _ = await gateway.visitor(name=f"V{i}")
        ack = await visitor.call("message", {"text": "hi", "client_id": f"w{i}"}, namespace="/visitor")
        if i < 3:
            offer = await anna_in.next("offer", lambda o, c=ack["conversation_id"]: o["conversation_id"] == c)
            await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
            held.append(ack["conversation_id"])
            refused = await anna.call("wrapup", {"conversation_id": ack["conversation_id"], "wrapup_code": "resolved"},
                                      namespace="/agent")
            assert refused["error"]["code"] == "still_open"
    agent = await engine.agent("anna")
    assert agent["load"]["chat"] == 3 and sorted(agent["tasks"]) == sorted(held)
    redis = gateway.app[SERVICES].redis
    states = [await redis.hget(TenantKeys("demo").conv(c), "state") for c in held]
    assert states == ["assigned"] * 3


async def test_a_reused_client_id_tells_an_outsider_nothing(gateway):
    anna, anna_in = await gateway.agent("anna")
    ben, _ = await gateway.agent("ben")
    visitor, _ = await gateway.visitor()
    cid, _ = await _assigned(gateway, anna, anna_in, visitor)
    mine = await anna.call("message", {"conversation_id": cid, "text": "secret", "client_id": "dup"}, namespace="/agent")
    assert mine["seq"] == 2
    theirs = await ben.call("message", {"conversation_id": cid, "text": "?", "client_id": "dup"}, namespace="/agent")
    assert theirs == {"error": {"code": "forbidden", "message": "This conversation is not assigned to you."}}


async def test_the_360_view_does_not_fail_open_without_a_contact_record(gateway):
    anna, anna_in = await gateway.agent("anna")
    ben, ben_in = await gateway.agent("ben")
    stranger, _ = await gateway.visitor(name="Stranger", topic="sales")
    _, other = await _assigned(gateway, ben, ben_in, stranger, client_id="s1")
    visitor, _ = await gateway.visitor(name="Mine")
    _, mine = await _assigned(gateway, anna, anna_in, visitor, client_id="m1")
    # the contact record of anna's own customer is gone (purged, or never written)
    redis = gateway.app[SERVICES].redis
    await redis.delete(TenantKeys("demo").contact(mine["contact"]["id"]))
    token = (await gateway.login("anna"))["token"]
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
        async with http.get(f"{gateway.url}/api/v1/contacts/{other['contact']['id']}") as r:
            assert r.status == 404


async def test_workspace_actions_need_the_conversation(gateway):
    """Notes, labels and transfers of another agent's conversation are refused, and nothing is stored."""
    anna, anna_in = await gateway.agent("anna")
    ben, _ = await gateway.agent("ben")
    visitor, _ = await gateway.visitor()
    cid, _ = await _assigned(gateway, anna, anna_in, visitor)
    for event, data in (("note", {"text": "psst"}), ("label", {"add": "vip"}), ("transfer", {"queue": "tech", "note": "x"})):
        ack = await ben.call(event, {"conversation_id": cid, **data}, namespace="/agent")
        assert ack["error"]["code"] == "forbidden", (event, ack)
    assert await gateway.app[SERVICES].redis.xlen(TenantKeys("demo").conv_messages(cid)) == 1


async def test_an_agent_cannot_call_a_supervisor_action(gateway):
    """Supervisor actions live on /supervisor only (tests/test_supervisor_actions.py: the other tenant)."""
    import socketio

    anna, anna_in = await gateway.agent("anna")
    visitor, _ = await gateway.visitor()
    cid, _ = await _assigned(gateway, anna, anna_in, visitor)
    token = (await gateway.login("anna"))["token"]
    try:
        await gateway.socket("/supervisor", {"token": token})
        raise AssertionError("an agent's token opened /supervisor")
    except socketio.exceptions.ConnectionError:
        pass
    for event in ("assign", "pick_up", "move", "monitor", "whisper", "barge", "agent_state", "logout_agent"):
        ack = await anna.call(event, {"conversation_id": cid, "agent_id": "ben", "queue": "tech", "text": "x",
                                      "state": "offline"}, namespace="/agent")
        assert ack["error"]["code"] == "unknown_event", (event, ack)
    assert await gateway.app[SERVICES].redis.xlen(TenantKeys("demo").conv_messages(cid)) == 1
