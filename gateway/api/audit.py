"""GET /api/v1/audit: the tenant's audit trail, newest first (supervisors), searchable.

Filters: ``actor`` (a user id), ``action`` (gateway/audit.py lists them), ``from`` and ``to`` (ISO 8601
or epoch seconds; ``to`` exclusive); pages of ``limit`` (or ``count``, 1–1000, default 100) from
``offset``. The body stays a list (as before); ``X-Next-Offset`` names the next page while there is one."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from gateway.api.auth_helpers import json_error, principal
from gateway.appkeys import REDIS, SERVICES
from gateway.audit import AuditQuery, search_audit

routes = web.RouteTableDef()


class _Bad(ValueError):
    pass


def _time(value: str | None, name: str) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as err:
        raise _Bad(f"'{name}' must be an ISO 8601 time or epoch seconds") from err
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def _int(value: str | None, name: str, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as err:
        raise _Bad(f"'{name}' must be a whole number") from err
    if not low <= number <= high:
        raise _Bad(f"'{name}' must be between {low} and {high}")
    return number


@routes.get("/api/v1/audit")
async def audit_trail(request: web.Request) -> web.Response:
    who = await principal(request, "supervisor")
    query = request.query
    try:
        q = AuditQuery(
            actor=query.get("actor", "")[:128], action=query.get("action", "")[:64],
            since=_time(query.get("from"), "from"), until=_time(query.get("to"), "to"),
            offset=_int(query.get("offset"), "offset", 0, 0, 1_000_000),
            limit=_int(query.get("limit", query.get("count")), "limit", 100, 1, 1000),
        )
    except _Bad as err:
        return json_error(400, "bad_request", str(err))
    history = request.config_dict[SERVICES].history
    entries, more = await search_audit(request.config_dict[REDIS], history.pool if history else None, who.tenant, q)
    headers = {"X-Next-Offset": str(q.offset + q.limit)} if more else {}
    return web.json_response(entries, headers=headers)
