"""GET /api/v1/openapi.json: the REST API, described (OpenAPI 3.1)."""

from __future__ import annotations

from aiohttp import web

routes = web.RouteTableDef()

_ERROR = {"$ref": "#/components/schemas/Error"}
_BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


def _op(summary: str, ok: dict | None = None, *, auth: bool = True, body: dict | None = None, errors=(401,)) -> dict:
    op: dict = {"summary": summary, "responses": {"200": {"description": "OK", **({"content": {"application/json": {"schema": ok}}} if ok else {})}}}
    for code in errors:
        op["responses"][str(code)] = {"description": "Error", "content": {"application/json": {"schema": _ERROR}}}
    if auth:
        op["security"] = _BEARER
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def _obj(**props: str) -> dict:
    return {"type": "object", "properties": {k: {"type": v} for k, v in props.items()}}


SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "omnirelay", "version": "1", "description": "REST API of the omnirelay gateway. Real-time traffic uses Socket.IO (see README)."},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "properties": {"error": _obj(code="string", message="string")}},
            "Message": _obj(id="string", conversation_id="string", seq="integer", author="object", text="string", ts="number"),
            "Contact": _obj(id="string", name="string", email="string", phone="string", identities="array"),
        },
    },
    "paths": {
        "/api/v1/login": {"post": _op(
            "Log in an agent or supervisor",
            _obj(token="string", role="string", agent_id="string", tenant="string", name="string", expires_at="number"),
            auth=False, body=_obj(username="string", password="string", tenant="string"), errors=(400, 401, 429),
        )},
        "/api/v1/logout": {"post": _op("End the session of the presented token")},
        "/api/v1/me": {"get": _op("Who the token belongs to", _obj(user_id="string", role="string", tenant="string"))},
        "/api/v1/widget/config": {"get": {**_op("Widget settings of a tenant (public)", _obj(
            tenant="string", languages="array", topics="array", long_wait_s="number", agents_online="integer"
        ), auth=False, errors=(404,)), "parameters": [{"name": "tenant", "in": "query", "required": True, "schema": {"type": "string"}}]}},
        "/api/v1/widget/callback-slots": {"get": {**_op("Times a callback may be booked for, with the places left (public)", _obj(
            tenant="string", queue="string", timezone="string", slot_minutes="integer", asap="boolean", slots="array"
        ), auth=False, errors=(400, 404, 429)), "parameters": [
            {"name": n, "in": "query", "required": n == "tenant", "schema": {"type": "string"}}
            for n in ("tenant", "queue", "topic", "language")]}},
        "/api/v1/canned": {"get": _op("Canned answers of the tenant", {"type": "array", "items": _obj(id="string", title="string", text="string", language="string")})},
        "/api/v1/directory": {"get": _op("Queues, agents and wrap-up codes (for transfer and close)", _obj(queues="array", agents="array", wrapup_codes="array"))},
        "/api/v1/conversations/{id}": {"get": {**_op("A conversation with all its messages", _obj(id="string", state="string", messages="array"), errors=(401, 404)),
                                                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]}},
        "/api/v1/contacts/{id}": {"get": {**_op("A contact and its identities", {"$ref": "#/components/schemas/Contact"}, errors=(401, 404)),
                                          "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]}},
        "/api/v1/contacts/{id}/conversations": {"get": {**_op("The contact's conversations on every channel, newest first", {"type": "array", "items": _obj(
            id="string", channel="string", channel_type="string", state="string", created_at="number", last_message="object"
        )}, errors=(401, 404)), "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]}},
        **{f"/api/v1/reports/{dim}": {"get": {**_op(
            f"Historical figures per interval and {dim[:-1]} from the archived ACD event log (supervisors; CSV with format=csv)",
            _obj(dimension="string", interval="string", timezone="string", buckets="array", rows="array", totals="array"),
            errors=(400, 401, 403, 503)), "parameters": [
            {"name": "from", "in": "query", "schema": {"type": "string"}, "description": "YYYY-MM-DD (local day) or ISO 8601; default today"},
            {"name": "to", "in": "query", "schema": {"type": "string"}, "description": "YYYY-MM-DD (included) or ISO 8601 (excluded)"},
            {"name": "interval", "in": "query", "schema": {"type": "string", "enum": ["15min", "hour", "day", "week"]}},
            {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}}]}}
           for dim in ("queues", "channels", "agents")},
        "/api/v1/search": {"get": {**_op(
            "Conversations the caller may see that match (agents: what they served and their current customers' "
            "history; supervisors: the tenant), by relevance then newest, with the matching snippet as text and parts",
            _obj(results="array", next="string"), errors=(400, 401, 503)), "parameters": [
            {"name": n, "in": "query", "schema": {"type": "string"}, "description": d} for n, d in (
                ("q", "full text in each conversation's language (websearch syntax: \"phrase\", -word, or)"),
                ("contact", "part of a contact's name, email, phone number or messenger id"),
                ("channel", "channel id, channel type or work channel"), ("queue", "queue id"),
                ("agent", "an agent the conversation was ever assigned to"), ("label", "one label"),
                ("wrapup_code", "the wrap-up code it was closed with"),
                ("from", "created at or after: YYYY-MM-DD (UTC day), ISO 8601 or epoch seconds"),
                ("to", "created before: YYYY-MM-DD (that day included), ISO 8601 or epoch seconds"),
                ("limit", "results per page, 1-100 (default 20)"), ("cursor", "the previous page's `next`"))]}},
        "/api/v1/contacts/{id}/export": {"get": {**_op(
            "Everything about the contact on every channel as a zip: contact.json (contacts, identities, conversations "
            "with messages and notes, callbacks, audit entries) and files/<id>/<name> (supervisors; audited)",
            errors=(401, 403, 404, 503)), "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]}},
        "/api/v1/contacts/{id}/erase": {"post": {**_op(
            "Erase the contact everywhere: Redis, the history database, files (open conversations are closed first); "
            "again is harmless (supervisors; audited without the data)",
            _obj(contact_id="string", erased="boolean", already_erased="boolean", contacts="integer",
                 conversations="integer", files="integer"), errors=(401, 403, 404, 503)),
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]}},
        "/api/v1/audit": {"get": {**_op(
            "The tenant's audit trail, newest first (supervisors); the X-Next-Offset header names the next page",
            {"type": "array", "items": _obj(id="string", ts="number", actor="string", role="string", action="string",
                                            details="object")}, errors=(400, 401, 403)), "parameters": [
            {"name": n, "in": "query", "schema": {"type": "string"}, "description": d} for n, d in (
                ("actor", "a user id (cli:<user> for the command line)"),
                ("action", "login, logout, agent.state, conversation.close, conversation.transfer, conversation.read, "
                           "contact.merge, contact.export, contact.erase"),
                ("from", "at or after: ISO 8601 or epoch seconds"), ("to", "before: ISO 8601 or epoch seconds"),
                ("limit", "entries per page, 1-1000 (default 100)"), ("offset", "entries to skip (default 0)"))]}},
        "/healthz": {"get": _op("Liveness and channel health; 503 when Redis is unreachable", _obj(status="string", channels="object"), auth=False, errors=(503,))},
        "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text format"}}}},
    },
}


@routes.get("/api/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(SPEC)
