"""Presence that is safe, at the socket level: an agent who hands its conversations back puts them
at the head of the line and the customer hears of a transfer (nothing alarming); logout sets the
agent offline at once; the agent is told when the customer leaves, comes back or cannot be reached."""

from __future__ import annotations

import aiohttp
from conftest import running_gateway

from gateway.appkeys import SERVICES
from gateway.conversations.outbound import report_delivery
from gateway.outbound import DeliveryReport, Outcome

PRESENCE = ["hello", "offer", "assigned", "unassigned", "state", "customer_presence", "session_ended"]


async def agent_with_presence(gw, username: str = "anna", *, available: bool = True):
    login = await gw.login(username)
    client, inbox = await gw.socket("/agent", {"token": login["token"]}, PRESENCE)
    if available:
        assert (await client.call("state", {"state": "available"}, namespace="/agent", timeout=5))["state"] == "available"
    return client, inbox, login


async def served(gw, agent, inbox, name: str, text: str):
    """A visitor ``name`` writes and the agent accepts: (visitor client, its inbox, conversation id, token)."""
    visitor, v_in = await gw.visitor(name=name)
    token = (await v_in.next("session", lambda d: d.get("visitor_token")))["visitor_token"]
    ack = await visitor.call("message", {"text": text, "client_id": f"{name}-1"}, namespace="/visitor", timeout=5)
    offer = await inbox.next("offer", lambda o: o["conversation_id"] == ack["conversation_id"])
    assert (await agent.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5)).get("ok")
    await v_in.next("assigned")
    return visitor, v_in, ack["conversation_id"], token


async def test_handing_back_requeues_at_the_head_and_tells_the_customer_of_a_transfer(gateway, redis):
    anna, anna_in, _ = await agent_with_presence(gateway)
    _, v_in, held, _ = await served(gateway, anna, anna_in, "Hana Held", "My bill is wrong")
    # anna stops taking work; a second customer waits in the same queue meanwhile
    assert (await anna.call("state", {"state": "away"}, namespace="/agent", timeout=5))["state"] == "away"
    waiting, _ = await gateway.visitor(name="Walt Waiting")
    later = await waiting.call("message", {"text": "me too", "client_id": "w1"}, namespace="/visitor", timeout=5)

    ack = await anna.call("state", {"state": "offline", "hand_back": True}, namespace="/agent", timeout=5)
    assert ack == {"state": "offline", "handed_back": [held]}
    requeued = await v_in.next("requeued")
    assert requeued == {"conversation_id": held, "reason": "transferred"}  # the calm "being transferred"
    assert (await anna_in.next("unassigned"))["conversation_id"] == held
    assert await redis.hget(f"t:{{demo}}:conv:{held}", "state") == "queued"
    engine = gateway.app[SERVICES].router.engine("demo")
    assert await redis.hget(engine.keys.task(held), "head") == "1"  # ahead of everyone who waits

    # the next agent to come gets the handed-back customer first, before the one who came later
    back, back_in, _ = await agent_with_presence(gateway)
    first = await back_in.next("offer")
    assert first["conversation_id"] == held != later["conversation_id"]


async def test_hand_back_is_refused_unless_it_is_a_plain_offline(gateway):
    anna, anna_in, _ = await agent_with_presence(gateway)
    _, _, held, _ = await served(gateway, anna, anna_in, "Olga Open", "Hello")
    for bad in ({"state": "away", "hand_back": True}, {"state": "offline", "hand_back": "yes"}):
        ack = await anna.call("state", bad, namespace="/agent", timeout=5)
        assert ack["error"]["code"] == "bad_request", ack
    engine = gateway.app[SERVICES].router.engine("demo")
    assert (await engine.agent("anna"))["state"] == "available"  # nothing changed, nothing lost
    assert held in await engine.assigned_tasks("anna")


