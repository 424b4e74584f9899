"""The event types tests/test_event_webhooks.py does not reach, each from a real cause through the
gateway, each checked against the data shape docs/webhooks.md documents and the signature:
sla.breached (a queue with a 1 s threshold), channel.health_changed (a Telegram stand-in answering
401), conversation.transferred, conversation.escalated (to email), rating.given (with the customer's
comment, every time), contact.created, contact.merged and contact.erased (nothing of the person)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import aiohttp
import pytest
from conftest import DEMO_CONFIG, FIXTURES, eventually, running_gateway
from event_webhook_helpers import FAST, Admin, Receiver, fast_config
from history_helpers import history_gateway

from bridges.telegram.inbound import SECRET_HEADER
from gateway.config import load_config
from gateway.signing import verify

sys.path.insert(0, str(Path(__file__).parent / "bridges"))  # the Telegram stand-in of the bridge tests
from telegram_standin import StandIn, running  # noqa: E402

pytestmark = pytest.mark.timeout(90)
AGENT, VISITOR = "/agent", "/visitor"
CONVERSATION_KEYS = {"id", "channel", "channel_type", "work_channel", "queue", "topic", "language", "state", "agent_id",
                     "contact_id", "created_at", "closed_at", "close_reason", "wrapup_code", "labels"}
ENVELOPE_KEYS = {"id", "type", "tenant", "created_at", "ts", "data"}


@pytest.fixture
async def receiver():
    r = await Receiver().start()
    yield r
    await r.stop()


def received(receiver: Receiver, secret: str, event_type: str) -> list[dict]:
    """The bodies of ``event_type`` the receiver accepted, each checked for its envelope and signature."""
    out = []
    for r in receiver.delivered():
        body = json.loads(r.body)
        if body["type"] != event_type:
            continue
        assert verify(secret, r.headers["X-Omnirelay-Signature"], r.body), event_type
        assert set(body) == ENVELOPE_KEYS and body["tenant"] == "demo" and r.headers["X-Omnirelay-Event"] == event_type
        out.append(body)
    return out


async def wait_for(receiver: Receiver, secret: str, event_type: str, count: int = 1, timeout: float = 15) -> list[dict]:
    return await eventually(lambda: (got := received(receiver, secret, event_type)) and len(got) >= count and got,
                            timeout=timeout)


async def served(gw, name: str, text: str, agent="anna", **auth) -> tuple[str, object, object]:
    """A visitor's conversation accepted by ``agent``: (conversation id, visitor client, agent client)."""
    visitor, _ = await gw.visitor(name=name, **auth)
    cid = (await visitor.call("message", {"text": text, "client_id": f"{name}-1"}, namespace=VISITOR))["conversation_id"]
    client, inbox = gw.agents[agent]
    offer = await inbox.next("offer", lambda o: o["conversation_id"] == cid, timeout=10)
    assert (await client.call("accept", {"offer_id": offer["offer_id"]}, namespace=AGENT))["ok"]
    return cid, visitor, client


async def with_agents(gw, *names: str):
    gw.agents = {n: await gw.agent(n) for n in names}


async def test_sla_breached_is_sent_once_when_a_waiting_customer_passes_the_threshold(redis, redis_url, receiver):
    cfg = fast_config()
    cfg.tenants["demo"].queues["billing"].sla_threshold_s = 1
    async with running_gateway(cfg, redis_url) as gw:
        admin = await Admin.login(gw.url)
        _, secret = await admin.subscribe(receiver.url, events=["sla.breached"])
        visitor, _ = await gw.visitor(name="Walter Waiting", topic="billing")  # nobody is available
        cid = (await visitor.call("message", {"text": "my bill is wrong", "client_id": "w1"},
                                  namespace=VISITOR))["conversation_id"]
        (event,) = await wait_for(receiver, secret, "sla.breached", timeout=10)
        data = event["data"]
        assert set(data) == {"conversation_id", "queue", "threshold_s", "waited_s"}  # no conversation object
        assert data["conversation_id"] == cid and data["queue"] == "billing" and data["threshold_s"] == 1
        assert 1 <= data["waited_s"] < 5
        await asyncio.sleep(2.0)
        assert len(received(receiver, secret, "sla.breached")) == 1  # once per waiting conversation


async def test_channel_health_changed_when_telegram_refuses_the_token(redis, redis_url, receiver):
    async with running(StandIn()) as api:  # our token is not its token: every call answers 401
        env = {"TELEGRAM_API_BASE": api.url, "TELEGRAM_SECRET": "hooks-telegram-secret", "TELEGRAM_TOKEN": "999:wrong"}
        cfg = load_config(DEMO_CONFIG, env=env)
        cfg.event_webhooks = FAST
        async with running_gateway(cfg, redis_url) as gw, aiohttp.ClientSession() as http:
            admin = await Admin.login(gw.url)
            _, secret = await admin.subscribe(receiver.url, events=["channel.health_changed"])
            await with_agents(gw, "anna", "ben")
            update = json.loads((FIXTURES / "telegram_text.json").read_text())["payload"]
            async with http.post(f"{gw.url}/webhooks/telegram/telegram", data=json.dumps(update).encode(),
                                 headers={SECRET_HEADER: "hooks-telegram-secret"}) as r:
                assert r.status == 200, await r.text()
            offer = None
            for name in ("anna", "ben"):
                client, inbox = gw.agents[name]
                try:
                    offer = await inbox.next("offer", timeout=5)
                except TimeoutError:
                    continue
                assert (await client.call("accept", {"offer_id": offer["offer_id"]}, namespace=AGENT))["ok"]
                await client.call("message", {"conversation_id": offer["conversation_id"], "text": "Hello from us",
                                              "client_id": "r1"}, namespace=AGENT)
                break
            assert offer is not None
            (event,) = await wait_for(receiver, secret, "channel.health_changed")
            assert event["data"] == {"channel": "telegram", "health": "auth_failed", "previous": "ok"}
            assert any(c.method == "sendMessage" for c in api.calls)


