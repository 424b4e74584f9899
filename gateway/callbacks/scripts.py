"""The callbacks' Lua scripts (gateway/callbacks/lua/*.lua), run through the one Lua runner:
every state change of a callback is one script, so its slot booking, due list and figures move with it."""

from __future__ import annotations

from pathlib import Path

from acd.lua_runner import LuaScript
from gateway.errors import ClientError

_LUA = Path(__file__).parent / "lua"


class CallbackOpen(Exception):
    """The contact already has an open callback on this queue."""


class Late(ClientError):
    def __init__(self, message: str = "") -> None:
        super().__init__("too_late", "We are already calling you, or this callback has ended; it can no longer be moved.", 409)


class SlotFull(ClientError):
    def __init__(self, message: str = "") -> None:
        super().__init__("slot_full", "This time has just been fully booked; please pick another one.", 409)


def _script(name: str, errors: dict | None = None) -> LuaScript:
    return LuaScript.from_file(_LUA / f"{name}.lua", errors)


TAKE = _script("take")
CREATE = _script("create", {"OPEN": CallbackOpen, "FULL": SlotFull})
END = _script("end")
DIALLING = _script("dialling")
RESCHEDULE = _script("reschedule", {"LATE": Late, "FULL": SlotFull})
