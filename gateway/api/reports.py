"""GET /api/v1/reports/{queues|channels|agents}: historical figures per interval from the history
database (gateway/history/reports.py), as JSON or CSV. Supervisors only; their own tenant only."""

from __future__ import annotations

import time
from typing import Any

import asyncpg
from aiohttp import web

from gateway.api.auth_helpers import json_error, principal
from gateway.appkeys import CONFIG, HISTORY
from gateway.config.schema import TenantConfig
from gateway.config.to_acd import to_acd
from gateway.history import report_buckets as buckets
from gateway.history import reports
from gateway.history.report_csv import to_csv

routes = web.RouteTableDef()
FORMATS = ("json", "csv")


def config_names(tenant: TenantConfig) -> dict[str, Any]:
    """The names the front ends show for label and wrap-up code ids (a queue's codes are its own)."""
    return {
        "labels": {lid: label.name or lid for lid, label in tenant.labels.items()},
        "wrapup_codes": {qid: {cid: code.name or cid for cid, code in q.wrapup_codes.items()}
                         for qid, q in tenant.queues.items() if q.wrapup_codes},
    }


@routes.get(r"/api/v1/reports/{dimension:queues|channels|agents}")
async def report(request: web.Request) -> web.Response:
    who = await principal(request, "supervisor")
    dimension = request.match_info["dimension"]
    fmt = request.query.get("format", "json")
    if fmt not in FORMATS:
        return json_error(400, "bad_format", "format must be json or csv")
    history = request.config_dict.get(HISTORY)
    if history is None or history.pool is None:
        return json_error(503, "history_unavailable", "reports need the history database, and this gateway has none")
    tenant = request.config_dict[CONFIG].tenants[who.tenant]
    zone = buckets.zone_of(tenant.hours.timezone if tenant.hours else "UTC")
    now = time.time()
    try:
        start = buckets.parse_bound(request.query["from"], zone, end=False) if "from" in request.query else buckets.floor(now, "day", zone)
        end = buckets.parse_bound(request.query["to"], zone, end=True) if "to" in request.query else buckets.following(start, "day", zone)
        grid = buckets.grid(start, end, request.query.get("interval", "hour"), zone)
    except buckets.RangeError as err:
        return json_error(400, err.code, str(err))
    try:
        result = await reports.build(
            history.pool, who.tenant, grid, queues=dict(to_acd(tenant).queues),
            agents={aid: a.name or aid for aid, a in tenant.agents.items()}, now=now, names=config_names(tenant),
        )
    except asyncpg.QueryCanceledError:
        return json_error(503, "report_too_slow", "the report took too long: choose a shorter range or a longer interval")
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
        return json_error(503, "history_unavailable", "the history database cannot be reached; try again shortly")
    if fmt == "json":
        return web.json_response(result.as_json(dimension))
    day = grid.label(0)[:10]
    name = f"{dimension}-{day}-{grid.interval}.csv"
    return web.Response(
        text=to_csv(result.rows(dimension)), content_type="text/csv", charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
