"""The permission matrix of API keys, from one table: every /api/v1 route the gateway serves is a row
naming what a key needs (a route missing from the table fails the first test), and every row is called
with a key of each scope, a revoked key, an expired key and a made-up key, over real HTTP on real Redis.
A key lacking the scope gets 403 with the reason; a key sees nothing of another tenant."""

from __future__ import annotations

import time

import pytest
from admin_helpers import call
from apikey_helpers import make_key, revoke
from conftest import running_gateway, two_tenants_config
from test_openapi_routes import registered

from gateway.api_keys import create_key
from gateway.app import create_app
from gateway.keys import TenantKeys

pytestmark = pytest.mark.timeout(120)

PUBLIC, READ, WRITE, ADMIN = "public", "read", "write", "admin"
NEVER = "not_for_api_keys"  # no key at all: a key is no login session and does not manage keys
AGENT = "agent_only"  # the agent's own action: a key never acts as an agent

# (method, route) -> what a key needs. Every /api/v1 route is here: add the row with the route.
RULES: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/login"): PUBLIC,
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/api/v1/widget/config"): PUBLIC,
    ("GET", "/api/v1/widget/callback-slots"): PUBLIC,
    ("POST", "/api/v1/widget/attachments"): PUBLIC,  # the visitor's token, no bearer
    ("POST", "/api/v1/logout"): NEVER,
    ("GET", "/api/v1/me"): READ,
    ("GET", "/api/v1/canned"): READ,
    ("GET", "/api/v1/directory"): READ,
    ("GET", "/api/v1/audit"): READ,
    ("GET", "/api/v1/search"): READ,
    ("GET", "/api/v1/reports/queues"): READ,
    ("GET", "/api/v1/reports/channels"): READ,
    ("GET", "/api/v1/reports/agents"): READ,
    ("GET", "/api/v1/media/{id}"): READ,
    ("GET", "/api/v1/live/queues"): READ,
    ("GET", "/api/v1/live/agents"): READ,
    ("GET", "/api/v1/conversations"): READ,
    ("GET", "/api/v1/conversations/{id}"): READ,
    ("GET", "/api/v1/conversations/{id}/crm"): READ,
    ("POST", "/api/v1/conversations/{id}/messages"): WRITE,
    ("POST", "/api/v1/conversations/{id}/close"): WRITE,
    ("POST", "/api/v1/conversations/{id}/transfer"): WRITE,
    ("POST", "/api/v1/conversations/{id}/attachments"): AGENT,
    ("GET", "/api/v1/contacts"): READ,
    ("POST", "/api/v1/contacts"): WRITE,
    ("GET", "/api/v1/contacts/{id}"): READ,
    ("PATCH", "/api/v1/contacts/{id}"): WRITE,
    ("GET", "/api/v1/contacts/{id}/conversations"): READ,
    ("POST", "/api/v1/contacts/{id}/merge"): WRITE,
    ("GET", "/api/v1/contacts/{id}/export"): READ,
    ("POST", "/api/v1/contacts/{id}/erase"): WRITE,
    ("POST", "/api/v1/assist/classify"): WRITE,
    ("POST", "/api/v1/assist/suggest"): WRITE,
    ("GET", "/api/v1/assist/snippets"): READ,
    ("POST", "/api/v1/assist/snippets/{canned_id}/enable"): WRITE,
    ("GET", "/api/v1/admin/settings"): ADMIN,
    ("POST", "/api/v1/admin/agents"): ADMIN,
    ("PATCH", "/api/v1/admin/agents/{id}"): ADMIN,
    ("POST", "/api/v1/admin/agents/{id}/password"): ADMIN,
    ("PUT", "/api/v1/admin/queues/{id}"): ADMIN,
    ("DELETE", "/api/v1/admin/queues/{id}"): ADMIN,
    ("PUT", "/api/v1/admin/topics/{id}"): ADMIN,
    ("DELETE", "/api/v1/admin/topics/{id}"): ADMIN,
    ("PUT", "/api/v1/admin/canned/{id}"): ADMIN,
    ("DELETE", "/api/v1/admin/canned/{id}"): ADMIN,
    ("PUT", "/api/v1/admin/labels/{id}"): ADMIN,
    ("DELETE", "/api/v1/admin/labels/{id}"): ADMIN,
    ("PUT", "/api/v1/admin/hours"): ADMIN,
    ("PUT", "/api/v1/admin/widget"): ADMIN,
    ("DELETE", "/api/v1/admin/overrides/{kind}/{id}"): ADMIN,
    ("GET", "/api/v1/admin/webhooks"): ADMIN,  # event webhooks (gateway/event_webhooks/routes.py)
    ("POST", "/api/v1/admin/webhooks"): ADMIN,
    ("GET", "/api/v1/admin/webhooks/{id}"): ADMIN,
    ("PATCH", "/api/v1/admin/webhooks/{id}"): ADMIN,
    ("DELETE", "/api/v1/admin/webhooks/{id}"): ADMIN,
    ("GET", "/api/v1/admin/webhooks/{id}/deliveries"): ADMIN,
    ("GET", "/api/v1/admin/webhooks/{id}/dead-letters"): ADMIN,
    ("POST", "/api/v1/admin/webhooks/{id}/dead-letters/replay"): ADMIN,
    ("POST", "/api/v1/admin/webhooks/{id}/dead-letters/{delivery}/replay"): ADMIN,
    ("POST", "/api/v1/admin/webhooks/{id}/rotate"): ADMIN,
    ("POST", "/api/v1/admin/webhooks/{id}/test"): ADMIN,
    ("GET", "/api/v1/admin/apikeys"): ADMIN,
    ("POST", "/api/v1/admin/apikeys"): NEVER,
    ("DELETE", "/api/v1/admin/apikeys/{id}"): NEVER,
    ("GET", "/api/v1/slack/links"): NEVER,
    ("POST", "/api/v1/slack/links"): NEVER,
    ("DELETE", "/api/v1/slack/links/{agent_id}"): NEVER,
}
LEVEL = {READ: 0, WRITE: 1, ADMIN: 2}
# a well-formed id of nothing, by the collection it names (a refusal must come before the lookup)
IDS = {"conversations": "c_00000000000000ff", "contacts": "k_00000000000000ff", "media": "a_00000000000000ff",
       "apikeys": "p_00000000000000ff"}
