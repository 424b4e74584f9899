"""CRM lookup against a local CRM stand-in, through the real gateway on real Redis: the request is signed
and names only verified identities; a VIP rule raises the priority in the ACD (a VIP who arrives after
a normal customer is offered first); a hanging CRM never holds an offer back beyond crm.timeout_s and
its late answer still reaches the agent; failures show as "CRM unavailable", are counted and visible in
/healthz; the answer is cached per contact; a Telegram customer is looked up like a widget visitor."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
from pathlib import Path

import aiohttp
import pytest
from conftest import FIXTURES, eventually, running_gateway
from crm_helpers import SECRET, FakeCrm, crm_config, signed_visitor

from acd.keys import AcdKeys
from bridges.telegram.inbound import SECRET_HEADER
from gateway.signing import SIGNATURE_HEADER, verify

sys.path.insert(0, str(Path(__file__).parent / "bridges"))  # the Telegram stand-in of the bridge tests
from telegram_standin import TOKEN, StandIn, running  # noqa: E402

pytestmark = pytest.mark.timeout(60)
V, A = "/visitor", "/agent"
AGENT_EVENTS = ["hello", "offer", "assigned", "crm", "state"]
VIP = {"customer_number": "K-1001", "segment": "VIP", "open_orders": 2, "crm_url": "https://crm.example/customers/1001"}


async def agent(gw, name: str, *, available: bool = True):
    """An agent's console socket that also hears ``crm``."""
    login = await gw.login(name)
    client, inbox = await gw.socket(A, {"token": login["token"]}, AGENT_EVENTS)
    if available:
        assert (await client.call("state", {"state": "available"}, namespace=A, timeout=5))["state"] == "available"
    return client, inbox, login["token"]


async def write(visitor, text: str, client_id: str) -> str:
    ack = await visitor.call("message", {"text": text, "client_id": client_id}, namespace=V, timeout=10)
    assert "conversation_id" in ack, ack
    return ack["conversation_id"]


async def card(gw, token: str, cid: str) -> dict:
    async with aiohttp.ClientSession() as http, http.get(
        f"{gw.url}/api/v1/conversations/{cid}/crm", headers={"Authorization": f"Bearer {token}"}
    ) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def task_priority(redis, cid: str) -> int:
    return int(await redis.hget(AcdKeys("demo").task(cid), "prio"))


async def counted(gw, outcome: str) -> float:
    async with aiohttp.ClientSession() as http, http.get(f"{gw.url}/metrics") as r:
        text = await r.text()
    found = re.search(rf'omnirelay_crm_lookups_total\{{outcome="{outcome}",tenant="demo"\}} ([0-9.]+)', text)
    return float(found.group(1)) if found else 0.0


async def test_the_request_is_signed_and_names_only_verified_identities(redis, redis_url):
    async with FakeCrm() as crm:
        crm.customers = {"email:vip@example.com": VIP}
        async with running_gateway(crm_config(crm.url), redis_url) as gw:
            visitor, _ = await gw.visitor(**signed_visitor("u-vip", "vip@example.com", email="typed@claim.example"))
            cid = await write(visitor, "hello", "m1")
            await eventually(lambda: crm.requests)
    request = crm.requests[0]
    header, raw = request["headers"][SIGNATURE_HEADER], request["raw"]
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)
    assert verify(SECRET, header, raw)
    assert not verify(SECRET, header, raw.replace(b"vip@example.com", b"vop@example.com"))  # a changed body fails
    assert not verify("another-secret", header, raw)
    body = request["body"]
    assert {"kind": "email", "value": "vip@example.com"} in body["identities"]
    assert {"kind": "user", "value": "u-vip"} in body["identities"]
    assert b"typed@claim.example" not in raw  # a typed address is a claim: never sent to the CRM
    assert body["conversation"]["id"] == cid and body["conversation"]["channel_type"] == "widget"
    assert body["tenant"] == "demo" and body["contact"]["id"].startswith("k_")
    assert request["headers"]["Content-Type"] == "application/json"


