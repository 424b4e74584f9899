"""Signed outbound event webhooks (issue 15) against local receivers: real conversations through the
gateway, signed events in order per conversation, retries without loss or doubles, dead letters and
replay, the documented signature snippet, and the admin API's permissions."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from conftest import eventually, running_gateway, two_tenants_config
from event_webhook_helpers import FAST, Admin, Receiver, docs_verifier, fast_config

from gateway.keys import TenantKeys

pytestmark = pytest.mark.timeout(90)
AGENT, VISITOR = "/agent", "/visitor"


@pytest.fixture
async def receiver():
    r = await Receiver().start()
    yield r
    await r.stop()


@pytest.fixture
async def gw(redis, redis_url):
    async with running_gateway(fast_config(), redis_url) as gateway:
        yield gateway


def _events(receiver: Receiver, conversation: str | None = None) -> list[dict]:
    out = []
    for r in receiver.delivered():
        body = json.loads(r.body)
        conv = body["data"].get("conversation", {}).get("id") or body["data"].get("conversation_id")
        if conversation is None or conv == conversation:
            out.append(body)
    return out


async def _served(gw, visitor, anna, anna_in, text: str, client_id: str) -> str:
    cid = (await visitor.call("message", {"text": text, "client_id": client_id}, namespace=VISITOR))["conversation_id"]
    offer = await anna_in.next("offer", lambda o: o["conversation_id"] == cid, timeout=10)
    assert (await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace=AGENT))["ok"]
    return cid


async def test_a_subscription_receives_signed_events_in_order_per_conversation(gw, receiver):
    admin = await Admin.login(gw.url)
    _, secret = await admin.subscribe(receiver.url)
    verify = docs_verifier()
    anna, anna_in = await gw.agent("anna")
    vera, _ = await gw.visitor(name="Vera")
    cid = await _served(gw, vera, anna, anna_in, "hello, my invoice", "v1")
    await anna.call("message", {"conversation_id": cid, "text": "Anna here, let me look", "client_id": "a1"}, namespace=AGENT)
    await vera.call("message", {"text": "thanks!", "client_id": "v2"}, namespace=VISITOR)
    assert (await anna.call("label", {"conversation_id": cid, "add": "vip"}, namespace=AGENT))["labels"] == ["vip"]
    assert (await anna.call("close", {"conversation_id": cid, "wrapup_code": "solved"}, namespace=AGENT))["ok"]

    await eventually(lambda: any(e["type"] == "conversation.closed" for e in _events(receiver, cid)), timeout=15)
    events = _events(receiver, cid)
    types = [e["type"] for e in events]
    lifecycle = [t for t in types if t in ("conversation.created", "conversation.offered", "conversation.assigned",
                                           "conversation.closed")]
    assert lifecycle == ["conversation.created", "conversation.offered", "conversation.assigned", "conversation.closed"]
    texts = [e["data"]["message"]["text"] for e in events if e["type"] == "message.created"
             and e["data"]["message"]["sender"] in ("customer", "agent")]
    assert texts == ["hello, my invoice", "Anna here, let me look", "thanks!"]
    senders = [e["data"]["message"]["sender"] for e in events if e["type"] == "message.created"][:3]
    assert senders[0] == "customer"
    # in the order the changes happened, each once
    assert [e["ts"] for e in events] == sorted(e["ts"] for e in events)
    assert len({e["id"] for e in events}) == len(events)
    assert types.index("conversation.created") < types.index("message.created") < types.index("conversation.offered")
    closed = events[-1]
    assert closed["type"] == "conversation.closed" and closed["tenant"] == "demo"
    assert closed["data"]["conversation"]["wrapup_code"] == "solved"
    assert closed["data"]["conversation"]["labels"] == ["vip"]
    assert closed["data"]["conversation"]["close_reason"] == "agent"
    assigned = events[types.index("conversation.assigned")]
    assert assigned["data"]["agent_id"] == "anna" and assigned["data"]["by"] == "offer"
    # every request signed, named and identified
    for r in receiver.delivered():
        assert verify(secret, r.body, r.headers["X-Omnirelay-Signature"])
        assert r.headers["X-Omnirelay-Event"] == json.loads(r.body)["type"]
        assert r.headers["X-Omnirelay-Delivery"].startswith("dlv_s_")
    assert len({r.headers["X-Omnirelay-Delivery"] for r in receiver.delivered()}) == len(receiver.delivered())


async def test_the_documented_snippet_verifies_and_a_changed_body_fails(gw, receiver):
    admin = await Admin.login(gw.url)
    sid, secret = await admin.subscribe(receiver.url, events=["message.created"])
    status, _ = await admin.call("POST", f"/{sid}/test")
    assert status == 202
    got = await eventually(lambda: receiver.delivered(), timeout=10)
    verify, r = docs_verifier(), got[0]
    header = r.headers["X-Omnirelay-Signature"]
    assert json.loads(r.body)["type"] == "webhook.test"
    assert verify(secret, r.body, header)
    assert not verify(secret, r.body.replace(b"A test event", b"A fake event"), header)  # changed body
    assert not verify(secret, r.body + b" ", header)
    assert not verify("whsec_another", r.body, header)  # another secret
    t, v1 = header.split(",")
    old = int(t[2:]) - 3600  # an old request replayed: refused by the tolerance even with a matching MAC
    import hashlib
    import hmac
    forged = hmac.new(secret.encode(), f"{old}.".encode() + r.body, hashlib.sha256).hexdigest()
    assert not verify(secret, r.body, f"t={old},v1={forged}")
    # after a rotation, the old secret no longer verifies what is sent
    status, rotated = await admin.call("POST", f"/{sid}/rotate")
    assert status == 200 and rotated["secret"] != secret
    await admin.call("POST", f"/{sid}/test")
    await eventually(lambda: len(receiver.delivered()) == 2, timeout=10)
    latest = receiver.delivered()[1]
    assert verify(rotated["secret"], latest.body, latest.headers["X-Omnirelay-Signature"])
    assert not verify(secret, latest.body, latest.headers["X-Omnirelay-Signature"])


async def test_a_receiver_failing_three_times_gets_each_event_once_more_after_recovery(gw, receiver):
    receiver.statuses = [500, 500, 500]
    admin = await Admin.login(gw.url)
    sid, _ = await admin.subscribe(receiver.url, events=["message.created"])
    vera, _ = await gw.visitor(name="Vera")
    for n in range(3):
        await vera.call("message", {"text": f"line {n}", "client_id": f"l{n}"}, namespace=VISITOR)
    other, _ = await gw.visitor(name="Otto")
    await other.call("message", {"text": "other conversation", "client_id": "o1"}, namespace=VISITOR)

    await eventually(lambda: len(_events(receiver)) >= 4, timeout=20)
    await asyncio.sleep(1.0)  # nothing more arrives: no doubles
    texts = [e["data"]["message"]["text"] for e in _events(receiver)]
    assert sorted(texts) == ["line 0", "line 1", "line 2", "other conversation"]  # each exactly once, none lost
    vera_order = [t for t in texts if t.startswith("line")]
    assert vera_order == ["line 0", "line 1", "line 2"]  # in order, the later ones waited behind the retried one
    failed = [r for r in receiver.got if r.answered == 500]
    assert len(failed) == 3
    # the retried delivery kept its id and its bytes
    first_ok = {r.headers["X-Omnirelay-Delivery"]: r.body for r in receiver.delivered()}
    for r in failed:
        assert first_ok[r.headers["X-Omnirelay-Delivery"]] == r.body
    status, seen = await admin.call("GET", f"/{sid}/deliveries")
    assert status == 200
    assert {a["outcome"] for a in seen["recent"]} == {"delivered", "failed"}
    assert all(a["latency_ms"] >= 0 for a in seen["recent"]) and seen["pending"] == []
    assert max(a["attempts"] for a in seen["recent"]) >= 2


async def test_a_dead_receiver_ends_in_the_dead_letters_and_a_replay_delivers(gw, receiver):
    receiver.statuses = [503] * 1000
    admin = await Admin.login(gw.url)
    sid, _ = await admin.subscribe(receiver.url, events=["message.created"], retry_window_s=1.5)
    vera, _ = await gw.visitor(name="Vera")
    await vera.call("message", {"text": "into the void", "client_id": "d1"}, namespace=VISITOR)

    async def dead() -> list:
        return (await admin.call("GET", f"/{sid}/dead-letters"))[1]["dead_letters"]

    letters = await eventually(dead, timeout=15)
    assert len(letters) == 1
    letter = letters[0]
    assert letter["status"] == "dead" and letter["last_status"] == 503 and letter["attempts"] >= 2
    assert letter["body"]["data"]["message"]["text"] == "into the void"
    tries = len(receiver.got)
    # the queue went on: a later message of the same conversation is tried (and dies too)
    await vera.call("message", {"text": "still there?", "client_id": "d2"}, namespace=VISITOR)
    await eventually(lambda: len(receiver.got) > tries, timeout=10)

    receiver.statuses = []  # the receiver is back
    status, out = await admin.call("POST", f"/{sid}/dead-letters/{letter['id']}/replay")
    assert status == 200 and out["replayed"] == [letter["id"]]
    ok = await eventually(lambda: [r for r in receiver.delivered() if b"into the void" in r.body], timeout=10)
    assert ok[0].headers["X-Omnirelay-Delivery"] == letter["id"]  # the same idempotency id
    assert letter["id"] not in [d["id"] for d in await dead()]
    status, again = await admin.call("POST", f"/{sid}/dead-letters/{letter['id']}/replay")
    assert status == 404 and again["error"]["code"] == "not_found"


async def test_bad_input_gets_a_clear_error_and_private_targets_are_refused_by_default(redis, redis_url):
    cfg = fast_config(allow_private_targets=False)
    async with running_gateway(cfg, redis_url) as gw:
        admin = await Admin.login(gw.url)
        for body, field in (({"url": "ftp://example.com/x"}, "http"), ({"url": "http://127.0.0.1:9/x"}, "private"),
                            ({"url": "http://10.1.2.3/x"}, "private"), ({"url": "http://[::1]/x"}, "private"),
                            ({"url": "http://localhost/x"}, "private"), ({"url": "https://u:p@example.com/"}, "user"),
                            ({"url": "https://example.com/", "events": ["nope"]}, "unknown event"),
                            ({"url": "https://example.com/", "retry_window_s": 0}, "retry_window_s"),
                            ({"url": "https://example.com/", "extra": 1}, "unknown field")):
            status, out = await admin.call("POST", "", body)
            assert status == 400, (body, out)
            assert out["error"]["code"] == "invalid" and field in out["error"]["message"], out
        assert await redis.scard(TenantKeys("demo").hook_subs()) == 0  # nothing stored
        status, out = await admin.call("POST", "", {"url": "https://example.com/hook", "events": ["*"]})
        assert status == 201 and out["secret"].startswith("whsec_")
        sid = out["subscription"]["id"]
        status, out = await admin.call("PATCH", f"/{sid}", {"url": "http://192.168.1.1/"})
        assert status == 400 and "private" in out["error"]["message"]
        status, out = await admin.call("GET", f"/{sid}")
        assert out["subscription"]["url"] == "https://example.com/hook"  # unchanged
        assert "secret" not in out["subscription"]
        async with aiohttp.ClientSession() as http, http.post(
                f"{gw.url}/api/v1/admin/webhooks", data=b"{nope", headers={"Authorization": f"Bearer {admin.token}"}) as r:
            assert r.status == 400 and (await r.json())["error"]["code"] == "bad_json"


async def test_only_an_admin_of_the_tenant_manages_its_webhooks(redis, redis_url):
    cfg = two_tenants_config()
    cfg.event_webhooks = FAST
    async with running_gateway(cfg, redis_url) as gw:
        sam = await Admin.login(gw.url)
        sid, _ = await sam.subscribe("https://example.com/hook")
        routes = [("GET", ""), ("POST", ""), ("GET", f"/{sid}"), ("PATCH", f"/{sid}"), ("DELETE", f"/{sid}"),
                  ("POST", f"/{sid}/rotate"), ("GET", f"/{sid}/deliveries"), ("GET", f"/{sid}/dead-letters"),
                  ("POST", f"/{sid}/dead-letters/replay"), ("POST", f"/{sid}/dead-letters/dlv_{sid}_evt_a1-0/replay"),
                  ("POST", f"/{sid}/test")]
        nobody = Admin(gw.url, "not-a-token")
        anna = Admin(gw.url, (await gw.login("anna"))["token"])
        sue = await Admin.login(gw.url, "sue", "anna-demo")  # acme's supervisor, not an admin
        for method, path in routes:
            body = {"url": "https://example.com/x"} if method in ("POST", "PATCH") else None
            assert (await nobody.call(method, path, body))[0] == 401, (method, path)
            assert (await anna.call(method, path, body))[0] == 403, (method, path)
            assert (await sue.call(method, path, body))[0] == 403, (method, path)
        # an admin of another tenant sees none of demo's subscriptions
        cfg.tenants["acme"].supervisors["sue"].admin = True
        for method, path in routes[2:]:
            status, out = await sue.call(method, path, {"url": "https://example.com/x"} if method == "PATCH" else None)
            assert status == 404 and out["error"]["code"] == "not_found", (method, path)
        status, out = await sue.call("GET", "")
        assert status == 200 and out["subscriptions"] == []
        status, out = await sam.call("GET", f"/{sid}")
        assert status == 200 and out["subscription"]["url"] == "https://example.com/hook"  # untouched
        status, _ = await sam.call("DELETE", f"/{sid}")
        assert status == 204
        assert (await sam.call("GET", f"/{sid}"))[0] == 404


async def test_disabled_subscriptions_queue_nothing_and_an_event_filter_applies(gw, receiver):
    admin = await Admin.login(gw.url)
    sid, _ = await admin.subscribe(receiver.url, events=["conversation.created"])
    off, _ = await admin.subscribe(receiver.url.replace("/hook", "/hook") + "?off=1", enabled=False)
    vera, _ = await gw.visitor(name="Vera")
    await vera.call("message", {"text": "hi", "client_id": "x1"}, namespace=VISITOR)
    await eventually(lambda: _events(receiver), timeout=10)
    await asyncio.sleep(0.8)
    assert [e["type"] for e in _events(receiver)] == ["conversation.created"]
    status, seen = await admin.call("GET", f"/{off}/deliveries")
    assert status == 200 and seen == {"recent": [], "pending": []}
