"""The CRM lookups' resources (cleanup_ctx, after the routing): one HTTP session for every tenant's
CRM, and the routing hook that lets an answer raise a new task's priority."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import ClientSession, ClientTimeout, web

from gateway import appkeys as K
from gateway.crm.lookup import CrmLookups


async def crm_ctx(app: web.Application) -> AsyncIterator[None]:
    svc = app[K.SERVICES]
    # each lookup bounds itself (crm.answer_timeout_s); the session adds no other limit
    async with ClientSession(timeout=ClientTimeout(total=None)) as http:
        crm = CrmLookups(svc, http, app[K.BACKGROUND])
        app[K.CRM] = crm
        svc.router.enrich = crm.priority_for
        yield
        svc.router.enrich = None
