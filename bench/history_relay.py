"""bench/history.py's relay phase: the archive's lag while the relay bench's load runs through the
real gateway at a fixed rate, next to the same load on a gateway without a history database.

The gateway is `bench/serve_gateway.py` (gateway.cli unchanged: its embedded Redis, and the history
database from DATABASE_URL, here a fresh database on the bench's embedded PostgreSQL); the load is
bench/loadgen.py's latency phase with bench/relay.py's config. `/healthz`'s history block (the
live lag, not the 5-second gauge) is sampled every `--lag-every-s` during the measured window.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import asyncpg
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from loadgen import summary  # noqa: E402
from relay import PASSWORD, bench_config, free_port, stop, wait_healthy  # noqa: E402

CAPACITY = 3  # chat slots per bench agent, as bench/relay.py


async def relay_phase(args, admin_dsn: str) -> list[dict]:
    """Both runs (history off, then on); prints a JSON line each and a comparison; returns them."""
    conversations = args.relay_conversations
    rate = args.relay_rate / (2 * conversations)  # per side and conversation: both sides send it
    agents = math.ceil(conversations * 1.1 / CAPACITY)
    workdir = Path(tempfile.mkdtemp(prefix="omnirelay-history-relay-"))
    (workdir / "bench.yaml").write_text(yaml.safe_dump(bench_config(agents, CAPACITY), sort_keys=False))
    results = []
    try:
        for history in (False, True):
            dsn = await fresh_database(admin_dsn, "relay_archive") if history else ""
            result = await one_run(args, workdir, dsn, conversations, agents, rate)
            print(json.dumps(result), flush=True)
            results.append(result)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    off, on = results
    print(json.dumps({
        "bench": "archive_lag_under_relay", "compare": "history on vs off", "offered_per_s": on["offered_per_s"],
        "relay_v2a_p99_ms": {"on": on["relay_v2a_ms"]["p99"], "off": off["relay_v2a_ms"]["p99"]},
        "archive_lag_ms": {"p50": on["archive_lag_ms"]["p50"], "p99": on["archive_lag_ms"]["p99"]},
        "archive_messages_per_s": on["archive_messages_per_s"],
        "server_cpu_pct": {"on": on["server_cpu_pct"], "off": off["server_cpu_pct"]},
    }), flush=True)
    return results


async def fresh_database(admin_dsn: str, name: str) -> str:
    """An empty database on the bench's PostgreSQL, migrated as `omnirelay db upgrade` does."""
    from gateway.history import migrate

    conn = await asyncpg.connect(admin_dsn, timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    dsn = urlsplit(admin_dsn)._replace(path=f"/{name}").geturl()
    await migrate.upgrade(dsn)
    return dsn


async def one_run(args, workdir: Path, dsn: str, conversations: int, agents: int, rate: float) -> dict:
    label = "on" if dsn else "off"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(OMNIRELAY_LOG_LEVEL="WARNING", OMNIRELAY_DATA_DIR=str(workdir / f"var-{label}"))
    cmd = [sys.executable, str(HERE / "serve_gateway.py"), "--config", str(workdir / "bench.yaml"), "--port", str(port := free_port())]
    if dsn:
        env["DATABASE_URL"] = dsn
    else:
        cmd.append("--no-history")
    url = f"http://127.0.0.1:{port}"
    with open(workdir / f"gateway-{label}.log", "w") as server_log:
        server = subprocess.Popen(cmd, env=env, stdout=server_log, stderr=subprocess.STDOUT)
    try:
        await asyncio.to_thread(wait_healthy, url, server, 60.0)
        loadgen = await asyncio.create_subprocess_exec(
            sys.executable, str(HERE / "loadgen.py"), "--url", url, "--target", "gateway",
            "--conversations", str(conversations), "--agents", str(agents), "--password", PASSWORD,
            "--rate", str(rate), "--phases", "latency", "--latency-s", str(args.relay_s),
            "--warmup-s", str(args.relay_warmup_s), "--server-pids", str(server.pid),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        budget = 180 + args.relay_s
        try:
            window, samples = await asyncio.wait_for(watch(loadgen, url, dsn, args), timeout=budget)
            out = (await asyncio.wait_for(loadgen.communicate(), timeout=60))[0].decode()
        except TimeoutError:
            loadgen.kill()
            raise RuntimeError(f"the relay run ({label}) took over {budget}s; server log in {workdir}") from None
        if loadgen.returncode != 0:
            raise RuntimeError(f"the load generator failed (history {label}, exit {loadgen.returncode})")
        phase = next(json.loads(line) for line in out.splitlines() if line.startswith("{"))
    finally:
        await asyncio.to_thread(stop, [server])
    lags = [lag for _, lag, _ in samples]
    return {
        "bench": "archive_lag_under_relay", "history": label, "conversations": conversations,
        "offered_per_s": phase["offered_per_s"], "messages_per_s": phase["messages_per_s"],
        "relay_v2a_ms": phase["v2a_ms"], "ack_errors": phase["ack_errors"],
        "archive_lag_ms": summary(lags) if dsn else None,
        "archive_pending_max": max((p for _, _, p in samples), default=None) if dsn else None,
        "archive_messages_per_s": window.get("archived_per_s"),
        "server_cpu_pct": phase["server_cpu_pct"], "redis_cpu_pct": phase["redis_cpu_pct"],
        "others_cpu_pct": phase["others_cpu_pct"],
    }


async def watch(loadgen: asyncio.subprocess.Process, url: str, dsn: str, args) -> tuple[dict, list[tuple]]:
    """Until the load generator ends: find its measured window (it logs when every conversation is
    assigned), sample /healthz's lag in it, and count the messages archived in it."""
    assert loadgen.stderr is not None
    samples: list[tuple[float, float, int]] = []  # (monotonic, lag s, entries waiting)
    window: dict = {}
    tasks: list[asyncio.Task] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while line := (await loadgen.stderr.readline()).decode():
            sys.stderr.write(line)
            if "assigned in" in line and not tasks:
                start = time.monotonic() + args.relay_warmup_s
                end = time.monotonic() + args.relay_s
                tasks.append(asyncio.create_task(sample(session, url, start, end, args.lag_every_s, samples)))
                if dsn:
                    tasks.append(asyncio.create_task(count_archived(dsn, start, end, window)))
        await asyncio.gather(*tasks)
    return window, samples


async def sample(session: aiohttp.ClientSession, url: str, start: float, end: float, every: float,
                 samples: list[tuple[float, float, int]]) -> None:
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    due = start
    while due < end:
        async with session.get(f"{url}/healthz") as r:
            history = (await r.json()).get("history")
        if history is not None:
            samples.append((time.monotonic(), float(history["archive_lag_s"]), int(history["archive_pending"])))
        due += every
        await asyncio.sleep(max(0.0, due - time.monotonic()))


async def count_archived(dsn: str, start: float, end: float, window: dict) -> None:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        before = await conn.fetchval("SELECT count(*) FROM messages")
        t0 = time.monotonic()
        await asyncio.sleep(max(0.0, end - time.monotonic()))
        after = await conn.fetchval("SELECT count(*) FROM messages")
        window["archived_per_s"] = round((after - before) / (time.monotonic() - t0), 1)
    finally:
        await conn.close()
