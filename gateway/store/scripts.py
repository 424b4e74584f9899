"""The store's Lua scripts (gateway/store/lua/*.lua), run like the ACD's through acd.lua_runner:
loaded once, auto-pipelined per event-loop turn, coded errors raised as typed exceptions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from acd.lua_runner import LuaScript

_LUA = Path(__file__).parent / "lua"


# the Lua library of the archive outbox's consumers: which entries no consumer group still needs
STREAM_GROUPS_LIB = _LUA / "lib" / "stream_groups.lua"


def store_script(name: str, errors: Mapping[str, Callable[[str], Exception]] | None = None) -> LuaScript:
    """``gateway/store/lua/<name>.lua``; ``errors`` maps the codes of its ``redis.error_reply`` to exceptions."""
    return LuaScript.from_file(_LUA / f"{name}.lua", errors)
