"""Supervisors act: force a state, log an agent out, assign, pick up, move, monitor, whisper, barge —
over real sockets on real Redis; races with the agent's own accept have exactly one winner."""

from __future__ import annotations

import asyncio
import time

import pytest
import socketio
from conftest import eventually, running_gateway, two_tenants_config

from gateway.appkeys import SERVICES
from gateway.audit import audit_entries
from gateway.keys import TenantKeys

SUP = "/supervisor"


async def supervisor(gw, username="sam", password=None):
    login = await gw.login(username, password)
    return await gw.socket(SUP, {"token": login["token"]}, ["snapshot", "message"])


async def waiting(gw, visitor, text="hello", client_id="c1"):
    ack = await visitor.call("message", {"text": text, "client_id": client_id}, namespace="/visitor")
    return ack["conversation_id"]


async def served(gw, agent, agent_in, visitor, client_id="c1"):
    cid = await waiting(gw, visitor, client_id=client_id)
    offer = await agent_in.next("offer", lambda o: o["conversation_id"] == cid)
    ack = await agent.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
    assert ack["ok"], ack
    return cid


def conv_field(gw, cid, name):
    return gw.app[SERVICES].redis.hget(TenantKeys("demo").conv(cid), name)


async def actions(gw):
    return [e["action"] for e in await audit_entries(gw.app[SERVICES].redis, TenantKeys("demo"))]


@pytest.mark.parametrize("assign_first", [True, False])
async def test_assign_races_an_accept_and_exactly_one_wins(gateway, assign_first):
    anna, anna_in = await gateway.agent("anna")
    await gateway.agent("ben", available=False)
    await gateway.app[SERVICES].router.set_state("demo", "ben", "away")
    sam, _ = await supervisor(gateway)
    visitor, _ = await gateway.visitor()
    cid = await waiting(gateway, visitor)
    offer = await anna_in.next("offer", lambda o: o["conversation_id"] == cid)

    accept = anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
    assign = sam.call("assign", {"conversation_id": cid, "agent_id": "ben"}, namespace=SUP)
    first, second = (assign, accept) if assign_first else (accept, assign)
    a, b = await asyncio.gather(first, second)
    assign_ack, accept_ack = (a, b) if assign_first else (b, a)

    assert [bool(assign_ack.get("ok")), bool(accept_ack.get("ok"))].count(True) == 1, (assign_ack, accept_ack)
    winner = "ben" if assign_ack.get("ok") else "anna"
    loser = accept_ack if winner == "ben" else assign_ack
    assert loser["error"]["code"] in ("offer_gone", "invalid_state") and loser["error"]["message"]
    assert await conv_field(gateway, cid, "state") == "assigned"
    assert await conv_field(gateway, cid, "agent_id") == winner
    engine = gateway.app[SERVICES].router.engine("demo")
    loads = {a: (await engine.agent(a))["load"]["chat"] for a in ("anna", "ben")}
    assert loads == {"anna": int(winner == "anna"), "ben": int(winner == "ben")}
    if winner == "ben":
        assert "supervisor.assign" in await actions(gateway)


async def test_a_supervisor_rescues_a_customer_stranded_while_the_agent_is_away(gateway):
    anna, anna_in = await gateway.agent("anna", available=False)
    await anna.call("state", {"state": "away"}, namespace="/agent")
    sam, _ = await supervisor(gateway)
    visitor, visitor_in = await gateway.visitor()
    cid = await waiting(gateway, visitor)
    await asyncio.sleep(0.3)
    assert not anna_in.all("offer") and await conv_field(gateway, cid, "state") == "queued"

    picked = await sam.call("pick_up", {"conversation_id": cid}, namespace=SUP)
    assert picked["error"]["code"] == "not_an_agent" and "Assign it to an agent" in picked["error"]["message"]
    over = await sam.call("assign", {"conversation_id": cid, "agent_id": "nobody"}, namespace=SUP)
    assert over["error"]["code"] == "not_found"

    ack = await sam.call("assign", {"conversation_id": cid, "agent_id": "anna"}, namespace=SUP)
    assert ack == {"ok": True, "conversation_id": cid, "agent_id": "anna"}
    got = await anna_in.next("assigned", lambda c: c["conversation_id"] == cid)
    assert got["contact"]["name"] == "Vera"
    assert (await visitor_in.next("assigned"))["agent"]["name"] == "Anna"
    again = await sam.call("assign", {"conversation_id": cid, "agent_id": "ben"}, namespace=SUP)
    assert again["error"]["code"] == "invalid_state"


