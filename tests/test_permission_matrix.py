"""One permission matrix: every REST route and every Socket.IO event × every kind of caller, generated from
ONE table (ROUTES, EVENTS) over real HTTP and real sockets on real Redis and PostgreSQL.

Callers: no token, an expired one, a revoked one (logged out), a forged one, a visitor's token, an agent
(anna, who holds the conversation), another agent (ben), a supervisor (sid), an admin (sam) and another
tenant's supervisor (sue). A route or an event missing from the table fails the first tests, so a new one
cannot be forgotten. A refused call is 401 (no valid login), 403 (not for this role) or 404 (not this
caller's object, nothing said about it); a refused call changes nothing. An allowed call passes the
checks (what it then answers depends on the body: a 400 is fine).

API keys have their own matrix (tests/test_apikeys_scopes.py), from RULES there; the workspace's
detailed refusals with their error codes stay in tests/test_permissions_workspace.py and
tests/test_authorization.py.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import aiohttp
import pytest
import socketio
from conftest import DEMO_CONFIG, two_tenants_config
from history_helpers import history_gateway
from test_openapi_routes import registered

from gateway.app import create_app
from gateway.appkeys import SERVICES, SESSIONS
from gateway.auth import sign
from gateway.config import load_config
from gateway.config.schema import SupervisorConfig
from gateway.keys import TenantKeys
from gateway.sockets.agent import AgentNamespace
from gateway.sockets.supervisor import SupervisorNamespace
from gateway.sockets.visitor import VisitorNamespace

pytestmark = pytest.mark.timeout(240)
DEMO = TenantKeys("demo")

# --- who calls --------------------------------------------------------------------------------------
NONE, EXPIRED, REVOKED, FORGED, VISITOR = "no token", "expired", "revoked", "forged", "visitor"
AGENT, OTHER_AGENT, SUPERVISOR, ADMIN, FOREIGN = "agent", "another agent", "supervisor", "admin", "other tenant's supervisor"
CALLERS = (NONE, EXPIRED, REVOKED, FORGED, VISITOR, AGENT, OTHER_AGENT, SUPERVISOR, ADMIN, FOREIGN)
NO_LOGIN = (NONE, EXPIRED, REVOKED, FORGED, VISITOR)

# --- the rules: who may ------------------------------------------------------------------------------
PUBLIC = "public"  # everybody (the widget's and the platforms' routes, health, metrics, login)
SIGNED = "signed"  # opened by a signature (link, webhook), never by a login: every token is refused without it
LOGIN = "login"  # anyone logged in, each in their own tenant
HOLDER = "holder"  # the agent serving the object, and the tenant's supervisors
AGENT_HOLDER = "agent holding it"  # only the agent serving the conversation
SUPERVISORS = "supervisors"  # the tenant's supervisors (another tenant's sees its own tenant)
SUPERVISOR_OBJ = "supervisors, own tenant's object"  # the tenant's supervisors, on this tenant's object
ADMINS = "admins"  # supervisors with admin: true
VISITOR_TOKEN = "the visitor's own token"  # X-Visitor-Token, no login: every bearer is refused (401)

ALLOWED: dict[str, set[str]] = {
    PUBLIC: set(CALLERS),
    SIGNED: set(),
    LOGIN: {AGENT, OTHER_AGENT, SUPERVISOR, ADMIN, FOREIGN},
    HOLDER: {AGENT, SUPERVISOR, ADMIN},
    AGENT_HOLDER: {AGENT},
    SUPERVISORS: {SUPERVISOR, ADMIN, FOREIGN},
    SUPERVISOR_OBJ: {SUPERVISOR, ADMIN},
    ADMINS: {ADMIN},
    VISITOR_TOKEN: set(),
}

# Every route the gateway serves, and who may call it. (method, route) -> rule
ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/login"): PUBLIC,
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/api/v1/widget/config"): PUBLIC,
    ("GET", "/api/v1/widget/callback-slots"): PUBLIC,
    ("POST", "/api/v1/widget/attachments"): VISITOR_TOKEN,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,  # restricted at the load balancer (docs/security.md)
    ("POST", "/api/v1/logout"): LOGIN,
    ("GET", "/api/v1/me"): LOGIN,
    ("GET", "/api/v1/canned"): LOGIN,
    ("GET", "/api/v1/directory"): LOGIN,
    ("GET", "/api/v1/search"): LOGIN,  # each sees what they may (tests/test_history_search.py)
    ("GET", "/api/v1/conversations/{id}"): HOLDER,
    ("GET", "/api/v1/conversations/{id}/crm"): HOLDER,
    ("GET", "/api/v1/contacts/{id}"): HOLDER,
    ("GET", "/api/v1/contacts/{id}/conversations"): HOLDER,
    ("POST", "/api/v1/contacts/{id}/merge"): HOLDER,
    ("POST", "/api/v1/conversations/{id}/attachments"): AGENT_HOLDER,
    ("GET", "/api/v1/media/{id}"): LOGIN,  # the file's conversation decides (tests/test_media_uploads.py)
    ("POST", "/api/v1/assist/classify"): LOGIN,
    ("POST", "/api/v1/assist/suggest"): LOGIN,
    ("GET", "/api/v1/slack/links"): LOGIN,  # an agent sees its own link
    ("POST", "/api/v1/slack/links"): LOGIN,  # an agent links only itself
    ("DELETE", "/api/v1/slack/links/{agent_id}"): HOLDER,  # the agent itself, or a supervisor
    ("GET", "/api/v1/audit"): SUPERVISORS,
    ("GET", "/api/v1/reports/queues"): SUPERVISORS,
    ("GET", "/api/v1/reports/channels"): SUPERVISORS,
    ("GET", "/api/v1/reports/agents"): SUPERVISORS,
    ("GET", "/api/v1/live/queues"): SUPERVISORS,
    ("GET", "/api/v1/live/agents"): SUPERVISORS,
    ("GET", "/api/v1/assist/snippets"): SUPERVISORS,
    ("POST", "/api/v1/assist/snippets/{canned_id}/enable"): SUPERVISORS,
    ("GET", "/api/v1/conversations"): SUPERVISORS,
    ("POST", "/api/v1/conversations/{id}/messages"): SUPERVISOR_OBJ,
    ("POST", "/api/v1/conversations/{id}/close"): SUPERVISOR_OBJ,
    ("POST", "/api/v1/conversations/{id}/transfer"): SUPERVISOR_OBJ,
    ("GET", "/api/v1/contacts"): SUPERVISORS,
    ("POST", "/api/v1/contacts"): SUPERVISORS,
    ("PATCH", "/api/v1/contacts/{id}"): SUPERVISOR_OBJ,
    ("GET", "/api/v1/contacts/{id}/export"): SUPERVISOR_OBJ,
    ("POST", "/api/v1/contacts/{id}/erase"): SUPERVISOR_OBJ,
    **{(m, p): ADMINS for m, p in (
        ("GET", "/api/v1/admin/settings"), ("POST", "/api/v1/admin/agents"), ("PATCH", "/api/v1/admin/agents/{id}"),
        ("POST", "/api/v1/admin/agents/{id}/password"), ("PUT", "/api/v1/admin/queues/{id}"),
        ("DELETE", "/api/v1/admin/queues/{id}"), ("PUT", "/api/v1/admin/topics/{id}"),
        ("DELETE", "/api/v1/admin/topics/{id}"), ("PUT", "/api/v1/admin/canned/{id}"),
        ("DELETE", "/api/v1/admin/canned/{id}"), ("PUT", "/api/v1/admin/labels/{id}"),
        ("DELETE", "/api/v1/admin/labels/{id}"), ("PUT", "/api/v1/admin/hours"), ("PUT", "/api/v1/admin/widget"),
        ("DELETE", "/api/v1/admin/overrides/{kind}/{id}"), ("GET", "/api/v1/admin/apikeys"),
        ("POST", "/api/v1/admin/apikeys"), ("DELETE", "/api/v1/admin/apikeys/{id}"),
        ("GET", "/api/v1/admin/webhooks"), ("POST", "/api/v1/admin/webhooks"), ("GET", "/api/v1/admin/webhooks/{id}"),
        ("PATCH", "/api/v1/admin/webhooks/{id}"), ("DELETE", "/api/v1/admin/webhooks/{id}"),
        ("GET", "/api/v1/admin/webhooks/{id}/deliveries"), ("GET", "/api/v1/admin/webhooks/{id}/dead-letters"),
        ("POST", "/api/v1/admin/webhooks/{id}/dead-letters/replay"),
        ("POST", "/api/v1/admin/webhooks/{id}/dead-letters/{delivery}/replay"),
        ("POST", "/api/v1/admin/webhooks/{id}/rotate"), ("POST", "/api/v1/admin/webhooks/{id}/test"))},
    ("GET", "/rate/{tenant}/{cid}/{sig}"): SIGNED,
    ("POST", "/rate/{tenant}/{cid}/{sig}"): SIGNED,
    ("GET", "/callbacks/{callback_id}"): SIGNED,
    ("POST", "/callbacks/{callback_id}"): SIGNED,
    ("GET", "/callbacks/{callback_id}/cancel"): SIGNED,
    ("GET", "/webhooks/{type}/{channel}"): SIGNED,
    ("POST", "/webhooks/{type}/{channel}"): SIGNED,
    ("POST", "/webhooks/dialer/{channel}"): SIGNED,
}
# Without any credential these answer 404 like for a stranger's file (a visitor's own is read with
# X-Visitor-Token): nothing is said about which ids exist
NOT_FOUND_WITHOUT_CREDENTIALS = {("GET", "/api/v1/media/{id}")}
# Writes whose object is a person, not a record: everyone names the real one (anna); "there is no link"
# (404) is an allowed caller's answer there, not a refusal
PERSON_ROUTES = {("DELETE", "/api/v1/slack/links/{agent_id}")}
# Routes whose object is named in the path (allowed callers of a write get an id of nothing: the check
# is the same, and the world the refusals are checked against stays as it was)
OBJECT_RULES = {HOLDER, AGENT_HOLDER, SUPERVISOR_OBJ}

# Every Socket.IO event, and who may send it. (namespace, event) -> rule
OWN = "own conversation"  # the visitor's own conversation only
EVENTS: dict[tuple[str, str], str] = {
    **{("/visitor", e): PUBLIC for e in ("message", "history", "typing", "escalate", "close", "end_chat",
                                          "talk_to_person")},
    **{("/visitor", e): OWN for e in ("rate", "transcript")},
    **{("/agent", e): LOGIN for e in ("state", "accept", "decline", "assist_suggest")},
    **{("/agent", e): AGENT_HOLDER for e in ("message", "history", "typing", "close", "wrapup", "transfer", "note",
                                            "label", "escalate", "callback_outcome", "assist_correct")},
    **{("/supervisor", e): SUPERVISOR_OBJ for e in ("agent_state", "logout_agent", "agent_detail", "assign",
                                                   "pick_up", "move", "monitor", "whisper", "barge",
                                                   "message", "assist_correct")},
    ("/supervisor", "unmonitor"): SUPERVISORS,  # only takes the caller out of a room it may not be in: refuses nobody
}
# who may open each namespace at all
CONNECT = {"/agent": {AGENT, OTHER_AGENT}, "/supervisor": {SUPERVISOR, ADMIN, FOREIGN}}
NAMESPACES = {"/visitor": VisitorNamespace, "/agent": AgentNamespace, "/supervisor": SupervisorNamespace}
# bodies of the right shape, so that the permission check, not the body's validation, answers
BODIES: dict[tuple[str, str], dict] = {
    ("PATCH", "/api/v1/contacts/{id}"): {"name": "Mallory"},
    ("POST", "/api/v1/contacts/{id}/merge"): {"from": "k_00000000000000fe"},
    ("POST", "/api/v1/conversations/{id}/messages"): {"text": "hi", "client_id": "pm", "author": {"kind": "bot", "name": "B"}},
    ("POST", "/api/v1/conversations/{id}/transfer"): {"queue": "tech"},
}
NOTHING = {"conversations": "c_00000000000000ff", "contacts": "k_00000000000000ff", "media": "a_00000000000000ff",
           "apikeys": "p_00000000000000ff", "webhooks": "w_00000000000000ff"}


def handlers(cls) -> set[str]:
    return {n[3:] for n in vars(cls) if n.startswith("on_")} - {"connect", "disconnect"}


def served(app) -> set[tuple[str, str]]:
    """Every (method, route) of the app: the OpenAPI test's list (pages and static files are no API)."""
    return registered(app)


