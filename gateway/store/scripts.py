"""Loads the storage Lua scripts once per Redis client."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

_LUA = Path(__file__).parent / "lua"


@cache
def _source(name: str) -> str:
    return (_LUA / f"{name}.lua").read_text()


def script(redis: Redis, name: str) -> AsyncScript:
    """The registered script ``name`` for this client (registered on first use)."""
    cached = getattr(redis, "_omnirelay_scripts", None)
    if cached is None:
        cached = {}
        redis._omnirelay_scripts = cached  # type: ignore[attr-defined]
    if name not in cached:
        cached[name] = redis.register_script(_source(name))
    return cached[name]
