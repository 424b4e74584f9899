"""What an integrator does with a key, seen where people see it: a bot's message reaches the widget
visitor and the agent, once; a close and a transfer reach the customer and the ACD; contacts are made,
found, changed and merged, each audited with the key's name; the live state matches the dashboard's."""

from __future__ import annotations

import pytest
from admin_helpers import call
from apikey_helpers import make_key

from acd import replies
from gateway.audit import audit_entries
from gateway.keys import TenantKeys

pytestmark = pytest.mark.timeout(90)
DEMO = TenantKeys("demo")
VISITOR, AGENT = "/visitor", "/agent"


async def served(gateway):
    """Vera writes, anna takes it: (visitor, visitor inbox, agent inbox, conversation id)."""
    anna, anna_in = await gateway.agent("anna")
    vera, vera_in = await gateway.visitor(name="Vera")
    cid = (await vera.call("message", {"text": "where is my order?", "client_id": "v1"}, namespace=VISITOR))["conversation_id"]
    offer = await anna_in.next("offer", lambda o: o["conversation_id"] == cid)
    assert (await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace=AGENT))["ok"]
    return vera, vera_in, anna_in, cid


async def test_a_bot_message_reaches_the_visitor_and_the_agent_once(gateway, redis):
    key = (await make_key(gateway, "order-bot", ["write"]))["key"]
    _, vera_in, anna_in, cid = await served(gateway)
    body = {"text": "Your order 4711 left our warehouse today.", "client_id": "crm-4711",
            "author": {"kind": "bot", "name": "Order bot"}}
    status, posted, _ = await call(gateway, "POST", f"/api/v1/conversations/{cid}/messages", key, body)
    assert status == 201 and posted["seq"] == 2 and not posted["duplicate"], posted
    seen = await vera_in.next("message", lambda m: m["text"] == body["text"])
    assert seen["author"]["name"] == "Order bot" and seen["bot"] is True and seen["seq"] == 2
    await anna_in.next("message", lambda m: m["text"] == body["text"] and m["author"]["name"] == "Order bot")
    # the same client_id again: nothing new, the same message
    status, again, _ = await call(gateway, "POST", f"/api/v1/conversations/{cid}/messages", key, body)
    assert status == 200 and again["duplicate"] and again["id"] == posted["id"]
    # as a named agent, under that name
    status, _, _ = await call(gateway, "POST", f"/api/v1/conversations/{cid}/messages", key,
                              {"text": "Anything else?", "author": {"kind": "agent", "name": "Anna's colleague"}})
    assert status == 201
    await vera_in.next("message", lambda m: m["text"] == "Anything else?" and "bot" not in m)
    assert [m["text"] for m in vera_in.all("message")].count(body["text"]) == 1
    assert await redis.xlen(DEMO.conv_messages(cid)) == 3
    for bad in ({"text": ""}, {"text": "x", "author": {"kind": "visitor", "name": "Vera"}},
                {"text": "x", "author": {"kind": "bot", "name": ""}}, {"text": "x" * 100_000}):
        status, refused, _ = await call(gateway, "POST", f"/api/v1/conversations/{cid}/messages", key, bad)
        assert status in (400, 413) and refused["error"]["message"], (bad, refused)
    assert await redis.xlen(DEMO.conv_messages(cid)) == 3
    audit = [e for e in await audit_entries(redis, DEMO) if e["action"] == "conversation.message"]
    assert [(e["actor"], e["role"], e["details"]["as"]) for e in audit] == [
        ("apikey:order-bot", "api_key", "agent"), ("apikey:order-bot", "api_key", "bot")]


async def test_close_and_transfer_reach_the_customer_and_the_acd(gateway, redis):
    key = (await make_key(gateway, "crm", ["write"]))["key"]
    _, vera_in, anna_in, cid = await served(gateway)
    status, body, _ = await call(gateway, "POST", f"/api/v1/conversations/{cid}/transfer", key, {"queue": "nowhere"})
    assert status == 404
    status, body, _ = await call(gateway, "POST", f"/api/v1/conversations/{cid}/transfer", key, {"queue": "tech"})
    assert status == 200, body
    await anna_in.next("unassigned", lambda e: e["conversation_id"] == cid)
    assert await redis.hget(DEMO.conv(cid), "queue") == "tech"
    status, listed, _ = await call(gateway, "GET", "/api/v1/conversations?queue=tech", key)
    assert [c["id"] for c in listed["conversations"]] == [cid]

    status, body, _ = await call(gateway, "POST", f"/api/v1/conversations/{cid}/close", key, {"wrapup_code": "resolved"})
    assert status == 200, body
    closed = await vera_in.next("closed", lambda e: e["conversation_id"] == cid)
    assert closed["reason"] == "agent"
    status, body, _ = await call(gateway, "POST", f"/api/v1/conversations/{cid}/close", key, {})
    assert status == 409 and body["error"]["code"] == "closed"
    status, body, _ = await call(gateway, "POST", f"/api/v1/conversations/{cid}/messages", key, {"text": "late"})
    assert status == 409
    actions = [(e["action"], e["actor"]) for e in await audit_entries(redis, DEMO) if e["action"].startswith("conversation.")]
    assert ("conversation.transfer", "apikey:crm") in actions and ("conversation.close", "apikey:crm") in actions