async def test_assign_stays_within_capacity_and_refuses_offline_agents(gateway):
    await gateway.agent("ben", available=True)  # chat capacity 2
    sam, _ = await supervisor(gateway)
    cids = []
    for i in range(3):
        visitor, _ = await gateway.visitor(name=f"V{i}", topic="tech")
        cids.append(await waiting(gateway, visitor, client_id=f"k{i}"))
    engine = gateway.app[SERVICES].router.engine("demo")
    acks = [await sam.call("assign", {"conversation_id": c, "agent_id": "ben"}, namespace=SUP) for c in cids]
    refused = [a for a in acks if "error" in a]
    assert refused and all(a["error"]["code"] in ("over_capacity", "invalid_state") for a in refused)
    assert (await engine.agent("ben"))["load"]["chat"] == 2
    offline = await sam.call("assign", {"conversation_id": cids[-1], "agent_id": "clara"}, namespace=SUP)
    assert offline["error"]["code"] in ("agent_unavailable", "invalid_state")


async def test_forced_away_stops_offers_and_the_agent_is_told_why(gateway):
    anna, anna_in = await gateway.agent("anna")
    sam, _ = await supervisor(gateway)
    visitor, _ = await gateway.visitor()
    cid = await waiting(gateway, visitor)
    offer = await anna_in.next("offer", lambda o: o["conversation_id"] == cid)

    ack = await sam.call("agent_state", {"agent_id": "anna", "state": "away", "reason": "team meeting"}, namespace=SUP)
    assert ack == {"ok": True, "agent_id": "anna", "state": "away"}
    told = await anna_in.next("state", lambda s: s["state"] == "away")
    assert "Sam" in told["reason"] and "team meeting" in told["reason"]
    revoked = await anna_in.next("offer_revoked")
    assert revoked["offer_id"] == offer["offer_id"]
    late = await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
    assert late["error"]["code"] == "offer_gone"

    other, _ = await gateway.visitor(name="Otto")
    cid2 = await waiting(gateway, other, client_id="c2")
    await asyncio.sleep(0.5)
    assert [o["conversation_id"] for o in anna_in.all("offer")] == [cid]
    assert await conv_field(gateway, cid2, "state") == "queued"
    bad = await sam.call("agent_state", {"agent_id": "anna", "state": "lunch"}, namespace=SUP)
    assert bad["error"]["code"] == "bad_request"
    assert "supervisor.agent_state" in await actions(gateway)


async def test_logout_ends_the_session_and_requeues_at_the_head_of_the_line(gateway):
    anna_login = await gateway.login("anna")
    anna, anna_in = await gateway.agent("anna")
    sam, _ = await supervisor(gateway)
    first, first_in = await gateway.visitor(name="First")
    cid = await served(gateway, anna, anna_in, first)
    await sam.call("agent_state", {"agent_id": "anna", "state": "away"}, namespace=SUP)
    second, _ = await gateway.visitor(name="Second")
    cid2 = await waiting(gateway, second, client_id="c2")  # waits: nobody available

    ack = await sam.call("logout_agent", {"agent_id": "anna"}, namespace=SUP)
    assert ack["ok"] and ack["requeued"] == [cid] and ack["sessions_ended"] >= 2
    assert (await anna_in.next("session_ended"))["reason"] == "logged_out_by_supervisor"
    await eventually(lambda: not anna.connected)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await gateway.socket("/agent", {"token": anna_login["token"]})
    requeued = await first_in.next("requeued")
    assert requeued["reason"] == "transferred"  # the widget's calm "being transferred" notice

    engine = gateway.app[SERVICES].router.engine("demo")
    positions = {p.task_id: p.position for p in await engine.positions(time.time())}
    assert positions[cid] == 1 and positions[cid2] == 2  # the requeued customer is first in line
    assert (await engine.agent("anna"))["state"] == "offline"
    assert "supervisor.logout_agent" in await actions(gateway)


