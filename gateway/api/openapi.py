"""GET /api/v1/openapi.json: the REST API, described (OpenAPI 3.1)."""

from __future__ import annotations

from aiohttp import web

from gateway.api import integrator_openapi
from gateway.event_webhooks.openapi_paths import OPENAPI_PATHS as EVENT_WEBHOOK_PATHS
from gateway.slack.openapi_paths import OPENAPI_PATHS as SLACK_PATHS

routes = web.RouteTableDef()

_ERROR = {"$ref": "#/components/schemas/Error"}
_BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


def _op(summary: str, ok: dict | None = None, *, auth: bool = True, body: dict | None = None, errors=(401,),
        csv: bool = False) -> dict:
    op: dict = {"summary": summary, "responses": {"200": {"description": "OK", **({"content": {"application/json": {"schema": ok}}} if ok else {})}}}
    if csv:  # the same rows as text/csv (format=csv)
        op["responses"]["200"].setdefault("content", {})["text/csv"] = {"schema": {"type": "string"}}
    for code in errors:
        op["responses"][str(code)] = {"description": "Error", "content": {"application/json": {"schema": _ERROR}}}
    if auth:
        op["security"] = _BEARER
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def _obj(**props: str | list[str]) -> dict:  # a list of types: e.g. ["string", "null"]
    return {"type": "object", "properties": {k: {"type": v} for k, v in props.items()}}


def _path(*names: str) -> list[dict]:
    return [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names]


def _html(summary: str, *codes: int, form: dict | None = None) -> dict:
    """A page for people (no login): HTML for 200 and for each refusal in ``codes``."""
    page = {"content": {"text/html": {"schema": {"type": "string"}}}}
    op: dict = {"summary": summary, "responses": {"200": {"description": "the page", **page},
                                                  **{str(c): {"description": "refused", **page} for c in codes}}}
    if form:
        op["requestBody"] = {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": form}}}
    return op


def _upload(summary: str, *, auth: bool) -> dict:
    op = _op(summary, _obj(id="string", conversation_id="string", seq="integer", ts="number", media="array"),
             auth=auth, errors=(400, 401, 403, 404, 409, 413, 415, 429))
    op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": _obj(
        file="string", text="string", client_id="string")}}}
    return op


_ADMIN_ERROR = {"$ref": "#/components/schemas/AdminError"}


def _admin(summary: str, ok: dict | None, *, body: dict | None = None, status: int = 200,
           errors: tuple[int, ...] = (400, 401, 403, 409, 503)) -> dict:
    """An /api/v1/admin/… operation (supervisors with admin: true); writes answer with X-Revision."""
    op = _op(summary, ok, body=body, errors=())
    if status != 200:
        op["responses"] = {str(status): {**op["responses"]["200"], "description": "done"}}
    for code in errors:
        op["responses"][str(code)] = {"description": "Error", "content": {"application/json": {"schema": _ADMIN_ERROR}}}
    op["parameters"] = [{"name": "If-Match", "in": "header", "schema": {"type": "string"},
                         "description": "the revision the change is based on: 409 stale when it moved"}]
    return op


