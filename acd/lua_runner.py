"""One way to run Lua in Redis, for the routing engine and the gateway's store alike.

- Loaded once: calls go by EVALSHA; after a Redis restart (NOSCRIPT) the script is loaded again.
- Auto-pipelined: every call made in one event-loop turn goes to Redis in one pipeline. Under load
  hundreds of sockets post in the same turn, and one round trip (and one pass through redis-py's
  connection machinery) then serves them all; alone, a call waits only for the end of the turn.
- One error convention: a script fails with ``redis.error_reply('<CODE> <message>')`` before it
  writes anything, and the call raises the exception its ``LuaScript.errors`` maps CODE to.

A runner belongs to one Redis client. ``runner(redis)`` finds it (or makes it on first use) without
touching the client; ``running(redis)`` is the cleanup context that owns it: on exit the calls in
flight finish and the runner is forgotten.
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError, ResponseError

MAX_BATCH = 256  # calls per pipeline; a bigger turn is split so that no reply waits on thousands


@dataclass(frozen=True, slots=True)
class LuaScript:
    """A Lua source, its SHA1 and the exception of each error code it may reply with."""

    name: str
    source: str
    errors: Mapping[str, Callable[[str], Exception]] = field(default_factory=dict)
    sha: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha", hashlib.sha1(self.source.encode()).hexdigest())

    @classmethod
    def from_file(cls, path: Path, errors: Mapping[str, Callable[[str], Exception]] | None = None) -> LuaScript:
        return cls(path.stem, path.read_text(), dict(errors or {}))

    def error(self, err: ResponseError) -> Exception:
        """The typed exception of a coded error reply (the reply itself when the code is not ours)."""
        code, _, message = str(err).partition(" ")
        make = self.errors.get(code)
        return err if make is None else make(message or code)


_Call = tuple[LuaScript, Sequence[Any], Sequence[Any], "asyncio.Future[Any]"]


class LuaRunner:
    """Runs scripts on one Redis client, one pipeline per event-loop turn."""

    def __init__(self, redis: Redis) -> None:
        self._redis = weakref.ref(redis)  # weak: the registry below must not keep a client alive
        self._pending: list[_Call] = []
        self._scheduled = False
        self._in_flight: set[asyncio.Task[None]] = set()

    async def call(self, script: LuaScript, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        """Run ``script``; its coded errors raise as typed exceptions, errors of other calls never here."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((script, keys, args, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return await future

    async def aclose(self) -> None:
        """Send what is pending and wait for every call in flight."""
        self._flush()
        while self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    def _flush(self) -> None:
        self._scheduled = False
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            task = asyncio.ensure_future(self._run(batch))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _run(self, batch: list[_Call]) -> None:
        redis = self._redis()
        try:
            if redis is None:
                raise RuntimeError("the Redis client of this runner is gone")
            async with redis.pipeline(transaction=False) as pipe:
                for script, keys, args, _ in batch:
                    pipe.evalsha(script.sha, len(keys), *keys, *args)
                results = await pipe.execute(raise_on_error=False)
        except Exception as err:  # the connection failed: every caller hears it
            for *_, future in batch:
                if not future.done():
                    future.set_exception(err)
            return
        for (script, keys, args, future), result in zip(batch, results, strict=True):
            if future.done():  # the caller was cancelled
                continue
            if isinstance(result, NoScriptError) or (isinstance(result, ResponseError) and "NOSCRIPT" in str(result)):
                try:  # first use on this server (or after a restart): load, then run alone
                    await redis.script_load(script.source)
                    result = await redis.evalsha(script.sha, len(keys), *keys, *args)
                except ResponseError as err:
                    result = err
                except Exception as err:
                    future.set_exception(err)
                    continue
            if isinstance(result, ResponseError):
                future.set_exception(script.error(result))
            elif isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)


_RUNNERS: weakref.WeakKeyDictionary[Redis, LuaRunner] = weakref.WeakKeyDictionary()


def runner(redis: Redis) -> LuaRunner:
    """The runner of this client (made on first use; one per client, so calls share the turn's pipeline)."""
    found = _RUNNERS.get(redis)
    if found is None:
        found = _RUNNERS[redis] = LuaRunner(redis)
    return found


async def running(redis: Redis) -> AsyncIterator[LuaRunner]:
    """Cleanup context of the client's runner: yields it; afterwards finishes its calls and forgets it."""
    found = runner(redis)
    try:
        yield found
    finally:
        await found.aclose()
        if _RUNNERS.get(redis) is found:
            del _RUNNERS[redis]