async def test_a_vip_who_arrives_after_a_normal_customer_is_offered_first(redis, redis_url):
    async with FakeCrm() as crm:
        crm.customers = {"email:vip@example.com": VIP, "email:norma@example.com": {"segment": "standard"}}
        async with running_gateway(crm_config(crm.url), redis_url) as gw:
            anna, anna_in, _ = await agent(gw, "anna", available=False)
            norma, _ = await gw.visitor(**signed_visitor("u-norma", "norma@example.com", name="Norma"))
            first = await write(norma, "I have a question about my invoice", "n1")
            victor, _ = await gw.visitor(**signed_visitor("u-vip", "vip@example.com", name="Victor"))
            second = await write(victor, "I have a question about my invoice", "v1")
            assert await task_priority(redis, first) == 0
            assert await task_priority(redis, second) == 5  # segment "VIP" matches `equals: vip` (case ignored)
            assert (await anna.call("state", {"state": "available"}, namespace=A, timeout=5))["state"] == "available"
            await anna_in.next("offer", lambda o: o["conversation_id"] == first)  # anna takes three chats: both come
            offered = [o["conversation_id"] for o in anna_in.all("offer")]
    assert offered == [second, first]


async def test_a_hanging_lookup_does_not_delay_the_offer_and_its_late_answer_reaches_the_agent(redis, redis_url):
    async with FakeCrm() as crm:
        crm.customers = {"email:vip@example.com": VIP}
        crm.delay = 2.5  # far beyond the time routing waits
        config = crm_config(crm.url, timeout_s=0.3, answer_timeout_s=8)
        async with running_gateway(config, redis_url) as gw:
            anna, anna_in, token = await agent(gw, "anna")
            victor, _ = await gw.visitor(**signed_visitor("u-vip", "vip@example.com"))
            loop = asyncio.get_running_loop()
            started = loop.time()
            cid = await write(victor, "hello", "v1")
            offer = await anna_in.next("offer", lambda o: o["conversation_id"] == cid)
            waited = loop.time() - started
            assert waited < 0.3 + 0.7, f"the offer waited {waited:.2f} s for a CRM that hangs"
            assert len(crm.requests) == 1 and not anna_in.all("crm")
            assert await task_priority(redis, cid) == 0  # routed without the answer
            assert (await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace=A, timeout=5))["ok"]
            assert (await card(gw, token, cid))["status"] == "pending"
            pushed = await anna_in.next("crm", lambda e: e["conversation_id"] == cid, timeout=8)
            assert pushed["crm"]["status"] == "ok"
            assert {f["key"]: f["value"] for f in pushed["crm"]["fields"]} == {
                "customer_number": "K-1001", "segment": "VIP", "open_orders": 2, "crm_url": "https://crm.example/customers/1001"}
            later = await card(gw, token, cid)
            assert later["status"] == "ok" and later["fields"] == pushed["crm"]["fields"] and len(crm.requests) == 1


@pytest.mark.parametrize(("mode", "reason"), [
    ("status", "http_error"), ("garbage", "not_json"), ("list", "wrong_shape"), ("huge", "too_large"), ("hang", "timeout"),
])
async def test_a_failing_crm_shows_unavailable_is_counted_and_the_customer_is_routed(redis, redis_url, caplog, mode, reason):
    caplog.set_level(logging.INFO)
    async with FakeCrm() as crm:
        crm.mode = mode
        config = crm_config(crm.url, timeout_s=0.2, answer_timeout_s=1.0, max_bytes=65536)
        async with running_gateway(config, redis_url) as gw:
            anna, anna_in, token = await agent(gw, "anna")
            victor, _ = await gw.visitor(**signed_visitor("u-vip", "vip@example.com"))
            cid = await write(victor, "hello", "v1")
            offer = await anna_in.next("offer", lambda o: o["conversation_id"] == cid)
            assert (await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace=A, timeout=5))["ok"]
            shown = await eventually(lambda: _unavailable(gw, token, cid), timeout=5)
            assert shown == {"conversation_id": cid, "status": "unavailable", "reason": reason, "fields": [],
                             "fetched_at": shown["fetched_at"]}
            assert await counted(gw, reason) == 1
            assert await counted(gw, "ok") == 0
            async with aiohttp.ClientSession() as http, http.get(f"{gw.url}/healthz") as r:
                health = await r.json()
            assert health["crm"]["demo"]["health"].startswith("unavailable: ")
            assert health["status"] == "ok"  # the CRM is an enrichment: the gateway serves on
            await card(gw, token, cid)  # within retry_after_s: the failure is shown, not asked again
            assert len(crm.requests) == 1
    assert f"'reason': '{reason}'" in str([r.__dict__ for r in caplog.records if r.getMessage() == "CRM unavailable"])
    assert SECRET not in caplog.text and crm.url not in caplog.text