def test_every_route_and_every_event_has_a_row():
    app = create_app(load_config(DEMO_CONFIG, env={}), redis_url="redis://127.0.0.1:1/0")
    routes = served(app)
    assert sorted(routes - set(ROUTES)) == [], "routes without a row in ROUTES: who may call them?"
    assert sorted(set(ROUTES) - routes) == [], "rows of routes the gateway does not serve"
    events = {(ns, e) for ns, cls in NAMESPACES.items() for e in handlers(cls)}
    assert sorted(events - set(EVENTS)) == [], "events without a row in EVENTS: who may send them?"
    assert sorted(set(EVENTS) - events) == [], "rows of events no namespace handles"


def test_the_table_sees_a_new_route():
    """A route added without a row is caught (the check above is not vacuous)."""
    from aiohttp import web

    app = create_app(load_config(DEMO_CONFIG, env={}), redis_url="redis://127.0.0.1:1/0")

    async def nothing(request: web.Request) -> web.Response:
        return web.Response()

    app.router.add_get("/api/v1/forgotten", nothing)
    assert served(app) - set(ROUTES) == {("GET", "/api/v1/forgotten")}


# --- the world ---------------------------------------------------------------------------------------

def config():
    cfg = two_tenants_config()
    sam = cfg.tenants["demo"].supervisors["sam"]
    assert sam.admin, "the matrix needs sam as the demo tenant's admin"
    cfg.tenants["demo"].supervisors["sid"] = SupervisorConfig("sid", "Sid", cfg.tenants["demo"].agents["anna"].password_hash)
    for channel in cfg.tenants["demo"].channels.values():
        channel.api_base, channel.listen_host = "http://127.0.0.1:9", ""
    return cfg