async def test_contacts_made_found_changed_and_merged_with_the_keys_name_in_the_audit(gateway, redis):
    key = (await make_key(gateway, "crm", ["write"]))["key"]
    reader = (await make_key(gateway, "reader", ["read"]))["key"]
    status, made, _ = await call(gateway, "POST", "/api/v1/contacts", key,
                                 {"name": "Vera Kunde", "email": "Vera@Kunde.example", "user_id": "crm-10077"})
    assert status == 201 and made["created"] and made["identities"] == ["user:crm-10077"]
    assert made["email"] == "vera@kunde.example" and made["email_verified"] is False
    status, again, _ = await call(gateway, "POST", "/api/v1/contacts", key, {"user_id": "crm-10077"})
    assert status == 200 and again["id"] == made["id"] and not again["created"]
    status, found, _ = await call(gateway, "GET", "/api/v1/contacts?user_id=crm-10077", reader)
    assert status == 200 and [c["id"] for c in found] == [made["id"]]
    status, found, _ = await call(gateway, "GET", "/api/v1/contacts?user_id=nobody", reader)
    assert status == 200 and found == []
    status, changed, _ = await call(gateway, "PATCH", f"/api/v1/contacts/{made['id']}", key, {"name": "Vera K.", "phone": "+49 30 123456"})
    assert status == 200 and changed["name"] == "Vera K." and changed["phone"] == "4930123456"
    status, body, _ = await call(gateway, "PATCH", f"/api/v1/contacts/{made['id']}", key, {"email": "not an address"})
    assert status == 400 and body["error"]["code"] == "bad_email"
    status, body, _ = await call(gateway, "PATCH", f"/api/v1/contacts/{made['id']}", reader, {"name": "Mallory"})
    assert status == 403 and body["error"]["code"] == "insufficient_scope"
    assert await redis.hget(DEMO.contact(made["id"]), "name") == "Vera K."

    # the widget visitor is another contact until the integrator says they are one person
    vera, _ = await gateway.visitor(name="Vera")
    cid = (await vera.call("message", {"text": "hi", "client_id": "v1"}, namespace=VISITOR))["conversation_id"]
    other = await redis.hget(DEMO.conv(cid), "contact_id")
    status, merged, _ = await call(gateway, "POST", f"/api/v1/contacts/{made['id']}/merge", key, {"from": other})
    assert status == 200, merged
    status, convs, _ = await call(gateway, "GET", f"/api/v1/contacts/{other}/conversations", reader)
    assert status == 200 and [c["id"] for c in convs] == [cid]
    assert set(replies.members(await redis.smembers(DEMO.contact_identities(merged["id"])))) >= {"user:crm-10077"}
    audit = {e["action"]: e for e in await audit_entries(redis, DEMO)}
    assert audit["contact.merge"]["actor"] == "apikey:crm" and audit["contact.merge"]["role"] == "api_key"
    assert set(audit["contact.merge"]["details"]["contacts"]) == {made["id"], other}
    assert audit["contact.create"]["actor"] == audit["contact.update"]["actor"] == "apikey:crm"


async def test_live_state_of_queues_and_agents(gateway, redis):
    key = (await make_key(gateway, "wallboard", ["read"]))["key"]
    await gateway.agent("anna")
    vera, _ = await gateway.visitor(name="Quinn", topic="sales")  # ben and clara sell; both offline
    await vera.call("message", {"text": "a quote?", "client_id": "q1"}, namespace=VISITOR)
    status, queues, _ = await call(gateway, "GET", "/api/v1/live/queues", key)
    assert status == 200 and next(q for q in queues["queues"] if q["id"] == "sales")["waiting"] == 1
    status, agents, _ = await call(gateway, "GET", "/api/v1/live/agents", key)
    states = {a["id"]: a["state"] for a in agents["agents"]}
    assert status == 200 and states["anna"] == "available" and states["ben"] == "offline"
