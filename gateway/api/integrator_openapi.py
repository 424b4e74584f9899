"""The OpenAPI description of the API keys' routes and the integrators' routes, with examples, and the
``ork_`` key as a security scheme: ``extend(SPEC)`` lays it over gateway/api/openapi.py's document."""

from __future__ import annotations

from typing import Any

_ERROR = {"$ref": "#/components/schemas/Error"}
_AUTH: list[dict[str, list[str]]] = [{"bearer": []}, {"api_key": []}]
_CID = "c_5f1c2a9b7d3e4f60"
_KID = "k_0a1b2c3d4e5f6071"

API_KEY_SCHEME = {
    "type": "http", "scheme": "bearer", "bearerFormat": "ork_<43 characters>",
    "description": "An API key of the tenant (docs/api.md), sent as `Authorization: Bearer ork_…`. Scopes: `read` "
                   "(GET routes a supervisor may use), `write` (also POST/PUT/PATCH/DELETE outside /api/v1/admin/), "
                   "`admin` (also /api/v1/admin/…). A key never opens a Socket.IO session and never acts as an agent; "
                   "403 `insufficient_scope`, `agent_only` or `not_for_api_keys` otherwise, 401 for an unknown, "
                   "revoked or expired key.",
}


def _json(schema: dict, example: Any) -> dict:
    return {"application/json": {"schema": schema, "example": example}}


def _op(summary: str, ok: Any, *, status: int = 200, body: Any = None, errors: tuple[int, ...] = (400, 401, 403, 404),
        params: list[dict] | None = None, schema: dict | None = None) -> dict:
    op: dict[str, Any] = {"summary": summary, "security": _AUTH, "responses": {
        str(status): {"description": "OK", "content": _json(schema or {"type": "object"}, ok)}}}
    for code in errors:
        op["responses"][str(code)] = {"description": "Error", "content": {"application/json": {"schema": _ERROR}}}
    if body is not None:
        op["requestBody"] = {"required": True, "content": _json({"type": "object"}, body)}
    if params:
        op["parameters"] = params
    return op


def _path(name: str, example: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "example": example}


def _query(name: str, description: str, example: Any = None) -> dict:
    out = {"name": name, "in": "query", "schema": {"type": "string"}, "description": description}
    return {**out, "example": example} if example is not None else out


_KEY_RECORD = {"id": "p_3e9a0c1d2b4f5a6e", "tenant": "demo", "name": "crm-sync", "scopes": ["read", "write"],
               "created_by": "sam", "created_at": 1767225600.0, "expires_at": 1775001600.0, "revoked_at": None,
               "last_used_at": 1767229200.5, "calls": 42, "state": "active"}
_MESSAGE = {"id": "m_8d7c6b5a4f3e2d1c", "conversation_id": _CID, "seq": 4,
            "author": {"kind": "agent", "name": "Order bot", "id": "apikey:crm-sync"},
            "text": "Your order 4711 left our warehouse today.", "ts": 1767229200.5, "client_id": "crm-4711-shipped",
            "via": "api", "bot": True, "duplicate": False}
_CONTACT = {"id": _KID, "name": "Vera Kunde", "email": "vera@kunde.example", "phone": "4930123456",
            "email_verified": False, "phone_verified": False, "email_undeliverable": "", "created_at": 1767225600.0,
            "identities": ["user:crm-10077"]}

