"""The ACD's key schema exists twice (acd/keys.py for Python, acd/lua/keys.lua for the scripts):
same builder names, same key names, asked of Redis itself."""

from __future__ import annotations

import inspect
import json

from acd.keys import AcdKeys
from acd.scripts import LUA_DIR

SAMPLE = {"qid": "q1", "aid": "a1", "tid": "t1", "skill": "billing", "prof": 3, "lang": "de",
          "channel": "chat", "min_prof": 2, "node": "n1", "minute": 28_333_333}
# Lua builders of the dynamic indexes take the tail of the name as one pre-joined suffix (the hot
# paths build it once): how many leading arguments stay separate.
SUFFIX_AFTER = {"agent_index": 0, "agent_occ_index": 0, "waiting_bucket": 1}

# keys.lua, then: every builder's name, and the key each one builds from the given arguments
PROBE = """
local out, names = {}, {}
for name in pairs(K) do names[#names + 1] = name end
for _, call in ipairs(cjson.decode(ARGV[1])) do
  local name = table.remove(call, 1)
  out[name] = K[name](unpack(call))
end
return cjson.encode({names = names, keys = out})
"""


def python_builders() -> dict[str, list]:
    """Every key builder of AcdKeys and the sample arguments it takes."""
    out = {}
    for name, fn in inspect.getmembers(AcdKeys, inspect.isfunction):
        if not name.startswith("_"):
            out[name] = [SAMPLE[p] for p in list(inspect.signature(fn).parameters)[1:]]
    return out


def lua_args(name: str, args: list) -> list:
    keep = SUFFIX_AFTER.get(name)
    if keep is None:
        return args
    return [*args[:keep], ":".join(str(a) for a in args[keep:])]


async def test_lua_and_python_build_the_same_keys(redis):
    keys = AcdKeys("demo")
    builders = python_builders()
    calls = [[name, *lua_args(name, args)] for name, args in builders.items()]
    reply = json.loads(await redis.eval((LUA_DIR / "keys.lua").read_text() + PROBE, 1, keys.prefix, json.dumps(calls)))
    assert sorted(reply["names"]) == sorted(builders)
    for name, args in builders.items():
        assert reply["keys"][name] == getattr(keys, name)(*args), name
