"""Background tasks with an owner: kept referenced, crashes logged with their origin, cancelled on teardown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Background:
    """The set of long-running tasks of one gateway process."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def start(self, name: str, coro: Awaitable) -> asyncio.Task:
        """Run ``coro`` in the background; a crash is logged with ``name``."""
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def every(self, name: str, interval: float, step: Callable[[], Awaitable[object]]) -> asyncio.Task:
        """Run ``step`` every ``interval`` seconds; one failing step is logged and the loop goes on."""

        async def loop() -> None:
            me = asyncio.current_task()
            assert me is not None  # loop() only ever runs as the task start() made of it
            # cancelling() guards against a library that swallows the CancelledError inside step()
            while not me.cancelling():
                try:
                    await step()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("periodic task failed", extra={"task": name})
                await asyncio.sleep(interval)

        return self.start(name, loop())

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task crashed", exc_info=task.exception(), extra={"task": task.get_name()})

    async def stop(self, timeout: float = 10.0) -> None:
        """Cancel every task and wait (bounded) for them to finish."""
        pending = set(self._tasks)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while pending and loop.time() < deadline:
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=min(1.0, max(deadline - loop.time(), 0.01)))
        for task in pending:
            log.error("background task did not stop", extra={"task": task.get_name()})
        self._tasks.clear()
