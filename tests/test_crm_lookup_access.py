"""Who may read a conversation's CRM card (GET /api/v1/conversations/{id}/crm): the agent holding it
and the tenant's supervisors; not another agent, not another tenant, not without a login. A refused
request asks the CRM nothing (the card is the customer's data)."""

from __future__ import annotations

import aiohttp
import pytest
from conftest import running_gateway, two_tenants_config
from crm_helpers import SECRET, FakeCrm, signed_visitor

pytestmark = pytest.mark.timeout(60)


async def get(gw, cid: str, token: str | None) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.get(f"{gw.url}/api/v1/conversations/{cid}/crm", headers=headers) as r:
        return r.status, await r.json()


async def test_only_the_holding_agent_and_the_tenants_supervisors_read_the_card(redis, redis_url):
    async with FakeCrm() as crm:
        crm.customers = {"email:vip@example.com": {"segment": "vip"}}
        config = two_tenants_config()
        settings = config.tenants["demo"].crm
        settings.url, settings.secret, settings.cache_ttl_s = crm.url, SECRET, 0  # every allowed read asks again
        async with running_gateway(config, redis_url) as gw:
            anna, anna_in = await gw.agent("anna")
            visitor, _ = await gw.visitor(**signed_visitor("u-vip", "vip@example.com"))
            cid = (await visitor.call("message", {"text": "hi", "client_id": "v1"}, namespace="/visitor"))["conversation_id"]
            offer = await anna_in.next("offer", lambda o: o["conversation_id"] == cid)
            assert (await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent"))["ok"]
            tokens = {name: (await gw.login(name, password))["token"] for name, password in (
                ("anna", None), ("ben", None), ("sam", None), ("zed", "anna-demo"), ("sue", "anna-demo"))}
            asked = len(crm.requests)

            for who, token in (("nobody", None), ("bad token", "x.y.z")):
                status, body = await get(gw, cid, token)
                assert status == 401 and body["error"]["code"] == "unauthorized", who
            for who in ("ben", "zed", "sue"):  # another agent; the other tenant's agent and supervisor
                status, body = await get(gw, cid, tokens[who])
                assert (status, body["error"]["code"]) == (404, "not_found"), who
            status, body = await get(gw, "c_not-an-id!", tokens["sam"])
            assert status == 404
            assert len(crm.requests) == asked  # nothing refused reached the CRM

            for who in ("anna", "sam"):
                status, body = await get(gw, cid, tokens[who])
                assert status == 200 and body["status"] == "ok" and body["conversation_id"] == cid, who
                assert [(f["key"], f["value"]) for f in body["fields"]] == [("segment", "vip")] and body["priority"] == 5
            assert len(crm.requests) == asked + 2
