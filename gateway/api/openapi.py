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
        "/api/v1/canned": {"get": _op("Canned answers of the tenant", {"type": "array", "items": _obj(id="string", title="string", text="string", language="string")})},
        "/api/v1/directory": {"get": _op("Queues, agents and wrap-up codes (for transfer and close)", _obj(queues="array", agents="array", wrapup_codes="array"))},
        "/api/v1/conversations/{id}": {"get": {**_op("A conversation with all its messages", _obj(id="string", state="string", messages="array"), errors=(401, 404)),
                                                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]}},
        "/api/v1/contacts/{id}": {"get": {**_op("A contact and its identities", {"$ref": "#/components/schemas/Contact"}, errors=(401, 404)),
                                          "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]}},
        "/api/v1/contacts/{id}/conversations": {"get": {**_op("The contact's conversations on every channel, newest first", {"type": "array", "items": _obj(
            id="string", channel="string", channel_type="string", state="string", created_at="number", last_message="object"
        )}, errors=(401, 404)), "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]}},
        "/healthz": {"get": _op("Liveness and channel health; 503 when Redis is unreachable", _obj(status="string", channels="object"), auth=False, errors=(503,))},
        "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text format"}}}},
    },
}


@routes.get("/api/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(SPEC)
