"""The gateway with a history database, for the tests/test_history_*.py files."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace

from conftest import Gateway, running_gateway

from gateway.config.schema import HistoryConfig


@contextlib.asynccontextmanager
async def history_gateway(config, redis_url: str, database: str, **history) -> AsyncIterator[Gateway]:
    """A gateway in this event loop archiving into ``database`` (``history`` overrides its settings)."""
    config.history = replace(HistoryConfig(), **history)
    async with running_gateway(config, redis_url, database) as gw:
        yield gw
