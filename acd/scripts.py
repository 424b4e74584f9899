"""The ACD's Lua program: acd/lua/*.lua compiled into one script, run through the Lua runner.

The library modules and every entry script are compiled into one program: each entry becomes a
function of a dispatch table, and the entry's name travels as the last ARGV (entries never read
it). One program instead of one per entry keeps a single copy of the library in the server's Lua
heap, which keeps the Lua garbage collector's work per call small.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import orjson
from redis.asyncio import Redis

from .errors import ERRORS
from .lua_runner import LuaScript, runner

LUA_DIR = Path(__file__).parent / "lua"

# Library modules, in the order they are prepended (keys first: it declares the shared locals).
LIBRARY = (
    "keys", "config", "hours", "events", "agents", "waiting", "steps", "route_task", "agent_free",
    "offers", "cooldown", "record", "agent_state", "timers",
)
ENTRIES = (
    "submit", "accept", "decline", "close", "cancel", "wrapup_done", "transfer", "set_state",
    "agent_connected", "agent_disconnected", "node_heartbeat", "tick", "sync_agent",
    "set_hours", "rate", "assign", "relanguage",
)


@cache
def program() -> LuaScript:
    """The whole Lua program: the library, the entries as functions, the dispatch."""
    parts = [(LUA_DIR / f"{name}.lua").read_text() for name in LIBRARY]
    parts.append("local ENTRY = {}")
    for name in ENTRIES:
        parts.append(f"ENTRY['{name}'] = function()\n{(LUA_DIR / f'{name}.lua').read_text()}\nend")
    parts.append("return ENTRY[ARGV[#ARGV]]()")
    return LuaScript("acd", "\n".join(parts), ERRORS)


async def run(redis: Redis, name: str, keys: list[str], args: list[Any]) -> dict[str, Any]:
    """Run an entry script; returns its decoded reply or raises the AcdError of its error code."""
    if name not in ENTRIES:
        raise ValueError(f"no entry script {name!r}")
    return orjson.loads(await runner(redis).call(program(), keys, [*args, name]))
