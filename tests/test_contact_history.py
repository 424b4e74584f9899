"""The 360° view, and who a visitor is: a signed identity finds the same person on another device;
a typed email is only a claim and never opens someone else's history."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
import socketio

from gateway.identity import user_hash

SECRET = "demo-identity-secret"  # config/demo.yaml's default


async def _serve(gateway, agent, agent_in, visitor, text, client_id):
    ack = await visitor.call("message", {"text": text, "client_id": client_id}, namespace="/visitor")
    offer = await agent_in.next("offer", lambda o: o["conversation_id"] == ack["conversation_id"])
    accepted = await agent.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
    return ack["conversation_id"], accepted["conversation"]


def _signed(user_id: str, email: str) -> dict:
    return {"user_id": user_id, "user_email": email, "user_hash": user_hash(SECRET, user_id, email)}


async def test_earlier_conversations_of_the_same_signed_in_person_on_another_device(gateway):
    anna, anna_in = await gateway.agent("anna")
    laptop, _ = await gateway.visitor(name="Eva", **_signed("u-1001", "eva@example.com"))
    first, _ = await _serve(gateway, anna, anna_in, laptop, "first visit", "l1")
    await anna.call("close", {"conversation_id": first, "wrapup_code": "resolved"}, namespace="/agent")

    phone, _ = await gateway.visitor(name="Eva M.", **_signed("u-1001", "eva@example.com"))  # new device
    second, described = await _serve(gateway, anna, anna_in, phone, "second visit", "p1")
    contact_id = described["contact"]["id"]
    assert described["contact"]["email"] == "eva@example.com"
    assert described["contact"]["email_verified"] is True

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


async def test_a_typed_email_does_not_take_over_its_owners_contact(gateway):
    ben, ben_in = await gateway.agent("ben")
    owner, _ = await gateway.visitor(name="Eva", topic="sales", **_signed("u-1001", "eva@example.com"))
    private, _ = await _serve(gateway, ben, ben_in, owner, "my account number is 4711", "o1")
    await ben.call("close", {"conversation_id": private, "wrapup_code": "resolved"}, namespace="/agent")
    anna, anna_in = await gateway.agent("anna")

    impostor, _ = await gateway.visitor(name="Mallory", email="eva@example.com")
    _, described = await _serve(gateway, anna, anna_in, impostor, "what did I ask last time?", "i1")
    contact = described["contact"]
    assert contact["name"] == "Mallory"  # not the owner's name
    assert contact["email"] == "eva@example.com" and contact["email_verified"] is False

    token = (await gateway.login("anna"))["token"]
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
        async with http.get(f"{gateway.url}/api/v1/contacts/{contact['id']}/conversations") as r:
            assert [c["id"] for c in await r.json()] != [] and private not in [c["id"] for c in await r.json()]
        async with http.get(f"{gateway.url}/api/v1/conversations/{private}") as r:
            assert r.status == 404  # the owner's earlier conversation stays closed to her


async def test_a_forged_identity_is_refused(gateway):
    forged = {**_signed("u-1001", "eva@example.com"), "user_email": "mallory@example.com"}
    client = socketio.AsyncClient(reconnection=False)
    refused = asyncio.get_running_loop().create_future()
    client.on("connect_error", lambda data: refused.set_result(data), namespace="/visitor")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(gateway.url, namespaces=["/visitor"], transports=["websocket"], wait_timeout=5,
                             auth={"tenant": "demo", "name": "Mallory", **forged})
    data = await asyncio.wait_for(refused, 5)
    assert data["data"]["code"] == "bad_identity"
    assert data["message"] == "the identity signature does not match"
    await client.disconnect()


async def test_an_agent_merges_two_contacts_explicitly_and_it_is_audited(gateway):
    anna, anna_in = await gateway.agent("anna")
    web, _ = await gateway.visitor(name="Eva", email="eva@example.com")
    first, described_first = await _serve(gateway, anna, anna_in, web, "from the laptop", "w1")
    other, _ = await gateway.visitor(name="Eva (phone)", email="eva@example.com")
    second, described = await _serve(gateway, anna, anna_in, other, "from the phone", "w2")
    a, b = described_first["contact"]["id"], described["contact"]["id"]
    assert a != b  # claims never merge on their own

    sam = (await gateway.login("sam"))["token"]
    token = (await gateway.login("anna"))["token"]
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
        async with http.post(f"{gateway.url}/api/v1/contacts/{b}/merge", json={"from": a}) as r:
            assert r.status == 200, await r.text()
            merged = await r.json()
        async with http.get(f"{gateway.url}/api/v1/contacts/{b}/conversations") as r:
            assert {c["id"] for c in await r.json()} == {first, second}
    assert merged["id"] == a  # the older contact survives
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {sam}"}) as http:
        async with http.get(f"{gateway.url}/api/v1/audit") as r:
            entries = await r.json()
    assert entries[0]["action"] == "contact.merge" and entries[0]["actor"] == "anna"
    assert set(entries[0]["details"]["contacts"]) == {a, b}


async def test_escalation_to_email_is_recorded_as_a_claim_in_the_conversations_language(gateway):
    visitor, v_in = await gateway.visitor(name="Max", language="de")
    await visitor.call("message", {"text": "ist da jemand?", "client_id": "n1"}, namespace="/visitor")
    bad = await visitor.call("escalate", {"to": "email", "email": "not-an-address"}, namespace="/visitor")
    assert bad["error"]["code"] == "bad_email"
    long = await visitor.call("escalate", {"to": "email", "email": "a" * 300 + "@example.com"}, namespace="/visitor")
    assert long["error"]["code"] == "bad_email"
    ok = await visitor.call("escalate", {"to": "email", "email": "max@example.com"}, namespace="/visitor")
    assert ok["ok"] is True
    note = await v_in.next("message", lambda m: m["author"]["kind"] == "system")
    assert note["text"] == "Weiter per E-Mail: max@example.com"
    again = await visitor.call("escalate", {"to": "email", "email": "max@example.com"}, namespace="/visitor")
    assert again["ok"] is True
    history = await visitor.call("history", {"after_seq": 0}, namespace="/visitor")
    assert [m["author"]["kind"] for m in history["messages"]] == ["visitor", "system"]  # no second line
    cb = await visitor.call("escalate", {"to": "callback", "phone": "+49 30 1234567", "at": "2999-01-01T10:00:00Z"},
                            namespace="/visitor")
    assert cb["error"]["code"] == "bad_time"
    cb = await visitor.call("escalate", {"to": "callback", "phone": "+49 30 1234567"}, namespace="/visitor")
    assert cb["ok"] is True and cb["phone"] == "+49 30 1234567"
