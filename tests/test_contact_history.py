"""The 360° view: an agent sees a customer's earlier conversations, found by the same email."""

from __future__ import annotations

import aiohttp


async def _serve(gateway, agent, agent_in, visitor, text, client_id):
    ack = await visitor.call("message", {"text": text, "client_id": client_id}, namespace="/visitor")
    offer = await agent_in.next("offer", lambda o: o["conversation_id"] == ack["conversation_id"])
    accepted = await agent.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
    return ack["conversation_id"], accepted["conversation"]


async def test_earlier_conversations_of_the_same_person_on_another_device(gateway):
    anna, anna_in = await gateway.agent("anna")
    laptop, _ = await gateway.visitor(name="Eva", email="eva@example.com")
    first, _ = await _serve(gateway, anna, anna_in, laptop, "first visit", "l1")
    await anna.call("close", {"conversation_id": first, "wrapup_code": "resolved"}, namespace="/agent")

    phone, _ = await gateway.visitor(name="Eva M.", email="EVA@example.com")  # new device, same person
    second, described = await _serve(gateway, anna, anna_in, phone, "second visit", "p1")
    contact_id = described["contact"]["id"]
    assert described["contact"]["email"] == "eva@example.com"

    token = (await gateway.login("anna"))["token"]
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
        async with http.get(f"{gateway.url}/api/v1/contacts/{contact_id}/conversations") as r:
            assert r.status == 200
            history = await r.json()
        assert [c["id"] for c in history] == [second, first]  # newest first
        assert history[1]["state"] == "closed" and history[1]["last_message"]["text"] == "first visit"
        async with http.get(f"{gateway.url}/api/v1/conversations/{first}") as r:
            assert r.status == 200  # she serves this person now, so she may read the earlier one
            assert [m["text"] for m in (await r.json())["messages"]] == ["first visit"]

    # ben serves nobody of this contact: he sees nothing
    ben_token = (await gateway.login("ben"))["token"]
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {ben_token}"}) as http:
        async with http.get(f"{gateway.url}/api/v1/contacts/{contact_id}/conversations") as r:
            assert r.status == 404


async def test_escalation_to_email_is_recorded_and_joins_the_contact(gateway):
    visitor, v_in = await gateway.visitor(name="Max")
    await visitor.call("message", {"text": "nobody there?", "client_id": "n1"}, namespace="/visitor")
    bad = await visitor.call("escalate", {"to": "email", "email": "not-an-address"}, namespace="/visitor")
    assert bad["error"]["code"] == "bad_email"
    ok = await visitor.call("escalate", {"to": "email", "email": "max@example.com"}, namespace="/visitor")
    assert ok["ok"] is True
    note = await v_in.next("message", lambda m: m["author"]["kind"] == "system")
    assert "max@example.com" in note["text"]
    cb = await visitor.call("escalate", {"to": "callback", "phone": "+49 30 1234567"}, namespace="/visitor")
    assert cb["ok"] is True and cb["phone"] == "+49 30 1234567"
