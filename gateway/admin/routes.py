"""/api/v1/admin/…: the admin screens' REST API (supervisors with ``admin: true``; the tenant is always
the token's). Every write answers with ``X-Revision`` and leaves one audit entry; errors are
``{"error": {"code", "message", "field"?}}``, as everywhere else (``field``: the body's field it is about)."""

from __future__ import annotations

import asyncio
from typing import Any, NoReturn

import orjson
from aiohttp import web

from gateway import appkeys as K
from gateway.admin import bodies
from gateway.admin.bodies import ID, KINDS, SINGLE, Invalid
from gateway.admin.overlay import Stored, current, differs, public
from gateway.admin.service import AdminSettings, Change, NotFound, Refused, Stale
from gateway.admin.store import DATABASE_ERRORS
from gateway.agent_logout import log_agent_out
from gateway.api.auth_helpers import principal
from gateway.auth import LoginBusy, Principal, hash_password
from gateway.config.schema import POLICIES, WORK_CHANNELS, AgentConfig, TenantConfig
from gateway.keys import TenantKeys
from gateway.store.conversations import open_conversations

routes = web.RouteTableDef()
ITEM_KINDS = {"queues": "queue", "topics": "topic", "canned": "canned", "labels": "label"}


def _fail(status: int, code: str, message: str, field: str | None = None) -> NoReturn:
    detail: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        detail["field"] = field
    body = {"error": detail}
    error = web.HTTPException(text=orjson.dumps(body).decode(), content_type="application/json")
    error.set_status(status)
    raise error


async def _admin(request: web.Request) -> tuple[Principal, AdminSettings]:
    """The admin behind the token and this process's settings (403 / 503 otherwise)."""
    who = await principal(request)
    tenant = request.config_dict[K.CONFIG].tenants[who.tenant]
    sup = tenant.supervisors.get(who.user_id) if who.role == "supervisor" else None
    if (sup is None or not sup.admin) and "admin" not in who.scopes:  # or an API key with the admin scope
        _fail(403, "not_admin", "the admin screens need a supervisor with the admin permission")
    admin = request.config_dict.get(K.ADMIN)
    if admin is None:
        _fail(503, "admin_unavailable", "admin settings need the history database, and this gateway runs without one")
    return who, admin


def _if_match(request: web.Request) -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    text = raw.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        _fail(400, "invalid", "If-Match must be a revision number", "If-Match")
    return int(text)


async def _body(request: web.Request, *, nullable: bool = False) -> Any:
    try:
        data = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        _fail(400, "invalid", "the body is not valid JSON in UTF-8", "")
    if data is None and nullable:
        return None
    if not isinstance(data, dict):
        _fail(400, "invalid", "expected a JSON object", "")
    return data


async def _write(request: web.Request, who: Principal, admin: AdminSettings, change: Change,
                 details: dict | None = None) -> tuple[int, TenantConfig, TenantConfig]:
    """Run a change; its refusals become the API's errors."""
    try:
        return await admin.write(who, change, _if_match(request), details)
    except Stale as err:
        _fail(409, "stale", str(err))
    except Refused as err:
        _fail(err.status, err.code, err.message, err.field)
    except NotFound as err:
        _fail(404, "not_found", str(err))
    except DATABASE_ERRORS:
        _fail(503, "database_unavailable", "the settings database cannot be reached; nothing was changed")


def _done(revision: int, body: Any = None, status: int = 200) -> web.Response:
    headers = {"X-Revision": str(revision)}
    if body is None:
        return web.Response(status=204, headers=headers)
    return web.json_response(body, status=status, headers=headers)


def _parse(fn, *args: Any) -> Any:
    try:
        return fn(*args)
    except Invalid as err:
        _fail(400, "invalid", err.message, err.field)


