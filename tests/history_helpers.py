"""The gateway with a history database, for the tests/test_history_*.py files."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace

from aiohttp.test_utils import TestServer
from conftest import Gateway

from gateway.app import create_app
from gateway.config.schema import HistoryConfig


@contextlib.asynccontextmanager
async def history_gateway(config, redis_url: str, database: str, **history) -> AsyncIterator[Gateway]:
    """A gateway in this event loop archiving into ``database`` (``history`` overrides its settings)."""
    config.history = replace(HistoryConfig(), **history)
    server = TestServer(create_app(config, redis_url=redis_url, database=database), host="127.0.0.1", port=0)
    await server.start_server()
    gw = Gateway(server)
    try:
        yield gw
    finally:
        await gw.close()
        await server.close()
