"""REST: answer suggestions for a conversation or a text, and the canned answers' automatic-use figures."""

from __future__ import annotations

from aiohttp import web

from gateway.api.auth_helpers import json_body, json_error, principal
from gateway.appkeys import SERVICES
from gateway.assist.snippet_figures import enable, figures
from gateway.audit import audit
from gateway.keys import TenantKeys
from gateway.store.conversations import get_conversation
from gateway.store.ids import is_id

routes = web.RouteTableDef()


@routes.post("/api/v1/assist/suggest")
async def suggest(request: web.Request) -> web.Response:
    """``{conversation_id}`` (its last customer message, in its language) or ``{text, language?}`` → the top three."""
    who = await principal(request, "agent", "supervisor")
    svc = request.config_dict[SERVICES]
    body = await json_body(request)
    tenant = svc.config.tenants[who.tenant]
    if svc.answers is None:
        return json_error(503, "unavailable", "answer suggestions are not running")
    cid, text, language = body.get("conversation_id"), body.get("text"), body.get("language")
    if (cid is None) == (text is None):
        return json_error(400, "bad_request", "give either 'conversation_id' or 'text'")
    if language is not None and language not in tenant.languages:
        return json_error(400, "bad_request", f"'language' must be one of {', '.join(tenant.languages)}")
    if cid is not None:
        conv = await get_conversation(svc.redis, TenantKeys(who.tenant), cid) if is_id("c", cid) else None
        if conv is None:
            return json_error(404, "not_found", "no such conversation")
        if who.role != "supervisor" and conv.agent_id != who.user_id:
            return json_error(403, "forbidden", "this conversation is not assigned to you")
        return web.json_response(await svc.answers.for_conversation(who.tenant, conv.id))
    if not isinstance(text, str) or not text.strip() or len(text) > svc.config.limits.message_chars:
        return json_error(400, "bad_request", f"'text' must be a text of 1 to {svc.config.limits.message_chars} characters")
    if language is None:  # the language detection's guess among the tenant's languages (gateway/assist/service.py)
        language = (await svc.assist.classify(who.tenant, text)).language if svc.assist else tenant.languages[0]
    found = await svc.answers.suggest(who.tenant, text, language)
    return web.json_response({"language": language, "suggestions": svc.answers.wire(who.tenant, found)})


@routes.get("/api/v1/assist/snippets")
async def snippets(request: web.Request) -> web.Response:
    """Every canned answer: where it is approved for automatic use, the threshold, and its figures (supervisors)."""
    who = await principal(request, "supervisor")
    svc = request.config_dict[SERVICES]
    if svc.answers is None:
        return json_error(503, "unavailable", "answer suggestions are not running")
    built = await svc.answers.built(who.tenant)
    return web.json_response(await figures(svc, who.tenant, built.threshold.threshold))


@routes.post("/api/v1/assist/snippets/{canned_id}/enable")
async def enable_snippet(request: web.Request) -> web.Response:
    """Switch an answer that was switched off for automatic use on again (supervisors; audited)."""
    who = await principal(request, "supervisor")
    svc = request.config_dict[SERVICES]
    canned_id = request.match_info["canned_id"]
    if not any(c.id == canned_id for c in svc.config.tenants[who.tenant].canned):
        return json_error(404, "not_found", "no such canned answer")
    if not await enable(svc, who.tenant, canned_id):
        return json_error(409, "not_switched_off", "this answer is not switched off")
    await audit(svc.redis, TenantKeys(who.tenant), who, "assist.snippet_enable", {"canned_id": canned_id})
    return web.json_response({"ok": True, "canned_id": canned_id})