# --- reading -------------------------------------------------------------------------------
def _meta(admin: AdminSettings, tid: str, kind: str, item_id: str, now: TenantConfig) -> dict:
    state = admin.state[tid]
    stored = next((i for i in state.items if i.key == (kind, item_id)), None)
    problem = state.problems.get((kind, item_id))
    return {
        "source": "admin" if stored is not None and problem is None else "config",
        "changed_at": stored.changed_at.isoformat() if stored and stored.changed_at else None,
        "changed_by": stored.changed_by if stored else None,
        "config_differs": bool(stored and problem is None and differs(admin.base[tid], stored, now)),
        "problem": problem,
    }


def _listing(admin: AdminSettings, tid: str, kind: str, now: TenantConfig) -> list[dict]:
    sections: dict[str, dict[str, Any]] = {"agent": now.agents, "queue": now.queues, "topic": now.topics,
                                           "label": now.labels}
    values: list[Any] = list(now.canned) if kind == "canned" else list(sections[kind].values())
    out = [{**public(kind, v), **_meta(admin, tid, kind, v.id, now)} for v in values]
    shown = {o["id"] for o in out}
    for item in admin.state[tid].items:  # admin-made items left out for a problem: shown, to be fixed
        if item.kind == kind and not item.deleted and item.item_id not in shown and isinstance(item.body, dict):
            raw = {k: v for k, v in item.body.items() if k != "password_hash"}
            out.append({**raw, "id": item.item_id, **_meta(admin, tid, kind, item.item_id, now)})
    return out


def settings_view(admin: AdminSettings, tid: str, now: TenantConfig) -> dict:
    state = admin.state[tid]
    skills = sorted({q.skill for q in now.queues.values()} | {s for a in now.agents.values() for s in a.skills})
    hours = public("hours", now.hours)
    hours_meta = _meta(admin, tid, "hours", "", now)
    return {
        "revision": max(state.revision, 0), "work_channels": list(WORK_CHANNELS), "languages": list(now.languages),
        "skills": skills, "policies": list(POLICIES),
        **{plural: _listing(admin, tid, kind, now) for plural, kind in
           (("agents", "agent"), ("queues", "queue"), ("topics", "topic"), ("canned", "canned"), ("labels", "label"))},
        "hours": None if hours is None else {**hours, **hours_meta}, "hours_meta": hours_meta,
        "widget": {**public("widget", now.widget), **_meta(admin, tid, "widget", "", now)},
        "deleted": [_deleted(i, state.problems.get(i.key)) for i in state.items if i.deleted],
    }


def _deleted(item: Stored, problem: str | None) -> dict:
    return {"kind": item.kind, "id": item.item_id, "changed_at": item.changed_at.isoformat() if item.changed_at else None,
            "changed_by": item.changed_by, "problem": problem}


@routes.get("/api/v1/admin/settings")
async def get_settings(request: web.Request) -> web.Response:
    who, admin = await _admin(request)
    now = request.config_dict[K.CONFIG].tenants[who.tenant]
    return web.json_response(settings_view(admin, who.tenant, now))


# --- agents --------------------------------------------------------------------------------
def _agent_out(admin: AdminSettings, tid: str, now: TenantConfig, agent_id: str) -> dict:
    return {**public("agent", now.agents[agent_id]), **_meta(admin, tid, "agent", agent_id, now)}


async def _hash(request: web.Request, password: str) -> str:
    try:
        with request.config_dict[K.SESSIONS].hash_slots.take():
            return await asyncio.get_running_loop().run_in_executor(None, hash_password, password)
    except LoginBusy:
        _fail(429, "busy", "too many password operations at once; retry in a second")


@routes.post("/api/v1/admin/agents")
async def create_agent(request: web.Request) -> web.Response:
    who, admin = await _admin(request)
    d = await _body(request)
    config = request.config_dict[K.CONFIG]
    now = config.tenants[who.tenant]
    agent_id = d.get("id")
    if not isinstance(agent_id, str) or not ID.fullmatch(agent_id):
        _fail(400, "invalid", "an id of 1-64 characters: a-z, 0-9, _ and -, starting with a letter or digit", "id")
    # logins are looked up across tenants when no tenant is given: the id must be free everywhere
    if any(agent_id in t.agents or agent_id in t.supervisors for t in config.tenants.values()) \
            or any(i.key == ("agent", agent_id) for i in admin.state[who.tenant].items):
        _fail(409, "exists", f"the login id '{agent_id}' is taken; choose another", "id")
    secret = _parse(bodies.password, d)
    agent = _parse(bodies.agent, agent_id, {k: v for k, v in d.items() if k != "password"}, now)
    body = {**bodies.agent_json(agent), "password_hash": await _hash(request, secret)}
    body.pop("id")
    revision, _, after = await _write(request, who, admin, Change("agent", agent_id, "save", "admin.agent.create", body))
    return _done(revision, _agent_out(admin, who.tenant, after, agent_id), 201)


