"""The Assist service's place in the app: started after routing (it needs the history database's pool
and puts itself on Services), stopped before the database closes."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from gateway import appkeys as K
from gateway.assist.service import Assist


async def assist_ctx(app: web.Application) -> AsyncIterator[None]:
    history = app.get(K.HISTORY)
    assist = Assist(app[K.CONFIG], lambda: history.pool if history is not None else None)
    await assist.start()
    app[K.SERVICES].assist = assist
    yield
    app[K.SERVICES].assist = None
    await assist.stop()