async def test_transfer_escalation_and_rating_carry_their_documented_data(redis, redis_url, receiver):
    cfg = fast_config()
    cfg.tenants["demo"].queues["billing"].wrapup_s = 0  # a closed conversation frees anna's slot at once
    async with running_gateway(cfg, redis_url) as gw:
        admin = await Admin.login(gw.url)
        _, secret = await admin.subscribe(receiver.url, events=[
            "conversation.transferred", "conversation.escalated", "rating.given"])
        await with_agents(gw, "anna", "ben")

        # rated, with the comment the customer gave — every time (it is written with the rating, not after it)
        for n in range(3):
            cid4, rater, anna = await served(gw, f"Rita Rating {n}", f"question {n}")
            assert (await anna.call("close", {"conversation_id": cid4}, namespace=AGENT))["ok"]
            ack = await rater.call("rate", {"conversation_id": cid4, "score": 4, "comment": f"quick and kind {n}"},
                                   namespace=VISITOR)
            assert ack.get("ok"), ack
        ratings = await wait_for(receiver, secret, "rating.given", 3)
        for event in ratings:
            data = event["data"]
            assert set(data) == {"conversation", "score", "agent_id", "comment"}
            assert (data["score"], data["agent_id"]) == (4, "anna") and data["conversation"]["state"] == "closed"
        assert sorted(e["data"]["comment"] for e in ratings) == [f"quick and kind {n}" for n in range(3)]

        # transferred: to another queue, then to a named agent
        cid, _, anna = await served(gw, "Tom Transfer", "my bill and my contract")
        assert (await anna.call("transfer", {"conversation_id": cid, "queue": "sales"}, namespace=AGENT))["ok"]
        moved = await wait_for(receiver, secret, "conversation.transferred")
        data = moved[0]["data"]
        assert set(data) >= {"conversation", "from_queue", "to_queue", "to_agent"}
        assert set(data["conversation"]) == CONVERSATION_KEYS and data["conversation"]["id"] == cid
        assert (data["from_queue"], data["to_queue"], data["to_agent"]) == ("billing", "sales", None)
        cid2, _, anna = await served(gw, "Tina Transfer", "an invoice question")
        assert (await anna.call("transfer", {"conversation_id": cid2, "agent": "ben"}, namespace=AGENT))["ok"]
        to_ben = [e for e in await wait_for(receiver, secret, "conversation.transferred", 2)
                  if e["data"]["conversation"]["id"] == cid2]
        assert to_ben[0]["data"]["to_agent"] == "ben" and to_ben[0]["data"]["to_queue"] is None

        # escalated to email by the customer
        visitor, _ = await gw.visitor(name="Max Mail")
        cid3 = (await visitor.call("message", {"text": "anyone there?", "client_id": "m1"},
                                   namespace=VISITOR))["conversation_id"]
        ok = await visitor.call("escalate", {"to": "email", "email": "max@example.com"}, namespace=VISITOR)
        assert ok.get("ok"), ok
        (escalated,) = await wait_for(receiver, secret, "conversation.escalated")
        assert escalated["data"]["conversation"]["id"] == cid3
        escalation = escalated["data"]["escalation"]
        assert escalation["to"] == "email" and escalation["email"] == "max@example.com" and escalation["by"]


async def test_contacts_created_merged_and_erased(redis, redis_url, history_db, database_url, demo_config, receiver):
    demo_config.event_webhooks = FAST
    async with history_gateway(demo_config, redis_url, database_url) as gw:
        admin = await Admin.login(gw.url)
        _, secret = await admin.subscribe(receiver.url, events=["contact.created", "contact.merged", "contact.erased"])
        await with_agents(gw, "anna")
        first, _, _ = await served(gw, "Eva Erase", "from the laptop", email="eva@example.com")
        second, _, _ = await served(gw, "Eva Phone", "from the phone", email="eva@example.com")
        created = await wait_for(receiver, secret, "contact.created", 2)
        contacts = [e["data"]["contact"] for e in created]
        assert all(set(c) == {"id", "name", "email", "phone", "created_at"} for c in contacts)
        assert {c["name"] for c in contacts} == {"Eva Erase", "Eva Phone"}
        a, b = contacts[0]["id"], contacts[1]["id"]

        anna = (await gw.login("anna"))["token"]
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {anna}"}) as http, \
                http.post(f"{gw.url}/api/v1/contacts/{b}/merge", json={"from": a}) as r:
            assert r.status == 200, await r.text()
            survivor = (await r.json())["id"]
        (merged,) = await wait_for(receiver, secret, "contact.merged")
        assert merged["data"]["contact"]["id"] == survivor
        assert merged["data"]["merged"] == [b if survivor == a else a]

        sam = (await gw.login("sam"))["token"]
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {sam}"}) as http, \
                http.post(f"{gw.url}/api/v1/contacts/{survivor}/erase") as r:
            assert r.status == 200, await r.text()
        (erased,) = await wait_for(receiver, secret, "contact.erased")
        data = erased["data"]
        assert set(data) == {"contact_id", "contacts", "conversations"}
        assert data["contact_id"] == survivor and set(data["contacts"]) >= {a, b} and data["conversations"] == 2
        raw = next(r.body for r in receiver.delivered() if json.loads(r.body)["type"] == "contact.erased")
        assert b"Eva" not in raw and b"eva@example.com" not in raw  # nothing of the person
