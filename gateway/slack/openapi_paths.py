"""The OpenAPI description of /api/v1/slack/links (gateway/api/openapi.py merges it)."""

from __future__ import annotations

_ERR = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _op(summary: str, errors: tuple[int, ...], body: bool = False) -> dict:
    op: dict = {"summary": summary, "security": [{"bearer": []}],
                "responses": {"200": {"description": "OK"}, **{str(c): _ERR for c in errors}}}
    if body:
        op["requestBody"] = {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"agent_id": {"type": "string"}}}}}}
    return op


OPENAPI_PATHS = {
    "/api/v1/slack/links": {
        "get": _op("Slack accounts linked to agents (supervisors: the tenant's; an agent: its own) and whether "
                   "Slack is connected (docs/slack.md)", (401, 403)),
        "post": _op("Link an agent (an agent: itself; a supervisor: agent_id) to the Slack account Slack finds under "
                    "the agent's configured email, when that email is confirmed in Slack", (400, 401, 403, 404, 409,
                                                                                            502, 503), body=True),
    },
    "/api/v1/slack/links/{agent_id}": {
        "parameters": [{"name": "agent_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "delete": _op("Remove an agent's Slack link (the agent itself, or a supervisor)", (401, 403, 404)),
    },
}
