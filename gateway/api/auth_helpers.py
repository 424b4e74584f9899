"""Bearer-token authentication for REST handlers, and JSON error responses."""

from __future__ import annotations

import json

import orjson
from aiohttp import web

from gateway.api.key_auth import key_principal
from gateway.api_keys import looks_like_key
from gateway.appkeys import SESSIONS
from gateway.auth import AuthError, Principal


def _error_text(code: str, message: str) -> str:
    return json.dumps({"error": {"code": code, "message": message}})


def json_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def principal(request: web.Request, *roles: str) -> Principal:
    """The logged-in user (or API key) of this request, or an HTTP error (401 / 403)."""
    header = request.headers.get("Authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else None
    if looks_like_key(token):  # an integrator's API key: its scopes decide (gateway/api/key_auth.py)
        return await key_principal(request, str(token), roles)
    try:
        who = await request.config_dict[SESSIONS].check(token)
    except AuthError as err:
        raise web.HTTPUnauthorized(text=_error_text("unauthorized", str(err)), content_type="application/json") from err
    if roles and who.role not in roles:
        raise web.HTTPForbidden(text=_error_text("forbidden", "not allowed for this role"), content_type="application/json")
    return who


async def json_body(request: web.Request) -> dict:
    """The request's JSON object, or 400 ``bad_json``: orjson refuses what would fail later as a 500
    (lone surrogates such as ``"\\ud800"``, which no UTF-8 store accepts, and nesting past 1024 levels)."""
    raw = await request.read()  # bounded by the app's client_max_size (413 beyond it)
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise web.HTTPBadRequest(
            text=_error_text("bad_json", "body is not valid JSON in UTF-8 (or is nested too deeply)"),
            content_type="application/json",
        ) from err
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text=_error_text("bad_request", "expected a JSON object"), content_type="application/json")
    return data
