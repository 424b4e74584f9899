"""GET /api/v1/search: the conversations the caller may see that match, with highlighted snippets
(gateway/history/search.py). Agents search what they served and their current customers' history;
supervisors the whole tenant; nobody another tenant."""

from __future__ import annotations

import logging
import time

import asyncpg
from aiohttp import web

from gateway.api.auth_helpers import principal
from gateway.appkeys import SERVICES
from gateway.auth import Principal
from gateway.errors import ClientError
from gateway.history.search import Scope, parse_query, search
from gateway.keys import TenantKeys
from gateway.services import Services
from gateway.store.contacts import get_contact
from gateway.store.conversations import get_conversation

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
TIMEOUT_S = 10.0


def unavailable(why: str) -> ClientError:
    return ClientError("history_unavailable", why, 503)


async def scope_of(svc: Services, who: Principal) -> Scope:
    """The tenant for a supervisor; for an agent also the contacts of the conversations it holds or
    is offered right now (the same rule as gateway/conversations/access.serves_contact)."""
    if who.role == "supervisor":
        return Scope(who.tenant)
    keys = TenantKeys(who.tenant)
    engine = svc.router.engine(who.tenant)
    current = set(await engine.assigned_tasks(who.user_id))
    current |= {o.task_id for o in await engine.offers_for(who.user_id, time.time())}
    contacts: set[str] = set()
    for cid in sorted(current):
        conv = await get_conversation(svc.redis, keys, cid)
        if conv is None or not conv.contact_id:
            continue
        contacts.add(conv.contact_id)
        live = await get_contact(svc.redis, keys, conv.contact_id)  # merged: the surviving contact too
        if live is not None:
            contacts.add(live.id)
    return Scope(who.tenant, agent_id=who.user_id, contact_ids=tuple(sorted(contacts)))


@routes.get("/api/v1/search")
async def search_conversations(request: web.Request) -> web.Response:
    """``?q=…&contact=…&channel=…&queue=…&agent=…&label=…&wrapup_code=…&from=…&to=…&limit=…&cursor=…``"""
    who = await principal(request)
    query = parse_query(request.query)
    svc = request.config_dict[SERVICES]
    history = svc.history
    if history is None or history.pool is None:
        raise unavailable("search needs the history database, and this gateway runs without one")
    scope = await scope_of(svc, who)
    try:
        page = await search(history.pool, query, scope, timeout=TIMEOUT_S)
    except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, TimeoutError) as err:
        log.warning("search failed: history database unreachable", extra={"error": type(err).__name__})
        raise unavailable("the history database cannot be reached; try again shortly") from err
    except asyncpg.QueryCanceledError as err:
        raise ClientError("search_too_broad", "the search took too long; narrow it with more words or filters",
                          503) from err
    return web.json_response(page.to_wire())
