"""A visitor writes, an agent is offered the conversation, accepts and answers; the visitor sees it."""

from __future__ import annotations

import asyncio
import time

import aiohttp


async def test_visitor_and_agent_talk_through_offer_and_accept(gateway):
    anna, anna_in = await gateway.agent("anna")
    visitor, v_in = await gateway.visitor(name="Vera", topic="billing", language="en")
    session = await v_in.next("session")
    assert session["conversation_id"] is None and session["visitor_token"]

    ack = await visitor.call("message", {"text": "My invoice is wrong", "client_id": "c1"}, namespace="/visitor")
    assert ack["seq"] == 1 and ack["conversation_id"]
    cid = ack["conversation_id"]

    offer = await anna_in.next("offer")
    assert offer["conversation_id"] == cid
    assert offer["channel"] == "chat" and offer["language"] == "en" and offer["topic"] == "billing"
    assert offer["contact"]["name"] == "Vera"
    assert 0 < offer["expires_in_s"] <= 20

    accepted = await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
    assert accepted["ok"] is True
    assigned = await v_in.next("assigned")
    assert assigned == {"conversation_id": cid, "agent": {"name": "Anna"}}

    history = await anna.call("history", {"conversation_id": cid, "after_seq": 0}, namespace="/agent")
    assert [m["text"] for m in history["messages"]] == ["My invoice is wrong"]

    reply = await anna.call("message", {"conversation_id": cid, "text": "Let me check.", "client_id": "a1"}, namespace="/agent")
    assert reply["seq"] == 2
    got = await v_in.next("message", lambda m: m["author"]["kind"] == "agent")
    assert got["text"] == "Let me check." and got["seq"] == 2 and got["author"]["name"] == "Anna"
    assert set(got) >= {"id", "conversation_id", "seq", "author", "text", "ts"}

    await visitor.call("message", {"text": "Thanks", "client_id": "c2"}, namespace="/visitor")
    seen = await anna_in.next("message", lambda m: m["text"] == "Thanks")
    assert seen["seq"] == 3

    await visitor.emit("typing", {"on": True}, namespace="/visitor")
    assert (await anna_in.next("typing"))["on"] is True

    assert (await anna.call("close", {"conversation_id": cid, "wrapup_code": "resolved"}, namespace="/agent"))["ok"]
    assert (await v_in.next("closed"))["conversation_id"] == cid


async def test_resending_a_client_id_stores_nothing_new(gateway):
    visitor, _ = await gateway.visitor()
    first = await visitor.call("message", {"text": "hello", "client_id": "same"}, namespace="/visitor")
    again = await visitor.call("message", {"text": "hello", "client_id": "same"}, namespace="/visitor")
    assert again == first
    history = await visitor.call("history", {"after_seq": 0}, namespace="/visitor")
    assert len(history["messages"]) == 1


async def test_too_long_and_empty_messages_are_refused_and_nothing_is_stored(gateway):
    visitor, _ = await gateway.visitor()
    long = await visitor.call("message", {"text": "x" * 4097, "client_id": "l"}, namespace="/visitor")
    assert long["error"]["code"] == "too_long"
    empty = await visitor.call("message", {"text": "  ", "client_id": "e"}, namespace="/visitor")
    assert empty["error"]["code"] == "empty"
    broken = await visitor.call("message", "not an object", namespace="/visitor")
    assert broken["error"]["code"] == "bad_request"
    ok = await visitor.call("message", {"text": "x" * 4096, "client_id": "ok"}, namespace="/visitor")
    assert ok["seq"] == 1  # nothing was stored before it


def _clock(monkeypatch) -> list[float]:
    """The message store's and the limiter's clock, standing still at what the returned list holds."""
    import types

    from gateway import ratelimit
    from gateway.store import messages

    now = [time.time()]
    for module in (ratelimit, messages):
        monkeypatch.setattr(module, "time", types.SimpleNamespace(time=lambda: now[0]))
    return now


async def _burst(visitor, prefix: str, n: int) -> list[dict]:
    return [await visitor.call("message", {"text": f"{prefix}{i}", "client_id": f"{prefix}{i}"}, namespace="/visitor")
            for i in range(n)]


