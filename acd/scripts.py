"""Loads the Lua scripts of acd/lua/ and runs them, turning error codes into exceptions.

Every entry script runs with the library modules in front of it (one chunk, so they share the
library's locals); the whole is registered once per Redis client with ``register_script`` and
called by SHA from then on.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import orjson
import redis.asyncio as aioredis

from .errors import error_for

LUA_DIR = Path(__file__).parent / "lua"

# Library modules, in the order they are prepended (keys first: it declares the shared locals).
LIBRARY = (
    "keys", "config", "events", "agents", "waiting", "steps", "route_task", "agent_free",
    "offers", "agent_state", "timers",
)
ENTRIES = (
    "submit", "accept", "decline", "close", "cancel", "wrapup_done", "transfer", "set_state",
    "agent_connected", "agent_disconnected", "node_heartbeat", "tick", "sync_agent",
)


@cache
def source(entry: str) -> str:
    """Full source of one entry script: the library, then the entry."""
    parts = [(LUA_DIR / f"{name}.lua").read_text() for name in LIBRARY]
    parts.append((LUA_DIR / f"{entry}.lua").read_text())
    return "\n".join(parts)


class Scripts:
    """The registered scripts for one Redis client."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._scripts = {name: redis.register_script(source(name)) for name in ENTRIES}

    async def run(self, name: str, keys: list[str], args: list[Any]) -> dict[str, Any]:
        """Run an entry script; returns its decoded reply or raises the mapped AcdError."""
        raw = await self._scripts[name](keys=keys, args=args)
        data = orjson.loads(raw)
        if "err" in data:
            raise error_for(data["err"], str(data.get("msg", data["err"])))
        return data
