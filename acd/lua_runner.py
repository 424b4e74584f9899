"""One way to run Lua in Redis, for the routing engine and the gateway's store alike.

- Loaded once: calls go by EVALSHA; after a Redis restart (NOSCRIPT) the script is loaded again.
- Auto-pipelined: every call made in one event-loop turn goes to Redis in one pipeline. Under load
  hundreds of sockets post in the same turn, and one round trip (and one pass through redis-py's
  connection machinery) then serves them all; alone, a call waits only for the end of the turn.
- One error convention: a script fails with ``redis.error_reply('<CODE> <message>')`` before it
  writes anything, and the call raises the exception its ``LuaScript.errors`` maps CODE to.

- Replicated durability (``replicas`` > 0): ``replicated()`` waits until every write made before it
  reached that many replicas. It joins the turn's pipeline, which then ends with ``PUBLISH`` (a
  replicated no-op that moves this connection's replication offset to "now") and ``WAIT replicas
  timeout``: so one WAIT covers every write acknowledged in that turn, on any connection, including
  plain commands. When the replicas do not confirm in time it raises ``NotReplicated``.

A runner belongs to one Redis client. ``runner(redis)`` finds it (or makes it on first use) without
touching the client; ``running(redis)`` is the cleanup context that owns it: on exit the calls in
flight finish and the runner is forgotten.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import weakref
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.crc import key_slot
from redis.exceptions import NoScriptError, RedisError, ResponseError

MAX_BATCH = 256  # calls per pipeline; a bigger turn is split so that no reply waits on thousands
BARRIER_CHANNEL = "omnirelay:replicated"  # nobody listens: PUBLISH is only there to be replicated


class NotReplicated(RedisError):
    """The write is on the primary, but no replica confirmed it in time: the client should send it
    again (idempotent by client_id / delivery id), and it is acknowledged once a replica has it."""


WaitObserver = Callable[[float, bool], None]

# OMNIRELAY_CHECK_SLOTS=1 (the test suite sets it): every script call is checked to name keys of one
# Redis Cluster hash slot, so a CROSSSLOT on a cluster shows up in every test, not only on a cluster
CHECK_SLOTS = os.environ.get("OMNIRELAY_CHECK_SLOTS") == "1"


class CrossSlot(Exception):
    """A script was called with keys of more than one hash slot: it would fail on a Redis Cluster."""


def check_one_slot(script: LuaScript, keys: Sequence[Any]) -> None:
    slots = {key_slot(k if isinstance(k, bytes) else str(k).encode()) for k in keys}
    if len(slots) > 1:
        raise CrossSlot(f"{script.name}: keys in {len(slots)} hash slots: {list(keys)[:6]}")  # (seconds the WAIT took, whether enough replicas confirmed)


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
    def from_file(cls, path: Path, errors: Mapping[str, Callable[[str], Exception]] | None = None, *,
                  libs: Sequence[Path] = ()) -> LuaScript:
        """The script in ``path``, after the ``libs`` (Lua files of local functions several scripts share:
        Redis runs one self-contained source, so a library is prepended, never loaded on its own)."""
        source = "".join(f"{lib.read_text()}\n" for lib in libs) + path.read_text()
        return cls(path.stem, source, dict(errors or {}))

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
        self._waiting: list[asyncio.Future[None]] = []  # replicated() calls of this turn
        self._scheduled = False
        self._in_flight: set[asyncio.Task[None]] = set()
        self.replicas = 0  # > 0: replicated() waits for this many replicas
        self.wait_timeout_ms = 1000
        self.observe_wait: WaitObserver | None = None

    def require_replicas(self, replicas: int, timeout_ms: int, observe: WaitObserver | None = None) -> None:
        """Make ``replicated()`` wait for ``replicas`` replicas, at most ``timeout_ms`` (0 replicas: no wait)."""
        self.replicas, self.wait_timeout_ms, self.observe_wait = replicas, timeout_ms, observe

    async def call(self, script: LuaScript, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        """Run ``script``; its coded errors raise as typed exceptions, errors of other calls never here."""
        if CHECK_SLOTS:
            check_one_slot(script, keys)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((script, keys, args, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return await future

    async def replicated(self) -> None:
        """Return once every write this process finished before the call is on the replicas;
        ``NotReplicated`` when they did not confirm in time. Nothing to wait for without replicas."""
        if self.replicas <= 0:
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._waiting.append(future)
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        await future

    async def aclose(self) -> None:
        """Send what is pending and wait for every call in flight."""
        self._flush()
        while self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    def _flush(self) -> None:
        self._scheduled = False
        # the waiters ride with the first batch: their writes were all done before they asked
        waiting, self._waiting = self._waiting, []
        while self._pending or waiting:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            task = asyncio.ensure_future(self._run(batch, waiting))
            waiting = []
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _run(self, batch: list[_Call], waiting: list[asyncio.Future[None]]) -> None:
        redis = self._redis()
        started = asyncio.get_running_loop().time()
        try:
            if redis is None:
                raise RuntimeError("the Redis client of this runner is gone")
            async with redis.pipeline(transaction=False) as pipe:
                for script, keys, args, _ in batch:  # (a Cluster pipeline refuses .evalsha(), routes this by key)
                    pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
                if waiting:
                    pipe.publish(BARRIER_CHANNEL, "")
                    pipe.execute_command("WAIT", self.replicas, self.wait_timeout_ms)
                results = await pipe.execute(raise_on_error=False)
        except Exception as err:  # the connection failed: every caller hears it
            for future in [call[3] for call in batch] + waiting:
                if not future.done():
                    future.set_exception(err)
            return
        if waiting:
            self._settle(waiting, results[-1], asyncio.get_running_loop().time() - started)
            results = results[:len(batch)]
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


    def _settle(self, waiting: list[asyncio.Future[None]], confirmed: Any, seconds: float) -> None:
        ok = isinstance(confirmed, int) and confirmed >= self.replicas
        if self.observe_wait is not None and not isinstance(confirmed, Exception):
            self.observe_wait(seconds, ok)
        if ok:
            error: Exception | None = None
        elif isinstance(confirmed, Exception):
            error = confirmed
        else:
            error = NotReplicated(
                f"{confirmed} of {self.replicas} replicas confirmed the write within {self.wait_timeout_ms} ms")
        for future in waiting:
            if future.done():
                continue
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)


_RUNNERS: weakref.WeakKeyDictionary[Redis, LuaRunner] = weakref.WeakKeyDictionary()


def runner(redis: Redis) -> LuaRunner:
    """The runner of this client (made on first use; one per client, so calls share the turn's pipeline)."""
    found = _RUNNERS.get(redis)
    if found is None:
        found = _RUNNERS[redis] = LuaRunner(redis)
    return found


async def running(redis: Redis, *, replicas: int = 0, wait_timeout_ms: int = 1000,
                  observe_wait: WaitObserver | None = None) -> AsyncIterator[LuaRunner]:
    """Cleanup context of the client's runner: yields it; afterwards finishes its calls and forgets it.
    ``replicas`` > 0: ``replicated()`` waits for that many replicas (``durability: replicated``)."""
    found = runner(redis)
    found.require_replicas(replicas, wait_timeout_ms, observe_wait)
    try:
        yield found
    finally:
        await found.aclose()
        if _RUNNERS.get(redis) is found:
            del _RUNNERS[redis]