@pytest.fixture
async def gw(redis, redis_url, history_db, database_url):
    async with history_gateway(config(), redis_url, database_url) as gateway:
        yield gateway


def _expired_token(gw, tenant: str, session_id: str) -> str:
    sessions = gw.app[SESSIONS]
    payload = base64.urlsafe_b64encode(json.dumps({"t": tenant, "s": session_id, "e": int(time.time()) - 60}).encode())
    payload_text = payload.rstrip(b"=").decode()
    return f"{payload_text}.{sign(sessions.key, payload_text)}"


class World:
    async def build(self, gw) -> World:
        self.gw = gw
        self.svc = gw.app[SERVICES]
        self.anna, inbox = await gw.agent("anna")
        self.vera, vera_in = await gw.visitor(name="Vera")
        ack = await self.vera.call("message", {"text": "hello", "client_id": "v1"}, namespace="/visitor")
        self.cid = ack["conversation_id"]
        offer = await inbox.next("offer", lambda o: o["conversation_id"] == self.cid)
        accepted = await self.anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
        self.contact = accepted["conversation"]["contact"]["id"]
        self.visitor_token = (await vera_in.next("session"))["visitor_token"]
        logins = {AGENT: "anna", OTHER_AGENT: "ben", SUPERVISOR: "sid", ADMIN: "sam", FOREIGN: "sue"}
        passwords = {"sid": "anna-demo", "sue": "anna-demo"}
        self.tokens: dict[str, str | None] = {who: (await gw.login(name, passwords.get(name)))["token"]
                                              for who, name in logins.items()}
        gone = await gw.login("clara")
        async with aiohttp.ClientSession() as http:
            async with http.post(gw.url + "/api/v1/logout", headers={"Authorization": f"Bearer {gone['token']}"}) as r:
                assert r.status == 200
        anna = await gw.app[SESSIONS].check(self.tokens[AGENT])
        self.tokens |= {NONE: None, REVOKED: gone["token"], EXPIRED: _expired_token(gw, "demo", anna.session_id),
                        FORGED: self.tokens[ADMIN][:-4] + ("AAAA" if not self.tokens[ADMIN].endswith("AAAA") else "BBBB"),
                        VISITOR: self.visitor_token}
        return self

    def path(self, route: str, real: bool) -> str:
        """The route with its parameters filled: the world's objects (real), or ids of nothing."""
        parts = route.split("/")
        out = []
        for i, part in enumerate(parts):
            if not part.startswith("{"):
                out.append(part)
                continue
            collection = parts[i - 1]
            if real and collection == "conversations":
                out.append(self.cid)
            elif real and collection == "contacts":
                out.append(self.contact)
            elif part == "{agent_id}":
                out.append("anna" if real else "nobody")
            elif part == "{tenant}":
                out.append("demo")
            elif part == "{cid}":
                out.append(self.cid)
            else:
                out.append(NOTHING.get(collection, "nothing"))
        return "/".join(out)

    async def state(self) -> dict:
        redis = self.svc.redis
        conv = await redis.hgetall(DEMO.conv(self.cid))
        return {"conv": {k: conv.get(k) for k in ("state", "agent_id", "queue", "labels", "wrapup_code")},
                "messages": await redis.xlen(DEMO.conv_messages(self.cid)),
                "contact": await redis.hgetall(DEMO.contact(self.contact)),
                "anna": (await self.svc.router.engine("demo").agent("anna")).get("state")}