async def test_going_offline_without_asking_still_says_the_agent_dropped_out(gateway):
    anna, anna_in, _ = await agent_with_presence(gateway)
    _, v_in, held, _ = await served(gateway, anna, anna_in, "Dora Dropped", "Hi")
    ack = await anna.call("state", {"state": "offline"}, namespace="/agent", timeout=5)
    assert ack == {"state": "offline", "handed_back": [held]}
    assert (await v_in.next("requeued"))["reason"] == "agent_offline"


async def test_logout_sets_the_agent_offline_at_once_not_after_the_grace(redis, redis_url, demo_config):
    demo_config.tenants["demo"].disconnect_grace_s = 300.0  # a lost socket alone would keep her for 5 minutes
    async with running_gateway(demo_config, redis_url) as gw:
        anna, anna_in, login = await agent_with_presence(gw)
        _, v_in, held, _ = await served(gw, anna, anna_in, "Lou Logout", "Are you there?")
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {login['token']}"}) as http:
            async with http.post(f"{gw.url}/api/v1/logout") as r:
                assert r.status == 200
        engine = gw.app[SERVICES].router.engine("demo")
        assert (await engine.agent("anna"))["state"] == "offline"  # when the response comes, not later
        assert (await v_in.next("requeued"))["conversation_id"] == held
        assert held not in await engine.assigned_tasks("anna")


async def test_the_agent_sees_the_customer_leave_and_come_back(gateway):
    anna, anna_in, _ = await agent_with_presence(gateway)
    visitor, _, held, token = await served(gateway, anna, anna_in, "Tess Tabs", "One moment")
    second, _ = await gateway.visitor(visitor_token=token)  # a second tab of the same visitor

    await visitor.disconnect()  # one tab closes, one is still open: nothing to tell
    await second.disconnect()  # the last tab closes
    left = await anna_in.next("customer_presence")
    assert left == {"conversation_id": held, "present": False, "reason": "left"}
    assert len(anna_in.all("customer_presence")) == 1

    # a console that connects now shows the customer as gone
    _, again_in, _ = await agent_with_presence(gateway, available=False)
    hello = await again_in.next("hello")
    assert [c["customer_present"] for c in hello["conversations"] if c["conversation_id"] == held] == [False]

    await gateway.visitor(visitor_token=token)
    back = await anna_in.next("customer_presence", lambda d: d["present"])
    assert back == {"conversation_id": held, "present": True, "reason": "back"}


async def test_a_waiting_visitor_who_leaves_is_no_agents_business(gateway):
    anna, anna_in, _ = await agent_with_presence(gateway, available=False)
    visitor, v_in = await gateway.visitor(name="Quinn Queued")
    await visitor.call("message", {"text": "anyone?", "client_id": "q1"}, namespace="/visitor", timeout=5)
    await visitor.disconnect()
    # the state change after it is the proof the disconnect was handled before
    await anna.call("state", {"state": "away"}, namespace="/agent", timeout=5)
    await anna_in.next("state", lambda s: s["state"] == "away")
    assert anna_in.all("customer_presence") == []


async def test_a_failed_delivery_tells_the_agent_the_customer_is_unreachable(gateway):
    anna, anna_in, _ = await agent_with_presence(gateway)
    _, _, held, _ = await served(gateway, anna, anna_in, "Una Reach", "Write me back")
    ack = await anna.call("message", {"conversation_id": held, "text": "Here is the answer", "client_id": "r1"},
                          namespace="/agent", timeout=5)
    svc = gateway.app[SERVICES]
    await report_delivery(svc, DeliveryReport(
        tenant="demo", conversation=held, message_id=f"{held}:{ack['seq']}", client_id="r1",
        outcome=Outcome.FAILED, reason="Forbidden: bot was blocked by the user",
    ))
    gone = await anna_in.next("customer_presence")
    assert gone == {"conversation_id": held, "present": False, "reason": "unreachable",
                    "detail": "Forbidden: bot was blocked by the user"}
