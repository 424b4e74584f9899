"""Auto-pipelining of script calls: every call made in one event-loop turn goes to Redis in one
pipeline. Under load hundreds of sockets post in the same turn; one round trip (and one pass
through redis-py's connection machinery) then serves them all. Alone, a call waits only for the
end of the current turn.
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError, ResponseError

_MAX_BATCH = 256


class ScriptBatcher:
    """Batches EVALSHA calls of one Redis client."""

    def __init__(self, redis: Redis):
        self.redis = redis
        self._pending: list[tuple[AsyncScript, list, list, asyncio.Future]] = []
        self._scheduled = False
        self._tasks: set[asyncio.Task] = set()

    async def call(self, script: AsyncScript, keys: list, args: list) -> Any:
        """Run ``script`` with ``keys``/``args``; errors of this call alone raise here."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append((script, keys, args, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self._scheduled = False
        while self._pending:
            batch, self._pending = self._pending[:_MAX_BATCH], self._pending[_MAX_BATCH:]
            task = asyncio.ensure_future(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[tuple[AsyncScript, list, list, asyncio.Future]]) -> None:
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for script, keys, args, _ in batch:
                    pipe.evalsha(script.sha, len(keys), *keys, *args)
                results = await pipe.execute(raise_on_error=False)
        except Exception as err:  # the connection failed: every caller hears it
            for *_, future in batch:
                if not future.done():
                    future.set_exception(err)
            return
        for (script, keys, args, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, NoScriptError) or (isinstance(result, ResponseError) and "NOSCRIPT" in str(result)):
                try:  # first use after a Redis restart: the plain call loads the script
                    result = await script(keys=keys, args=args)
                except Exception as err:
                    future.set_exception(err)
                    continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)


def batcher(redis: Redis) -> ScriptBatcher:
    """The batcher of this client (one per client)."""
    found = getattr(redis, "_omnirelay_batcher", None)
    if found is None:
        found = ScriptBatcher(redis)
        redis._omnirelay_batcher = found  # type: ignore[attr-defined]
    return found