async def _call(http, gw, method: str, path: str, token: str | None, body: dict | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs: dict[str, Any] = {} if method == "GET" else {"json": body or {}}
    async with http.request(method, gw.url + path, headers=headers, allow_redirects=False, **kwargs) as r:
        try:
            body = await r.json(content_type=None)
        except ValueError:
            body = None
        return r.status, body


async def test_every_route_for_every_caller(gw):
    world = await World().build(gw)
    before = await world.state()
    checked = 0
    async with aiohttp.ClientSession() as http:
        # logout last: an allowed caller ends its own session with it
        rows = sorted(ROUTES.items(), key=lambda r: (r[0] == ("POST", "/api/v1/logout"), r[0][1], r[0][0]))
        for (method, route), rule in rows:
            allowed = ALLOWED[rule]
            if (method, route) == ("POST", "/api/v1/logout"):  # logging an agent out sets it offline: check before
                assert await world.state() == before  # no refusal changed anything (nor an allowed write the world)
            for who in CALLERS:
                may = who in allowed
                # a write by someone allowed goes to an id of nothing; reads and every refusal to the real object
                real = not may or method == "GET" or rule not in OBJECT_RULES or (method, route) in PERSON_ROUTES
                path = world.path(route, real)
                if method == "POST" and route == "/api/v1/logout" and may:
                    name, password = {AGENT: ("anna", None), OTHER_AGENT: ("ben", None), SUPERVISOR: ("sid", "anna-demo"),
                                      ADMIN: ("sam", None), FOREIGN: ("sue", "anna-demo")}[who]
                    token = (await gw.login(name, password))["token"]  # its own session, not the matrix's
                else:
                    token = world.tokens[who]
                status, body = await _call(http, gw, method, path, token, BODIES.get((method, route)))
                where = (method, route, who, status, body if status >= 400 else "…")
                assert status < 500, where
                if rule == SIGNED:
                    assert status in (400, 401, 403, 404, 405), where  # no signature: refused, whoever asks
                elif may:
                    by_object = real and rule in OBJECT_RULES and (method, route) not in PERSON_ROUTES
                    refusal = (401, 403) + ((404,) if by_object else ())
                    assert status not in refusal, where
                elif who == NONE and (method, route) in NOT_FOUND_WITHOUT_CREDENTIALS:
                    assert status == 404, where
                elif who in NO_LOGIN or rule == VISITOR_TOKEN:
                    assert status == 401, where
                else:
                    assert status in (403, 404), where
                checked += 1
    assert checked == len(ROUTES) * len(CALLERS)
    assert (await world.state())["messages"] == before["messages"]
    async with aiohttp.ClientSession() as http:  # the visitor's own token passes where bearers did not
        form = aiohttp.FormData()
        form.add_field("file", b"hello", filename="a.txt", content_type="text/plain")
        async with http.post(gw.url + "/api/v1/widget/attachments", data=form,
                             headers={"X-Visitor-Token": world.visitor_token}) as r:
            assert r.status not in (401, 403), (r.status, await r.text())


async def _socket(gw, namespace: str, token: str | None) -> socketio.AsyncClient | None:
    client = socketio.AsyncClient(reconnection=False)
    try:
        await client.connect(gw.url, namespaces=[namespace], auth={"token": token} if token else {},
                             transports=["websocket"], wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        await client.disconnect()
        return None
    return client


async def test_every_socket_namespace_and_event_for_every_caller(gw):
    world = await World().build(gw)
    before = await world.state()
    sockets: dict[tuple[str, str], socketio.AsyncClient] = {}
    try:
        for namespace, may in CONNECT.items():
            for who in CALLERS:
                client = await _socket(gw, namespace, world.tokens[who])
                assert (client is not None) == (who in may), (namespace, who)
                if client is not None:
                    sockets[(namespace, who)] = client
        mallory, _ = await gw.visitor(name="Mallory")
        stranger, _ = await gw.visitor(tenant="acme", name="Eve", topic="help")
        # a visitor's own conversation is the one its session holds: another visitor names anna's in vain
        sockets[("/visitor", "other visitor")] = mallory
        sockets[("/visitor", "other tenant's visitor")] = stranger
        world_ids = {"conversation_id": world.cid, "agent_id": "anna", "offer_id": "o_00000000000000ff",
                     "queue": "tech", "text": "x", "client_id": "pm1", "state": "available", "score": 1,
                     "email": "m@evil.example", "wrapup_code": "resolved", "add": "vip", "to": "email",
                     "topic": "tech", "outcome": "reached", "after_seq": 0, "on": True}
        nothing = {**world_ids, "conversation_id": "c_00000000000000ff", "agent_id": "nobody"}
        checked = 0
        for (namespace, event), rule in sorted(EVENTS.items()):
            for (ns, who), client in sockets.items():
                if ns != namespace:
                    continue
                may = rule in (PUBLIC, LOGIN) or who in ALLOWED.get(rule, set())
                if rule == SUPERVISORS:
                    may = True  # connected to /supervisor at all: a supervisor
                # an allowed sender acts on nothing; a refused one on the real conversation and agent
                data = {**(nothing if may else world_ids), "topic": "help" if who == FOREIGN else "tech"}
                ack = await client.call(event, data, namespace=namespace, timeout=5)
                code = ack.get("error", {}).get("code") if isinstance(ack, dict) else None
                where = (namespace, event, who, ack)
                if may:
                    assert code not in ("forbidden", "unauthorized", "unknown_event"), where
                else:
                    assert code in ("forbidden", "not_found", "no_conversation"), where
                checked += 1
        assert checked > len(EVENTS)
        assert await world.state() == before
    finally:
        for client in sockets.values():
            if client.connected:
                await client.disconnect()