async def _unavailable(gw, token: str, cid: str) -> dict | None:
    shown = await card(gw, token, cid)
    return shown if shown["status"] == "unavailable" else None


async def test_the_answer_is_cached_per_contact_within_its_ttl(redis, redis_url):
    async with FakeCrm() as crm:
        crm.customers = {"email:vip@example.com": VIP}
        async with running_gateway(crm_config(crm.url, cache_ttl_s=2.0), redis_url) as gw:
            _, anna_in, token = await agent(gw, "anna")
            tab, _ = await gw.visitor(**signed_visitor("u-vip", "vip@example.com"))
            first = await write(tab, "hello", "v1")
            # the same person on another device: the same contact (the signed identity), a second conversation
            phone, _ = await gw.visitor(**signed_visitor("u-vip", "vip@example.com"))
            second = await write(phone, "hello again", "p1")
            assert first != second
            await anna_in.next("offer", lambda o: o["conversation_id"] == second)
            assert len(crm.requests) == 1
            assert await redis.hget(AcdKeys("demo").task(second), "prio") == "5"  # the cached answer counts too
            sup = (await gw.login("sam"))["token"]
            assert (await card(gw, sup, first))["status"] == "ok" and len(crm.requests) == 1
            await asyncio.sleep(2.2)  # past cache_ttl_s: asked again
            assert (await card(gw, sup, first))["status"] == "ok"
            assert len(crm.requests) == 2


async def test_without_a_secret_nothing_is_sent(redis, redis_url):
    async with FakeCrm() as crm:
        async with running_gateway(crm_config(crm.url, secret=""), redis_url) as gw:
            _, anna_in, token = await agent(gw, "anna")
            victor, _ = await gw.visitor(**signed_visitor("u-vip", "vip@example.com"))
            cid = await write(victor, "hello", "v1")
            await anna_in.next("offer", lambda o: o["conversation_id"] == cid)
            sam = (await gw.login("sam"))["token"]
            shown = await card(gw, sam, cid)
            async with aiohttp.ClientSession() as http, http.get(f"{gw.url}/healthz") as r:
                health = await r.json()
    assert crm.requests == []
    assert shown["status"] == "unavailable" and shown["reason"] == "no_secret"
    assert health["crm"]["demo"]["health"] == "disabled: crm.secret not configured"


async def test_a_telegram_customer_is_looked_up_by_their_telegram_id(redis, redis_url):
    tg_secret = "crm-telegram-secret"
    async with running(StandIn()) as api, FakeCrm() as crm:
        crm.customers = {"telegram:424242": VIP}
        config = crm_config(crm.url)
        config.tenants["demo"].channels["telegram"].secret = tg_secret
        config.tenants["demo"].channels["telegram"].api_base = api.url
        config.tenants["demo"].channels["telegram"].token = TOKEN
        async with running_gateway(config, redis_url) as gw:
            _, ben_in, token = await agent(gw, "ben")  # the Telegram channel's topic is tech: anna and ben
            update = json.loads((FIXTURES / "telegram_text.json").read_text())["payload"]
            update["message"]["from"]["id"] = update["message"]["chat"]["id"] = 424242
            async with aiohttp.ClientSession() as http, http.post(
                f"{gw.url}/webhooks/telegram/telegram", data=json.dumps(update).encode(), headers={SECRET_HEADER: tg_secret}
            ) as r:
                assert r.status == 200
            offer = await ben_in.next("offer", timeout=10)
            assert await task_priority(redis, offer["conversation_id"]) == 5
    assert {"kind": "telegram", "value": "424242"} in crm.requests[0]["body"]["identities"]
    assert crm.requests[0]["body"]["conversation"]["channel_type"] == "telegram"