_ADMIN_ITEM = _obj(source="string", changed_at="string", changed_by="string", config_differs="boolean", problem=["string", "null"])
_ADMIN = {
    "/api/v1/admin/settings": {"get": _op(
        "The tenant's editable settings as in effect (YAML overlaid with the admin's), each item with source, "
        "changed_at/by, config_differs and problem (admins)", _obj(
            revision="integer", work_channels="array", languages="array", skills="array", policies="array",
            agents="array", queues="array", topics="array", canned="array", labels="array", hours="object",
            widget="object", deleted="array"), errors=(401, 403, 503))},
    "/api/v1/admin/agents": {"post": _admin(
        "Create an agent (the password is stored as an argon2 hash)", _ADMIN_ITEM, status=201, body=_obj(
            id="string", name="string", password="string", languages="array", skills="object", capacity="object",
            auto_accept="boolean", email="string", phone="string"))},
    "/api/v1/admin/agents/{id}": {"parameters": _path("id"), "patch": _admin(
        "Change an agent's profile; disabled: true ends their logins and requeues their conversations", _ADMIN_ITEM,
        body=_obj(name="string", languages="array", skills="object", capacity="object", auto_accept="boolean",
                  email="string", phone="string", disabled="boolean"), errors=(400, 401, 403, 404, 409, 503))},
    "/api/v1/admin/agents/{id}/password": {"parameters": _path("id"), "post": _admin(
        "Set an agent's password (ends their sessions)", None, status=204, body=_obj(password="string"),
        errors=(400, 401, 403, 404, 409, 503))},
    **{f"/api/v1/admin/{section}/{{id}}": {
        "parameters": _path("id"),
        "put": _admin(f"Create or replace a {kind} (the whole body as GET /api/v1/admin/settings shows it)",
                      _ADMIN_ITEM, body={"type": "object"}),
        "delete": _admin(f"Delete a {kind} (a config file's one is hidden by a marker; 409 in_use while named or busy)",
                         None, status=204, errors=(401, 403, 404, 409, 503)),
    } for section, kind in (("queues", "queue"), ("topics", "topic"), ("canned", "canned answer"), ("labels", "label"))},
    "/api/v1/admin/hours": {"put": _admin("Set the tenant's business hours (null: always open)", _obj(
        hours=["object", "null"], hours_meta="object"), body={"type": ["object", "null"]})},
    "/api/v1/admin/widget": {"put": _admin("Set the widget's look (colour, logo_url, position, launcher_text, "
                                           "privacy_notice, greeting)", _ADMIN_ITEM, body={"type": "object"})},
    "/api/v1/admin/overrides/{kind}/{id}": {"parameters": _path("kind", "id"), "delete": _admin(
        "Drop the admin's version: the config file's is in effect again (id '-' for hours and widget)", None,
        status=204, errors=(401, 403, 404, 409, 503))},
}


SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "omnirelay", "version": "1", "description": "REST API of the omnirelay gateway. Real-time traffic uses Socket.IO (see README)."},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "properties": {"error": _obj(code="string", message="string")}},
            "Message": _obj(id="string", conversation_id="string", seq="integer", author="object", text="string", ts="number"),
            "Contact": _obj(id="string", name="string", email="string", phone="string", identities="array"),
            "AdminError": {"type": "object", "properties": {"error": _obj(code="string", message="string", field="string")}},
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
        "/api/v1/canned": {"get": _op("Canned answers of the tenant", {"type": "array", "items": _obj(id="string", title="string", text="string", language="string", topic="string")})},
        "/api/v1/assist/classify": {"post": _op(
            "The language and topic (and the queue it routes to) Assist finds for a text, as for a conversation opening "
            "with it; abstained: the classifier is unsure and the default topic's queue applies (agents, supervisors)",
            _obj(language="string", language_confidence="number", language_changed="boolean", topic=["string", "null"],
                 queue=["string", "null"], topic_confidence="number", abstained="boolean", model_version="string"),
            body=_obj(text="string", channel="string", language_hint="string"), errors=(400, 401, 403, 503))},
        "/api/v1/assist/suggest": {"post": _op(
            "The three canned answers most likely to fit a conversation's last customer message, or a text (agent holding it, or supervisor)",
            _obj(conversation_id="string", after_seq="integer", language="string", suggestions="array"),
            body=_obj(conversation_id="string", text="string", language="string"), errors=(400, 401, 403, 404, 503))},
        "/api/v1/assist/snippets": {"get": _op(
            "Every canned answer with its automatic-use approval, threshold and figures (supervisors)",
            {"type": "array", "items": _obj(canned_id="string", title="string", language="string", auto_queues="array",
                                            threshold=["number", "null"], sent="integer", escalated="integer", returned="integer",
                                            escalation_rate="number", disabled="boolean", disabled_reason="string", disabled_detail="string")},
            errors=(401, 403, 503))},
        "/api/v1/assist/snippets/{canned_id}/enable": {"post": {**_op(
            "Switch an answer switched off for automatic use on again; its figures start afresh (supervisors, audited)",
            _obj(ok="boolean", canned_id="string"), errors=(401, 403, 404, 409)),
            "parameters": [{"name": "canned_id", "in": "path", "required": True, "schema": {"type": "string"}}]}},
        "/api/v1/directory": {"get": _op("Queues, agents and wrap-up codes (for transfer and close)", _obj(queues="array", agents="array", wrapup_codes="array"))},
        "/api/v1/conversations/{id}": {"get": {**_op("A conversation with all its messages", _obj(id="string", state="string", messages="array"), errors=(401, 404)),
                                                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]}},
        "/api/v1/conversations/{id}/crm": {"get": {**_op(
            "What the tenant's CRM says of the conversation's contact (docs/crm.md): status ok | not_found | unavailable "
            "(reason) | pending (the answer follows as the /agent event crm) | off; fields in the configured order, each "
            "{key, label: {en, de}, type: text|link, value}; priority the rules gave (whoever may see the conversation)",
            _obj(conversation_id="string", status="string", fields="array", priority="integer", reason="string",
                 fetched_at="number"), errors=(401, 404)), "parameters": _path("id")}},
        "/api/v1/contacts/{id}": {"get": {**_op("A contact and its identities", {"$ref": "#/components/schemas/Contact"}, errors=(401, 404)),
                                          "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]}},
        "/api/v1/contacts/{id}/conversations": {"get": {**_op("The contact's conversations on every channel, newest first", {"type": "array", "items": _obj(
            id="string", channel="string", channel_type="string", state="string", created_at="number", last_message="object"
        )}, errors=(401, 404)), "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]}},
        **{f"/api/v1/reports/{dim}": {"get": {**_op(
            f"Historical figures per interval and {dim[:-1]} from the archived ACD event log, and the labels of the "
            "conversations closed (count, ratings, average satisfaction) from the archived conversations; overall: all "
            "queues' wrap-up codes and labels; names: the configured names of label and wrap-up code ids "
            "(supervisors; CSV of the rows with format=csv)",
            _obj(dimension="string", interval="string", timezone="string", buckets="array", rows="array", totals="array",
                 overall="object", names="object"),
            errors=(400, 401, 403, 503), csv=True), "parameters": [
            {"name": "from", "in": "query", "schema": {"type": "string"}, "description": "YYYY-MM-DD (local day) or ISO 8601; default today"},
            {"name": "to", "in": "query", "schema": {"type": "string"}, "description": "YYYY-MM-DD (included) or ISO 8601 (excluded)"},
            {"name": "interval", "in": "query", "schema": {"type": "string", "enum": ["15min", "hour", "day", "week"]}},
            {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}}]}}
           for dim in ("queues", "channels", "agents")},
        "/api/v1/search": {"get": {**_op(
            "Conversations the caller may see that match (agents: what they served and their current customers' "
            "history; supervisors: the tenant), by relevance then newest, with the matching snippet as text and parts",
            _obj(results="array", next=["string", "null"]), errors=(400, 401, 503)), "parameters": [
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
        "/api/v1/contacts/{id}/merge": {"post": {**_op(
            "The agent serving this contact (or a supervisor) says another contact is the same person: the older "
            "survives and both ids lead to it (audited)", {"$ref": "#/components/schemas/Contact"},
            body=_obj(**{"from": "string"}), errors=(400, 401, 404, 409)), "parameters": _path("id")}},
        "/api/v1/conversations/{id}/attachments": {"post": {**_upload(
            "The agent holding the conversation sends a file (multipart: file, text?, client_id?)", auth=True),
            "parameters": _path("id")}},
        "/api/v1/widget/attachments": {"post": {**_upload(
            "A widget visitor sends a file into their open conversation (header X-Visitor-Token)", auth=False),
            "parameters": [{"name": "X-Visitor-Token", "in": "header", "required": True, "schema": {"type": "string"}}]}},
        "/api/v1/media/{id}": {"get": {**_op(
            "A file of a conversation (Bearer token, or X-Visitor-Token for the visitor's own); its record with meta=1; "
            "409 while still being fetched, 410 when it failed or is gone", errors=(401, 404, 409, 410)),
            "parameters": [*_path("id"), {"name": "meta", "in": "query", "schema": {"type": "string", "enum": ["1"]}}]}},
        **_ADMIN,
        **EVENT_WEBHOOK_PATHS,  # /api/v1/admin/webhooks… (gateway/event_webhooks)
        **SLACK_PATHS,  # /api/v1/slack/links (gateway/slack)
        "/api/v1/openapi.json": {"get": _op("This description (OpenAPI 3.1)", {"type": "object"}, auth=False, errors=())},
        "/rate/{tenant}/{cid}/{sig}": {
            "parameters": [*_path("tenant", "cid", "sig")],
            "get": {**_html("The rating page of an email's signed link: shows the score and a form; records nothing "
                            "(mail scanners follow links)", 404),
                    "parameters": [{"name": "score", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 5}}]},
            "post": _html("Record the customer's rating once (404 forged or foreign link, 400 bad score or comment, "
                          "409 already rated or not ended, 410 too late)", 400, 404, 409, 410,
                          form=_obj(score="integer", comment="string")),
        },
        "/callbacks/{callback_id}": {
            "parameters": _path("callback_id"),
            "get": {**_html("The customer's callback page of a signed link: the callback, times to move it to, "
                            "cancel; changes nothing", 403, 404),
                    "parameters": [{"name": n, "in": "query", "required": True, "schema": {"type": "string"}}
                                   for n in ("tenant", "sig")]},
            "post": _html("Move or cancel the callback (403 forged, 409 too late: the call is being placed)",
                          400, 403, 404, 409, 413, form=_obj(tenant="string", sig="string", action="string", slot="string")),
        },
        "/callbacks/{callback_id}/cancel": {"get": {**_html("The same page as GET /callbacks/{callback_id} "
                                                            "(links sent before it existed)", 403, 404),
                                                    "parameters": [*_path("callback_id"), *[
                                                        {"name": n, "in": "query", "required": True,
                                                         "schema": {"type": "string"}} for n in ("tenant", "sig")]]}},
        "/webhooks/{type}/{channel}": {
            "parameters": _path("type", "channel"),
            "get": {"summary": "A platform's webhook verification handshake (e.g. WhatsApp's hub.challenge)",
                    "responses": {"200": {"description": "the challenge"}, "403": {"description": "refused"},
                                  "404": {"description": "no such channel"},
                                  "405": {"description": "this channel type has no GET handshake"}}},
            "post": {"summary": "A platform's deliveries, checked by the channel's signature or secret, answered 200 "
                                "once stored (docs/channels.md)",
                     "responses": {"200": {"description": "stored"}, "400": {"description": "unreadable body"},
                                   "401": {"description": "bad signature"}, "404": {"description": "no such channel"},
                                   "413": {"description": "body too large"},
                                   "503": {"description": "storage unavailable: the platform retries"}}},
        },
        "/webhooks/dialer/{channel}": {"post": {"summary": "A callback dialer's signed report of a call attempt "
                                                           "(docs/callbacks.md)", "parameters": _path("channel"),
                                                "responses": {"200": {"description": "recorded"},
                                                              "400": {"description": "unreadable report"},
                                                              "401": {"description": "bad signature"},
                                                              "404": {"description": "no such dialer"}}}},
        "/healthz": {"get": _op("Liveness and channel health; 503 when Redis is unreachable", _obj(status="string", channels="object"), auth=False, errors=(503,))},
        "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text format"}}}},
    },
}

integrator_openapi.extend(SPEC)  # API keys, their security scheme and the integrators' routes
# every /api/ route answers 400 to an address with a NUL character (gateway/errors.py), whatever it reads
_paths: dict[str, dict] = SPEC["paths"]  # type: ignore[assignment]
for _api_path, _item in _paths.items():
    for _op_ in _item.values():
        if _api_path.startswith("/api/") and isinstance(_op_, dict) and "responses" in _op_:
            _op_["responses"].setdefault("400", {"description": "Error", "content": {"application/json": {"schema": _ERROR}}})


@routes.get("/api/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(SPEC)