async def test_visitor_rate_limit(gateway, monkeypatch):
    # 20 messages per 10 s (the demo's): the burst is held at one moment, however slowly this machine runs it
    now = _clock(monkeypatch)
    now[0] = (int(now[0]) // 10) * 10 + 1.0
    visitor, _ = await gateway.visitor()
    acks = await _burst(visitor, "r", 25)
    refused = [a for a in acks if "error" in a]
    assert refused and all(a["error"]["code"] == "rate_limited" for a in refused)
    assert len([a for a in acks if "seq" in a]) == 20


async def test_a_burst_around_a_window_boundary_does_not_pass_twice_the_limit(gateway, monkeypatch):
    now = _clock(monkeypatch)
    boundary = (int(now[0]) // 10 + 1) * 10.0
    visitor, _ = await gateway.visitor()
    now[0] = boundary - 0.5  # the last half second of one window …
    before = await _burst(visitor, "a", 20)
    now[0] = boundary + 0.5  # … and the first of the next: a fixed window would take 20 more
    after = await _burst(visitor, "b", 20)
    assert all("seq" in a for a in before)
    assert len([a for a in after if "seq" in a]) <= 1  # the previous window still weighs 95 %
    now[0] = boundary + 20.5  # the refused tries count too: once they are a whole window back, 20 pass again
    assert len([a for a in await _burst(visitor, "c", 20) if "seq" in a]) == 20


async def test_bad_tokens_are_refused(gateway):
    import socketio

    for namespace, auth in [("/agent", {"token": "forged.token"}), ("/supervisor", {}), ("/visitor", {"tenant": "nope"})]:
        client = socketio.AsyncClient(reconnection=False)
        try:
            await client.connect(gateway.url, namespaces=[namespace], auth=auth, transports=["websocket"], wait_timeout=3)
            connected = client.connected and namespace in client.namespaces
        except socketio.exceptions.ConnectionError:
            connected = False
        finally:
            await client.disconnect()
        assert not connected, namespace


async def test_login_logout_revokes_the_token(gateway):
    async with aiohttp.ClientSession() as http:
        r = await http.post(f"{gateway.url}/api/v1/login", json={"username": "anna", "password": "wrong"})
        assert r.status == 401
        login = await gateway.login("anna")
        assert login["role"] == "agent" and login["agent_id"] == "anna"
        auth = {"Authorization": f"Bearer {login['token']}"}
        assert (await http.get(f"{gateway.url}/api/v1/me", headers=auth)).status == 200
        assert (await http.post(f"{gateway.url}/api/v1/logout", headers=auth)).status == 200
        assert (await http.get(f"{gateway.url}/api/v1/me", headers=auth)).status == 401
        sup = await gateway.login("sam")
        assert sup["role"] == "supervisor" and sup["agent_id"] is None


async def test_a_visitor_token_resumes_the_same_conversation(gateway):
    v1, in1 = await gateway.visitor()
    token = (await in1.next("session"))["visitor_token"]
    ack = await v1.call("message", {"text": "first", "client_id": "x1"}, namespace="/visitor")
    await v1.disconnect()
    v2, in2 = await gateway.visitor(visitor_token=token)
    session = await in2.next("session")
    assert session == {"visitor_token": token, "conversation_id": ack["conversation_id"]}
    # a forged or other tenant's token gets a fresh visitor
    v3, in3 = await gateway.visitor(visitor_token=token[:-2] + "xx")
    assert (await in3.next("session"))["conversation_id"] is None


async def test_a_reconnecting_console_gets_its_pending_offer_back(gateway):
    anna, anna_in = await gateway.agent("anna")
    visitor, _ = await gateway.visitor()
    ack = await visitor.call("message", {"text": "anyone?", "client_id": "q"}, namespace="/visitor")
    offer = await anna_in.next("offer")
    await anna.disconnect()  # a reload: back well within the disconnect grace
    token = (await gateway.login("anna"))["token"]
    again, again_in = await gateway.socket("/agent", {"token": token}, ["hello"])
    hello = await again_in.next("hello")
    assert hello["state"] == "available"
    assert [o["offer_id"] for o in hello["offers"]] == [offer["offer_id"]]
    assert hello["offers"][0]["conversation_id"] == ack["conversation_id"]
    assert 0 < hello["offers"][0]["expires_in_s"] <= offer["expires_in_s"]
    accepted = await again.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
    assert accepted["ok"] and accepted["conversation"]["conversation_id"] == ack["conversation_id"]


async def test_visitor_who_gives_up_while_waiting_is_counted_as_abandoned(gateway):
    ben, ben_in = await gateway.agent("ben")  # no billing skill: nobody serves the visitor
    visitor, v_in = await gateway.visitor(topic="billing")
    ack = await visitor.call("message", {"text": "hello?", "client_id": "w"}, namespace="/visitor")
    closed = await visitor.call("close", {}, namespace="/visitor")
    assert closed == {"ok": True, "conversation_id": ack["conversation_id"]}
    assert (await v_in.next("closed"))["reason"] == "visitor"
    sam = await gateway.login("sam")
    _, sup_in = await gateway.socket("/supervisor", {"token": sam["token"]}, ["snapshot"])
    snap = await sup_in.next("snapshot")
    billing = next(q for q in snap["queues"] if q["id"] == "billing")
    assert billing["abandoned"] == 1 and billing["waiting"] == 0
    # writing again opens a new conversation
    again = await visitor.call("message", {"text": "me again", "client_id": "w2"}, namespace="/visitor")
    assert again["conversation_id"] != ack["conversation_id"] and again["seq"] == 1


async def test_a_second_tab_sees_the_message_the_first_tab_sent(gateway):
    tab1, in1 = await gateway.visitor()
    token = (await in1.next("session"))["visitor_token"]
    tab2, in2 = await gateway.visitor(visitor_token=token)
    ack = await tab1.call("message", {"text": "from tab 1", "client_id": "t1"}, namespace="/visitor")
    seen = await in2.next("message")
    assert (seen["id"], seen["seq"], seen["client_id"]) == (ack["id"], ack["seq"], "t1")
    # the sending tab has it from its ack: no echo comes back to it
    await asyncio.sleep(0.3)
    assert in1.all("message") == []


async def test_waiting_visitors_hear_their_position_change_at_once(gateway):
    first, in1 = await gateway.visitor(topic="billing", language="de")
    second, in2 = await gateway.visitor(topic="billing", language="de")
    await first.call("message", {"text": "eins", "client_id": "1"}, namespace="/visitor")
    await second.call("message", {"text": "zwei", "client_id": "2"}, namespace="/visitor")
    assert (await in2.next("queue", lambda q: q["position"] == 2))["ewt_s"] is None  # nobody serves billing yet
    await first.call("close", {}, namespace="/visitor")
    moved = await in2.next("queue", lambda q: q["position"] == 1, timeout=2)  # well before the 5 s refresh
    assert moved["conversation_id"]