def _existing_agent(request: web.Request, tenant: str, agent_id: str) -> tuple[TenantConfig, AgentConfig]:
    """The tenant in effect and its agent ``agent_id`` (404 when there is none)."""
    now = request.config_dict[K.CONFIG].tenants[tenant]
    existing = now.agents.get(agent_id)
    if existing is None:
        _fail(404, "not_found", "there is no such agent")
    return now, existing


@routes.patch("/api/v1/admin/agents/{id}")
async def update_agent(request: web.Request) -> web.Response:
    who, admin = await _admin(request)
    agent_id = request.match_info["id"]
    now, existing = _existing_agent(request, who.tenant, agent_id)
    d = await _body(request)
    for name in ("password", "password_hash"):
        if name in d:
            _fail(400, "invalid", "change a password with POST /api/v1/admin/agents/{id}/password", name)
    if "id" in d and d["id"] != agent_id:
        _fail(400, "invalid", "an agent's id cannot change", "id")
    merged = {**bodies.agent_json(existing), **d}
    agent = _parse(bodies.agent, agent_id, merged, now)
    body = bodies.agent_json(agent)
    body.pop("id")
    revision, before, after = await _write(request, who, admin, Change("agent", agent_id, "save", "admin.agent.update", body))
    if agent.disabled and not before.agents[agent_id].disabled:
        await log_agent_out(request.config_dict[K.SERVICES], who.tenant, agent_id, "account_disabled")
    return _done(revision, _agent_out(admin, who.tenant, after, agent_id))


@routes.post("/api/v1/admin/agents/{id}/password")
async def reset_password(request: web.Request) -> web.Response:
    who, admin = await _admin(request)
    agent_id = request.match_info["id"]
    now, existing = _existing_agent(request, who.tenant, agent_id)
    d = await _body(request)
    secret = _parse(bodies.password, d)
    body = {**bodies.agent_json(existing), "password_hash": await _hash(request, secret)}
    body.pop("id")
    revision, _, _ = await _write(request, who, admin, Change("agent", agent_id, "save", "admin.agent.password", body,
                                                              fields=("password",)))
    await log_agent_out(request.config_dict[K.SERVICES], who.tenant, agent_id, "password_changed")
    return _done(revision)


# --- queues, topics, canned answers, labels --------------------------------------------------
def _item_kind(request: web.Request) -> tuple[str, str]:
    kind = ITEM_KINDS[request.match_info["section"]]
    return kind, request.match_info["id"]


@routes.put(r"/api/v1/admin/{section:queues|topics|canned|labels}/{id}")
async def save_item(request: web.Request) -> web.Response:
    who, admin = await _admin(request)
    kind, item_id = _item_kind(request)
    now = request.config_dict[K.CONFIG].tenants[who.tenant]
    known = current(now, kind, item_id) is not None or current(admin.base[who.tenant], kind, item_id) is not None
    if not known and not ID.fullmatch(item_id):
        _fail(400, "invalid", "an id of 1-64 characters: a-z, 0-9, _ and -, starting with a letter or digit", "id")
    d = await _body(request)
    if "id" in d and d["id"] != item_id:
        _fail(400, "invalid", "the id in the body differs from the one in the address", "id")
    parse = {"queue": bodies.queue, "topic": bodies.topic, "canned": bodies.canned, "label": bodies.label}[kind]
    value = _parse(parse, item_id, d, now)
    body = public(kind, value)
    body.pop("id")
    revision, _, after = await _write(request, who, admin, Change(kind, item_id, "save", f"admin.{kind}.save", body))
    return _done(revision, {**public(kind, current(after, kind, item_id)), **_meta(admin, who.tenant, kind, item_id, after)})