async def test_move_keeps_the_waiting_time_and_refuses_an_answered_conversation(gateway):
    sam, _ = await supervisor(gateway)
    visitor, _ = await gateway.visitor()
    cid = await waiting(gateway, visitor)
    created = float(await conv_field(gateway, cid, "created_at"))
    ack = await sam.call("move", {"conversation_id": cid, "queue": "tech"}, namespace=SUP)
    assert ack == {"ok": True, "conversation_id": cid, "queue": "tech"}
    engine = gateway.app[SERVICES].router.engine("demo")
    task = await engine.task(cid)
    assert task["queue"] == "tech" and task["enqueued_at"] == pytest.approx(created, abs=0.01)
    assert await conv_field(gateway, cid, "queue") == "tech"
    unknown = await sam.call("move", {"conversation_id": cid, "queue": "nowhere"}, namespace=SUP)
    assert unknown["error"]["code"] == "not_found"

    ben, ben_in = await gateway.agent("ben")  # tech 4
    offer = await ben_in.next("offer", lambda o: o["conversation_id"] == cid)
    await ben.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
    refused = await sam.call("move", {"conversation_id": cid, "queue": "billing"}, namespace=SUP)
    assert refused["error"]["code"] == "invalid_state"
    assert await conv_field(gateway, cid, "agent_id") == "ben"


async def test_monitor_receives_the_conversation_read_only(gateway):
    anna, anna_in = await gateway.agent("anna")
    sam, sam_in = await supervisor(gateway)
    visitor, _ = await gateway.visitor()
    cid = await served(gateway, anna, anna_in, visitor)

    ack = await sam.call("monitor", {"conversation_id": cid}, namespace=SUP)
    assert ack["ok"] and [m["text"] for m in ack["messages"]] == ["hello"] and ack["agent_id"] == "anna"
    await visitor.call("message", {"text": "are you there?", "client_id": "c3"}, namespace="/visitor")
    await anna.call("message", {"conversation_id": cid, "text": "yes, looking", "client_id": "a1"}, namespace="/agent")
    await sam_in.next("message", lambda m: m["text"] == "are you there?")
    await sam_in.next("message", lambda m: m["text"] == "yes, looking")
    write = await sam.call("message", {"conversation_id": cid, "text": "hi", "client_id": "s1"}, namespace=SUP)
    assert write["error"]["code"] == "forbidden"
    assert "supervisor.monitor" in await actions(gateway)

    await sam.call("unmonitor", {"conversation_id": cid}, namespace=SUP)
    await visitor.call("message", {"text": "after", "client_id": "c4"}, namespace="/visitor")
    await anna_in.next("message", lambda m: m["text"] == "after")
    await asyncio.sleep(0.2)
    assert "after" not in [m["text"] for m in sam_in.all("message")]


async def test_a_whisper_reaches_the_agent_and_never_the_customer(gateway):
    anna, anna_in = await gateway.agent("anna")
    sam, sam_in = await supervisor(gateway)
    visitor, visitor_in = await gateway.visitor()
    cid = await served(gateway, anna, anna_in, visitor)
    await sam.call("monitor", {"conversation_id": cid}, namespace=SUP)

    ack = await sam.call("whisper", {"conversation_id": cid, "text": "offer the refund", "client_id": "w1"}, namespace=SUP)
    assert ack["ok"] and ack["seq"] == 2
    note = await anna_in.next("message", lambda m: m["text"] == "offer the refund")
    assert (note["author"]["kind"], note["author"]["name"]) == ("note", "Sam")
    await sam_in.next("message", lambda m: m["text"] == "offer the refund")
    await anna.call("message", {"conversation_id": cid, "text": "we can refund", "client_id": "a1"}, namespace="/agent")
    await visitor_in.next("message", lambda m: m["text"] == "we can refund")
    assert "offer the refund" not in [m["text"] for m in visitor_in.all("message")]
    history = await visitor.call("history", {"after_seq": 0}, namespace="/visitor")
    assert [m["text"] for m in history["messages"]] == ["hello", "we can refund"]
    empty = await sam.call("whisper", {"conversation_id": cid, "text": "   "}, namespace=SUP)
    assert "error" in empty
    assert "supervisor.whisper" in await actions(gateway)