PATHS: dict[str, dict] = {
    "/api/v1/admin/apikeys": {
        "get": _op("The tenant's API keys, newest first, revoked and expired ones too (an admin, or a key with the "
                   "admin scope); never the key itself", [_KEY_RECORD], schema={"type": "array"}, errors=(401, 403)),
        "post": _op("Create an API key (a supervisor with admin: true; not with a key). The answer holds the key, "
                    "once: it is stored only as its SHA-256. Audited as apikey.create",
                    {**_KEY_RECORD, "calls": 0, "last_used_at": None, "key": "ork_" + "x" * 43}, status=201,
                    body={"name": "crm-sync", "scopes": ["read", "write"], "expires_in_days": 90},
                    errors=(400, 401, 403, 409)),
    },
    "/api/v1/admin/apikeys/{id}": {
        "parameters": [_path("id", "p_3e9a0c1d2b4f5a6e")],
        "delete": _op("Revoke an API key: refused from the next request on, by every gateway process (a supervisor "
                      "with admin: true; not with a key). Audited as apikey.revoke",
                      {**_KEY_RECORD, "revoked_at": 1767232800.0, "state": "revoked"}, errors=(401, 403, 404)),
    },
    "/api/v1/conversations": {"get": _op(
        "The tenant's open conversations, oldest first (closed ones: GET /api/v1/search)",
        {"conversations": [{"id": _CID, "channel": "web", "channel_type": "widget", "work_channel": "chat",
                            "contact_id": _KID, "state": "assigned", "topic": "billing", "queue": "billing",
                            "language": "en", "agent_id": "anna", "created_at": 1767225600.0,
                            "assigned_at": 1767225630.0, "seq": 3}], "more": False},
        errors=(400, 401, 403), params=[
            _query("state", "queued, offered or assigned", "assigned"), _query("queue", "a queue id", "billing"),
            _query("channel", "channel id, channel type or work channel", "widget"),
            _query("limit", "1-500 (default 100)", "100")])},
    "/api/v1/conversations/{id}/messages": {
        "parameters": [_path("id", _CID)],
        "post": _op("Post a message to the customer as a named bot or agent: stored, shown in the widget and the "
                    "console, sent to a messenger or by email through the same ordered outbox as console replies. "
                    "The same client_id again stores nothing new (200, duplicate: true). 409 closed or "
                    "window_closed. Audited as conversation.message", _MESSAGE, status=201,
                    body={"text": "Your order 4711 left our warehouse today.", "client_id": "crm-4711-shipped",
                          "author": {"kind": "bot", "name": "Order bot"}}, errors=(400, 401, 403, 404, 409)),
    },
    "/api/v1/conversations/{id}/close": {
        "parameters": [_path("id", _CID)],
        "post": _op("Close the conversation through the one close path (the customer and the agent are told; a "
                    "queue that requires a wrap-up code needs one). Audited as conversation.close",
                    {"ok": True, "conversation_id": _CID}, body={"wrapup_code": "resolved"},
                    errors=(400, 401, 403, 404, 409)),
    },
    "/api/v1/conversations/{id}/transfer": {
        "parameters": [_path("id", _CID)],
        "post": _op("Transfer: an assigned conversation to a queue or an agent (as an agent's transfer, with an "
                    "optional note for the next agent); a waiting one to another queue (keeping its waiting time) or "
                    "straight to an agent. 409 with the routing's reason when refused. Audited",
                    {"ok": True, "conversation_id": _CID, "queue": "tech", "agent": None},
                    body={"queue": "tech", "note": "Customer asks about the router's firmware."},
                    errors=(400, 401, 403, 404, 409)),
    },
    "/api/v1/contacts": {
        "get": _op("The contact your systems know by this user id (a list of 0 or 1)", [_CONTACT],
                   schema={"type": "array"}, errors=(400, 401, 403),
                   params=[{**_query("user_id", "the customer's id in your systems", "crm-10077"), "required": True}]),
        "post": _op("Create a contact; user_id is a verified identity (as a signed widget identity: the same "
                    "customer in the widget finds this contact), name/email/phone are claims (unverified). With the "
                    "user_id of a known contact: that contact, 200. Audited as contact.create",
                    {**_CONTACT, "created": True}, status=201,
                    body={"name": "Vera Kunde", "email": "vera@kunde.example", "phone": "+49 30 123456",
                          "user_id": "crm-10077"}, errors=(400, 401, 403)),
    },
    "/api/v1/contacts/{id}": {"patch": _op(
        "Change a contact: the name is replaced; an email or phone replaces an unverified one (409 verified "
        "otherwise). Merging two contacts: POST /api/v1/contacts/{id}/merge. Audited as contact.update",
        {**_CONTACT, "name": "Vera K."}, body={"name": "Vera K."}, errors=(400, 401, 403, 404, 409),
        params=[_path("id", _KID)])},
    "/api/v1/live/queues": {"get": _op(
        "Each queue now, as the supervisor dashboard shows it", {"ts": 1767229200.5, "queues": [
            {"id": "billing", "waiting": 2, "longest_wait_s": 41.2, "ewt_s": 30, "service_level": 0.92,
             "sla_threshold_s": 60}]}, errors=(401, 403))},
    "/api/v1/live/agents": {"get": _op(
        "Each agent now: state, load and capacity per work channel, occupancy", {"ts": 1767229200.5, "agents": [
            {"id": "anna", "name": "Anna", "state": "available", "load": {"chat": 1}, "capacity": {"chat": 3},
             "occupancy": 0.33}]}, errors=(401, 403))},
}

# a create that finds what it would make (a known user_id, a client_id sent before) answers 200, same body
for _route in ("/api/v1/contacts", "/api/v1/conversations/{id}/messages"):
    PATHS[_route]["post"]["responses"]["200"] = {**PATHS[_route]["post"]["responses"]["201"], "description": "already there"}


def extend(spec: dict) -> None:
    """Add the paths above and the ``api_key`` scheme; every route a login token opens names the key too
    (what each scope allows is the scheme's description)."""
    spec["components"]["securitySchemes"]["api_key"] = API_KEY_SCHEME
    for path, item in PATHS.items():
        spec["paths"].setdefault(path, {}).update(item)
    for item in spec["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("security") == [{"bearer": []}]:
                op["security"] = _AUTH