REFUSALS = {"insufficient_scope", AGENT, NEVER}


def api_routes(app) -> set[tuple[str, str]]:
    return {(m, p) for m, p in registered(app) if p.startswith("/api/v1/")}


def concrete(route: str) -> str:
    """The route with each path parameter filled: the id of nothing in its collection, else a word."""
    parts = route.split("/")
    return "/".join(IDS.get(parts[i - 1], "nothing") if p.startswith("{") else p for i, p in enumerate(parts))


def test_every_api_route_has_a_row():
    """A new /api/v1 route without its row here fails: what a key may do with it is decided, not forgotten."""
    from conftest import DEMO_CONFIG

    from gateway.config import load_config

    app = create_app(load_config(DEMO_CONFIG, env={}), redis_url="redis://127.0.0.1:1/0")
    served = api_routes(app)
    assert sorted(served - set(RULES)) == [], "routes without a row in RULES (what may an API key do with them?)"
    assert sorted(set(RULES) - served) == [], "rows of routes the gateway does not serve"


@pytest.fixture
async def gw(redis, redis_url):
    async with running_gateway(two_tenants_config(), redis_url) as gateway:
        yield gateway


async def test_each_scope_opens_exactly_its_routes(gw, redis):
    keys = {scope: (await make_key(gw, f"k-{scope}", [scope]))["key"] for scope in (READ, WRITE, ADMIN)}
    gone = await make_key(gw, "gone", [ADMIN])
    await revoke(gw, gone["id"])
    then = time.time() - 7200  # made two hours ago, for one hour
    expired_key, _ = await create_key(redis, "demo", name="expired", scopes=[ADMIN], created_by="sam",
                                      expires_at=then + 3600, now=then)
    expired = {"key": expired_key}
    made_up = "ork_" + "A" * 43
    audit_before = await redis.xlen(TenantKeys("demo").audit())
    checked = 0
    for (method, route), rule in sorted(RULES.items(), key=lambda r: (r[0][1], r[0][0])):
        if rule == PUBLIC:
            continue
        path = concrete(route)
        for who in (gone["key"], expired["key"], made_up):
            status, body, _ = await call(gw, method, path, who, {} if method != "GET" else None)
            assert status == 401 and body["error"]["code"] == "unauthorized", (method, route, status, body)
        for scope, key in keys.items():
            status, body, _ = await call(gw, method, path, key, {} if method != "GET" else None)
            error = body.get("error") if isinstance(body, dict) else None
            code = error.get("code") if isinstance(error, dict) else None
            if rule in (NEVER, AGENT):
                expected = rule
            elif LEVEL[scope] < LEVEL[rule]:
                expected = "insufficient_scope"
            else:
                expected = None
            if expected is None:
                assert status not in (401, 403) and code not in REFUSALS, (scope, method, route, status, body)
            else:
                assert status == 403 and code == expected, (scope, method, route, status, body)
                assert body["error"]["message"]
            checked += 1
    assert checked == 3 * len([r for r in RULES.values() if r != PUBLIC])
    # every write made with a key was audited under its name, refused ones too
    writes = [f for _, f in await redis.xrange(TenantKeys("demo").audit(), min="-", max="+") if f["action"] == "api.write"]
    assert await redis.xlen(TenantKeys("demo").audit()) > audit_before
    assert {f["actor"] for f in writes} == {"apikey:k-read", "apikey:k-write", "apikey:k-admin"}
    assert all(f["role"] == "api_key" for f in writes)


async def test_a_key_sees_and_touches_only_its_own_tenant(gw, redis):
    """An acme conversation and contact are "not found" for a demo key with every scope."""
    ann, _ = await gw.visitor(tenant="acme", name="Ann", topic="help", language="en")
    cid = (await ann.call("message", {"text": "help!", "client_id": "a1"}, namespace="/visitor"))["conversation_id"]
    conv = await redis.hgetall(TenantKeys("acme").conv(cid))
    key = (await make_key(gw, "demo-admin", [ADMIN]))["key"]
    for method, path, body in (
        ("GET", f"/api/v1/conversations/{cid}", None),
        ("POST", f"/api/v1/conversations/{cid}/messages", {"text": "hi from demo", "author": {"kind": "bot", "name": "X"}}),
        ("POST", f"/api/v1/conversations/{cid}/close", {}),
        ("POST", f"/api/v1/conversations/{cid}/transfer", {"queue": "billing"}),
        ("GET", f"/api/v1/contacts/{conv['contact_id']}", None),
        ("PATCH", f"/api/v1/contacts/{conv['contact_id']}", {"name": "Mallory"}),
    ):
        status, data, _ = await call(gw, method, path, key, body)
        assert status == 404, (method, path, status, data)
    status, listed, _ = await call(gw, "GET", "/api/v1/conversations", key)
    assert status == 200 and cid not in [c["id"] for c in listed["conversations"]]
    assert await redis.hgetall(TenantKeys("acme").conv(cid)) == conv
    assert await redis.xlen(TenantKeys("acme").conv_messages(cid)) == 1