@routes.delete(r"/api/v1/admin/{section:queues|topics|canned|labels}/{id}")
async def delete_item(request: web.Request) -> web.Response:
    who, admin = await _admin(request)
    kind, item_id = _item_kind(request)
    now = request.config_dict[K.CONFIG].tenants[who.tenant]
    if current(now, kind, item_id) is None:
        _fail(404, "not_found", f"there is no such {kind}")
    if kind == "queue":
        services = request.config_dict[K.SERVICES]
        live = [c for c in await open_conversations(services.redis, TenantKeys(who.tenant)) if c.queue == item_id]
        if live:
            _fail(409, "in_use", f"queue '{item_id}' has {len(live)} waiting or open conversation(s); "
                  "delete it once they are closed or moved", "id")
    in_yaml = current(admin.base[who.tenant], kind, item_id) is not None
    change = Change(kind, item_id, "delete" if in_yaml else "drop", f"admin.{kind}.delete")
    revision, _, _ = await _write(request, who, admin, change)
    return _done(revision)


# --- business hours and the widget's look ----------------------------------------------------
@routes.put("/api/v1/admin/hours")
async def save_hours(request: web.Request) -> web.Response:
    who, admin = await _admin(request)
    d = await _body(request, nullable=True)
    value = None if d is None else _parse(bodies.hours, d)
    body = {"value": bodies.hours_json(value)}
    revision, _, after = await _write(request, who, admin, Change("hours", "", "save", "admin.hours.save", body))
    meta = _meta(admin, who.tenant, "hours", "", after)
    shown = public("hours", after.hours)
    return _done(revision, {"hours": None if shown is None else {**shown, **meta}, "hours_meta": meta})


@routes.put("/api/v1/admin/widget")
async def save_widget(request: web.Request) -> web.Response:
    who, admin = await _admin(request)
    d = await _body(request)
    now = request.config_dict[K.CONFIG].tenants[who.tenant]
    body = _parse(bodies.look, d, now)
    revision, _, after = await _write(request, who, admin, Change("widget", "", "save", "admin.widget.save", body))
    return _done(revision, {**public("widget", after.widget), **_meta(admin, who.tenant, "widget", "", after)})


# --- back to the config file's version ---------------------------------------------------------
@routes.delete("/api/v1/admin/overrides/{kind}/{id}")
async def revert(request: web.Request) -> web.Response:
    who, admin = await _admin(request)
    kind, item_id = request.match_info["kind"], request.match_info["id"]
    if kind not in KINDS:
        _fail(404, "not_found", f"'{kind}' is not a kind of setting ({', '.join(KINDS)})")
    if kind in SINGLE:
        if item_id != "-":
            _fail(404, "not_found", f"the {kind} has no id: use /api/v1/admin/overrides/{kind}/-")
        item_id = ""
    if kind not in SINGLE and current(admin.base[who.tenant], kind, item_id) is None:
        if any(i.key == (kind, item_id) for i in admin.state[who.tenant].items):
            _fail(409, "no_config_version", f"the config file has no {kind} '{item_id}' to go back to"
                  + ("; disable the agent instead" if kind == "agent" else "; delete it instead"))
        _fail(404, "not_found", f"there is no admin version of this {kind}")
    revision, before, after = await _write(request, who, admin, Change(kind, item_id, "drop", "admin.revert"))
    if kind == "agent" and item_id in after.agents and before.agents.get(item_id) is not None:
        if after.agents[item_id].disabled and not before.agents[item_id].disabled:
            await log_agent_out(request.config_dict[K.SERVICES], who.tenant, item_id, "account_disabled")
        elif after.agents[item_id].password_hash != before.agents[item_id].password_hash:
            await log_agent_out(request.config_dict[K.SERVICES], who.tenant, item_id, "password_changed")
    return _done(revision)
