"""POST /api/v1/assist/classify: the language and topic (and so the queue) Assist finds for a text, as it
would route a conversation opening with it (agents and supervisors; the tenant is the token's)."""

from __future__ import annotations

from aiohttp import web

from gateway.api.auth_helpers import json_body, principal
from gateway.appkeys import SERVICES
from gateway.errors import ClientError

routes = web.RouteTableDef()
MAX_CHARS = 4096  # the longest text accepted (a message's limit at most)


@routes.post("/api/v1/assist/classify")
async def classify(request: web.Request) -> web.Response:
    """``{text, channel?, language_hint?}`` → ``{language, language_confidence, topic, queue, topic_confidence, abstained, …}``"""
    who = await principal(request, "agent", "supervisor")
    svc = request.config_dict[SERVICES]
    d = await json_body(request)
    tenant = svc.config.tenants[who.tenant]
    limit = min(MAX_CHARS, svc.config.limits.message_chars)
    text, channel, hint = d.get("text"), d.get("channel"), d.get("language_hint")
    if not isinstance(text, str) or not text.strip():
        raise ClientError("bad_request", "'text' must be a non-empty string")
    if len(text) > limit:
        raise ClientError("too_long", f"'text' must be at most {limit} characters")
    if channel is not None and (not isinstance(channel, str) or channel not in tenant.channels):
        raise ClientError("unknown_channel", "'channel' is not one of this tenant's channels")
    if hint is not None and (not isinstance(hint, str) or len(hint) > 16):
        raise ClientError("bad_request", "'language_hint' must be a short language code such as 'de' or 'en-GB'")
    unknown = set(d) - {"text", "channel", "language_hint"}
    if unknown:
        raise ClientError("bad_request", f"unknown field '{sorted(unknown)[0]}'")
    if svc.assist is None:
        raise ClientError("unavailable", "Assist is not running yet; try again shortly", 503)
    found = await svc.assist.classify(who.tenant, text, channel=channel, language_hint=hint or None)
    return web.json_response(found.wire())
