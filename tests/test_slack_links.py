"""Who may link a Slack account to an agent (the permission pattern of test_permissions_workspace):
an agent only itself, a supervisor any agent of its own tenant, nobody without a login; only the
account Slack finds under the agent's email, with that email confirmed. Every refusal leaves the
links as they were."""

from __future__ import annotations

import aiohttp
import pytest
from conftest import SECOND_TENANT, running_gateway
from slack_standin import SECRET, TOKEN, SlackStandIn, running

from gateway.appkeys import SLACK
from gateway.config import load_config_text
from gateway.keys import TenantKeys
from gateway.slack.links import links

pytestmark = pytest.mark.timeout(60)
DEMO = TenantKeys("demo")


def config(api: SlackStandIn):
    from conftest import DEMO_CONFIG

    cfg = load_config_text(DEMO_CONFIG.read_text() + SECOND_TENANT, env={
        "SLACK_API_BASE": api.url, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET})
    demo = cfg.tenants["demo"]
    demo.agents["ben"].email, demo.agents["anna"].email = "ben@demo.example", "anna@demo.example"
    demo.agents["clara"].email = "clara@demo.example"
    return cfg


async def call(http, gw, method: str, path: str, login: str | None, password: str | None = None, **body):
    headers = {"Authorization": f"Bearer {(await gw.login(login, password))['token']}"} if login else {}
    async with http.request(method, f"{gw.url}{path}", json=body if method != "GET" else None, headers=headers) as r:
        return r.status, await r.json()


async def test_links_are_made_by_the_agent_itself_or_its_supervisor_and_only_to_a_confirmed_email(redis, redis_url):
    async with running(SlackStandIn()) as api:
        api.add_user("U_BEN", "ben@demo.example")
        api.add_user("U_ANNA", "anna@demo.example")
        api.add_user("U_CLARA", "clara@demo.example", confirmed=False)
        async with running_gateway(config(api), redis_url) as gw, aiohttp.ClientSession() as http:
            from conftest import eventually

            await eventually(lambda: ("demo", "slack") in gw.app[SLACK].apps.identity, timeout=10)
            path = "/api/v1/slack/links"
            assert (await call(http, gw, "POST", path, None))[0] == 401
            assert (await call(http, gw, "POST", path, "anna", agent_id="ben"))[0] == 403  # not another agent
            assert await links(redis, DEMO) == []
            status, body = await call(http, gw, "POST", path, "clara")
            assert (status, body["error"]["code"]) == (409, "email_unverified")
            status, body = await call(http, gw, "POST", path, "sue", "anna-demo", agent_id="ben")
            assert (status, body["error"]["code"]) == (404, "not_found")  # another tenant's agent
            assert await links(redis, DEMO) == []

            status, body = await call(http, gw, "POST", path, "ben")
            assert (status, body["link"]["slack_user"], body["link"]["by"]) == (200, "U_BEN", "ben")
            status, body = await call(http, gw, "POST", path, "sam", agent_id="anna")
            assert (status, body["link"]["slack_user"], body["link"]["by"]) == (200, "U_ANNA", "sam")

            status, body = await call(http, gw, "GET", path, "ben")
            assert [x["agent_id"] for x in body["links"]] == ["ben"] and body["slack_ready"] is True
            status, body = await call(http, gw, "GET", path, "sam")
            assert [x["agent_id"] for x in body["links"]] == ["anna", "ben"]
            status, body = await call(http, gw, "GET", path, "sue", "anna-demo")
            assert body["links"] == [] and body["slack_configured"] is False

            assert (await call(http, gw, "DELETE", f"{path}/ben", "anna"))[0] == 403
            assert (await call(http, gw, "DELETE", f"{path}/ben", "sue", "anna-demo"))[0] == 404
            assert [x.agent_id for x in await links(redis, DEMO)] == ["anna", "ben"]
            assert (await call(http, gw, "DELETE", f"{path}/ben", "ben"))[0] == 200
            assert (await call(http, gw, "DELETE", f"{path}/anna", "sam"))[0] == 200
            assert await links(redis, DEMO) == []
