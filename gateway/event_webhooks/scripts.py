"""The event webhooks' Lua scripts (lua/*.lua), registered once."""

from __future__ import annotations

from pathlib import Path

from acd.lua_runner import LuaScript
from gateway.store.scripts import STREAM_GROUPS_LIB

_DIR = Path(__file__).parent / "lua"
GROUP = "webhooks"  # the consumer group on the archive outbox and the ACD event log

FANOUT = LuaScript.from_file(_DIR / "fanout.lua", libs=[STREAM_GROUPS_LIB])
SUBSCRIBE = LuaScript.from_file(_DIR / "subscribe.lua")
UNSUBSCRIBE = LuaScript.from_file(_DIR / "unsubscribe.lua")
SWEEP = LuaScript.from_file(_DIR / "sweep.lua", libs=[STREAM_GROUPS_LIB])
CLAIM = LuaScript.from_file(_DIR / "claim.lua")
SETTLE = LuaScript.from_file(_DIR / "settle.lua")
REPLAY = LuaScript.from_file(_DIR / "replay.lua")
ERASE_QUEUES = LuaScript.from_file(_DIR / "erase_queues.lua")
ERASE_DELIVERIES = LuaScript.from_file(_DIR / "erase_deliveries.lua")
