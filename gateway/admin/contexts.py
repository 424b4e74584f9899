"""The admin settings in the app's life: laid over the config before routing starts (so the ACD
never routes by a stale YAML version), then kept in step with the other processes."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from gateway import appkeys as K
from gateway.admin.service import AdminSettings


async def admin_settings_ctx(app: web.Application) -> AsyncIterator[None]:
    """After the history database, before routing: put the stored settings in effect."""
    history = app.get(K.HISTORY)
    if history is None or history.pool is None:
        yield  # no database: the YAML alone, and the admin API answers 503
        return
    admin = AdminSettings(app[K.CONFIG], history.pool, app[K.REDIS])
    await admin.load()
    app[K.ADMIN] = admin
    yield


async def admin_sync_ctx(app: web.Application) -> AsyncIterator[None]:
    """After routing: changes re-sync the ACD, and other processes' changes are heard and polled."""
    admin = app.get(K.ADMIN)
    if admin is not None:
        admin.reconfigure = app[K.ROUTER].reconfigure
        admin.start()
    yield
    if admin is not None:  # before routing stops: nothing re-syncs an engine on the way out
        await admin.stop()