async def test_barge_joins_as_a_second_named_person_who_may_write(gateway):
    anna, anna_in = await gateway.agent("anna")
    sam, sam_in = await supervisor(gateway)
    visitor, visitor_in = await gateway.visitor()
    cid = await served(gateway, anna, anna_in, visitor)

    ack = await sam.call("barge", {"conversation_id": cid}, namespace=SUP)
    assert ack["ok"] and ack["agent_id"] == "anna"
    joined = await visitor_in.next("message", lambda m: m["author"]["kind"] == "system")
    assert joined["text"] == "Sam joined the conversation."
    sent = await sam.call("message", {"conversation_id": cid, "text": "I am Anna's lead", "client_id": "s1"},
                          namespace=SUP)
    assert sent["seq"] == 3
    seen = await visitor_in.next("message", lambda m: m["text"] == "I am Anna's lead")
    assert (seen["author"]["kind"], seen["author"]["name"]) == ("agent", "Sam")
    await anna_in.next("message", lambda m: m["text"] == "I am Anna's lead")
    await visitor.call("message", {"text": "thanks both", "client_id": "c9"}, namespace="/visitor")
    await sam_in.next("message", lambda m: m["text"] == "thanks both")
    again = await sam.call("barge", {"conversation_id": cid}, namespace=SUP)
    assert again["ok"]
    await asyncio.sleep(0.2)
    assert len([m for m in visitor_in.all("message") if m["author"]["kind"] == "system"]) == 1
    assert "supervisor.barge" in await actions(gateway)


async def test_agent_detail_shows_conversations_and_todays_states(gateway):
    anna, anna_in = await gateway.agent("anna")
    sam, _ = await supervisor(gateway)
    visitor, _ = await gateway.visitor()
    cid = await served(gateway, anna, anna_in, visitor)
    await sam.call("agent_state", {"agent_id": "anna", "state": "away"}, namespace=SUP)
    detail = await sam.call("agent_detail", {"agent_id": "anna"}, namespace=SUP)
    assert detail["agent"]["state"] == "away" and detail["agent"]["occupancy"] > 0
    assert [c["id"] for c in detail["conversations"]] == [cid]
    assert [s["state"] for s in detail["states"]][-2:] == ["available", "away"]
    snap = await sam_snapshot(gateway)
    anna_row = next(a for a in snap["agents"] if a["id"] == "anna")
    clara_row = next(a for a in snap["agents"] if a["id"] == "clara")
    assert anna_row["connected"] is True and clara_row["connected"] is False
    assert all("sla_threshold_s" in q and q["aht_measured"] is False for q in snap["queues"])


async def sam_snapshot(gw):
    router = gw.app[SERVICES].router
    return await router.snapshot("demo", time.time())


async def test_agents_cannot_act_as_supervisors_and_tenants_stay_apart(redis, redis_url):
    config = two_tenants_config()
    async with running_gateway(config, redis_url) as gw:
        anna_login = await gw.login("anna")
        with pytest.raises(socketio.exceptions.ConnectionError):
            await gw.socket(SUP, {"token": anna_login["token"]})
        anna, anna_in = await gw.agent("anna")
        visitor, _ = await gw.visitor()
        cid = await waiting(gw, visitor)
        await anna_in.next("offer")
        # the agent namespace has no supervisor actions: refused, nothing changes
        for event in ("assign", "pick_up", "move", "monitor", "whisper", "barge", "agent_state", "logout_agent"):
            ack = await anna.call(event, {"conversation_id": cid, "agent_id": "anna", "queue": "tech", "text": "x",
                                          "state": "away"}, namespace="/agent", timeout=3)
            assert ack["error"]["code"] == "unknown_event", (event, ack)
        assert await gw.app[SERVICES].redis.hget(TenantKeys("demo").conv(cid), "state") == "offered"

        sue, _ = await supervisor(gw, "sue", "anna-demo")  # acme's supervisor
        for event, data in (
            ("assign", {"conversation_id": cid, "agent_id": "anna"}),
            ("assign", {"conversation_id": cid, "agent_id": "zed"}),
            ("move", {"conversation_id": cid, "queue": "help"}),
            ("monitor", {"conversation_id": cid}),
            ("whisper", {"conversation_id": cid, "text": "x"}),
            ("barge", {"conversation_id": cid}),
            ("agent_state", {"agent_id": "anna", "state": "away"}),
            ("logout_agent", {"agent_id": "anna"}),
            ("agent_detail", {"agent_id": "anna"}),
        ):
            ack = await sue.call(event, data, namespace=SUP)
            assert ack["error"]["code"] == "not_found", (event, ack)
        engine = gw.app[SERVICES].router.engine("demo")
        assert (await engine.agent("anna"))["state"] == "available"
        assert await gw.app[SERVICES].redis.hget(TenantKeys("demo").conv(cid), "state") == "offered"
