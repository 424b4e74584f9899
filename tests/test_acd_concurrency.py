"""Several OS processes routing against one Redis at once; the invariants hold afterwards."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest

from acd.devtools import audit, stress
from acd.engine import Engine

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


async def test_four_processes_route_concurrently_without_breaking_invariants(redis, redis_url):
    start, wall0 = 1_700_000_000.0, time.time()
    engine = Engine(redis, stress.tenant())
    await engine.sync_config(start)
    for aid in stress.AGENTS:
        await engine.set_state(aid, "available", start)
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "acd.devtools.stress", "--url", redis_url, "--worker", str(w), "--ops", "400",
            "--seed", "7", "--start", str(start), "--wall0", str(wall0), "--speed", "30",
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        for w in range(4)
    ]
    outputs = [await p.communicate() for p in procs]
    for p, (_, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err.decode()[-2000:]
    counts = [json.loads(out) for out, _ in outputs]
    assert sum(c.get("submit", 0) for c in counts) > 400
    assert sum(c.get("answer", 0) for c in counts) > 50

    assert await audit.check(engine, work_conserving=True) == []
    now = start + (time.time() - wall0) * 30
    assert await engine.stats_replay(now) == await engine.queue_stats(now)
    # time runs on until every offer has expired and every wrap-up ended: still consistent
    await engine.tick(now + 120)
    assert await audit.check(engine, work_conserving=True) == []
