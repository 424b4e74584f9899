"""Every script call names keys of one Redis Cluster hash slot (checked in every test: conftest sets
OMNIRELAY_CHECK_SLOTS); here, that the check itself refuses a call across slots."""

from __future__ import annotations

import pytest

from acd import lua_runner
from acd.lua_runner import CrossSlot, LuaScript, check_one_slot


def test_the_suite_runs_with_the_slot_check_on() -> None:
    assert lua_runner.CHECK_SLOTS


def test_keys_of_two_tenants_are_refused_and_one_tenants_pass() -> None:
    script = LuaScript("probe", "return 1")
    check_one_slot(script, ["t:{demo}:conv:1", "t:{demo}:archive", b"t:{demo}:acd:tasks"])
    with pytest.raises(CrossSlot, match="probe: keys in 2 hash slots"):
        check_one_slot(script, ["t:{demo}:conv:1", "t:{acme}:conv:1"])
