"""Background tasks stop on shutdown even when a step swallows the cancellation."""

from __future__ import annotations

import asyncio

from gateway.background import Background


async def test_periodic_task_that_swallows_cancel_still_stops():
    calls = 0

    async def stubborn_step():
        nonlocal calls
        calls += 1
        try:
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            pass  # as some client libraries do

    bg = Background()
    task = bg.every("stubborn", 0.01, stubborn_step)
    await asyncio.sleep(0.1)
    await asyncio.wait_for(bg.stop(timeout=5), 6)
    assert task.done() and calls >= 1


async def test_a_failing_step_is_logged_and_the_loop_goes_on(caplog):
    calls = 0

    async def flaky():
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")

    bg = Background()
    bg.every("flaky", 0.01, flaky)
    await asyncio.sleep(0.1)
    await bg.stop()
    assert calls > 2
    assert any("periodic task failed" in r.message for r in caplog.records)
