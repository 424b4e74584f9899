"""The OpenAPI description of /api/v1/admin/webhooks… (gateway/api/openapi.py merges it)."""

from __future__ import annotations

BASE = "/api/v1/admin/webhooks"


def _op(summary: str, status: int = 200, errors: tuple[int, ...] = (401, 403, 404), body: bool = False) -> dict:
    err = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    op: dict = {"summary": summary, "security": [{"bearer": []}],
                "responses": {str(status): {"description": "OK"}, **{str(c): err for c in errors}}}
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"url": {"type": "string"}, "events": {"type": "array"},
                                             "enabled": {"type": "boolean"}, "retry_window_s": {"type": "number"},
                                             "name": {"type": "string"}}},
            "example": {"url": "https://crm.example.com/omnirelay", "events": ["conversation.closed", "message.created"],
                        "retry_window_s": 86400}}}}
    return op


_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
OPENAPI_PATHS = {
    BASE: {"get": _op("The tenant's event webhook subscriptions and the event types (admins; docs/webhooks.md)",
                      errors=(401, 403)),
           "post": _op("Subscribe a URL to events; the answer shows the signing secret once", 201,
                       (400, 401, 403, 409), body=True)},
    BASE + "/{id}": {"parameters": _ID,
                     "get": _op("One subscription"),
                     "patch": _op("Change url, events, enabled, retry_window_s or name (of a config-defined "
                                  "subscription only enabled: 409 config_defined)", errors=(400, 401, 403, 404, 409),
                                  body=True),
                     "delete": _op("Delete a subscription with its queued deliveries and dead letters "
                                   "(a config-defined one: 409 config_defined)", 204, (401, 403, 404, 409))},
    BASE + "/{id}/rotate": {"parameters": _ID, "post": _op("A new signing secret, shown once; in effect at once "
                                                           "(a config-defined one: 409)", errors=(401, 403, 404, 409))},
    BASE + "/{id}/deliveries": {"parameters": _ID, "get": _op(
        "The last attempts (status code, latency, attempts) and the deliveries waiting")},
    BASE + "/{id}/dead-letters": {"parameters": _ID, "get": _op("Deliveries given up after the retry window")},
    BASE + "/{id}/dead-letters/replay": {"parameters": _ID, "post": _op("Replay every dead letter")},
    BASE + "/{id}/dead-letters/{delivery}/replay": {
        "parameters": [*_ID, {"name": "delivery", "in": "path", "required": True, "schema": {"type": "string"}}],
        "post": _op("Replay one dead letter (same X-Omnirelay-Delivery id); 410 erased: it went with its "
                    "contact's erasure", errors=(401, 403, 404, 410))},
    BASE + "/{id}/test": {"parameters": _ID, "post": _op("Queue a webhook.test event for this subscription", 202)},
}
