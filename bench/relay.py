"""The relay benchmark: visitor <-> agent messages through the real gateway, next to a bare relay.

Starts each server as a subprocess on loopback (the gateway with its embedded Redis, AOF with
appendfsync always, or $REDIS_URL with --redis-url), drives it from a load generator in another
process (bench/loadgen.py), and prints JSON lines: one per target and phase, then the comparison
against the targets (p99 visitor->agent latency at 1 message/s per side; saturation throughput as
a share of the bare relay's). Everything it starts stops by itself.

    .venv/bin/python bench/relay.py                      # bare relay + gateway, ~2 minutes
    .venv/bin/python bench/relay.py --matrix             # also: with/without orjson and uvloop
    .venv/bin/python bench/relay.py --latency-s 10 --saturation-s 10 --conversations 50
    .venv/bin/python bench/relay.py --durability replicated   # + a primary/replica pair: local vs replicated

With ``--durability replicated`` the bench starts a Redis primary (AOF, appendfsync always) and one
replica on loopback, and runs the gateway on that primary twice: ``durability: local`` and
``durability: replicated`` (every ack waits for WAIT 1; docs/ha.md), then prints their comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml
from argon2 import PasswordHasher

HERE = Path(__file__).resolve().parent
PASSWORD = "bench-agent-password"
TARGET_P99_MS = 25.0
TARGET_RATIO = 0.5


def bench_config(agents: int, capacity: int) -> dict:
    """A config in config/demo.yaml's schema: one tenant, one queue and topic, `agents` chat agents."""
    # Cheap argon2 parameters: 70 logins at the default cost would take seconds of setup.
    password_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    return {
        "server": {"host": "127.0.0.1", "port": 18080, "secret_key": "bench-secret-not-for-production", "token_ttl_s": 3600},
        "limits": {"message_chars": 4096, "visitor_messages_per_10s": 1_000_000, "login_attempts_per_min": 1000,
                   # the load generator is one address with hundreds of sockets and 16 logins at once
                   "login_attempts_per_address_per_min": 100_000, "login_hash_concurrency": 16, "connections_per_address": 0,
                   "conversations_per_address_per_min": 1_000_000},
        "tenants": {
            "demo": {
                "name": "Bench",
                "languages": ["en"],
                "topics": {"bench": {"queue": "bench", "label": {"en": "Bench"}}},
                "queues": {"bench": {"name": "Bench", "skill": "chat", "wrapup_s": 5, "steps": [{"min_proficiency": 1}]}},
                "channels": {"web": {"type": "widget", "name": "Website chat"}},
                "agents": {
                    f"agent{i:03d}": {
                        "name": f"Agent {i}", "password_hash": password_hash, "languages": ["en"],
                        "skills": {"chat": 3}, "capacity": {"chat": capacity},
                    }
                    for i in range(agents)
                },
            }
        },
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url}/healthz did not answer within {timeout}s")


def stop(servers: list[subprocess.Popen], grace_s: float = 10.0) -> None:
    """SIGINT (aiohttp's graceful shutdown), then SIGKILL whatever is still there after ``grace_s``."""
    for proc in servers:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + grace_s
    for proc in servers:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()  # the embedded redis-server follows (PR_SET_PDEATHSIG)
            proc.wait(5)


def run_target(name: str, args: argparse.Namespace, workdir: Path, *, orjson: bool, uvloop: bool,
               durability: str = "") -> list[dict]:
    """Start the server(s), run the load generator against them, return the phase results.
    ``durability``: run the gateway on the bench's primary/replica pair with this durability."""
    label = variant_label(name, orjson, uvloop)
    procs = args.gateway_procs if name == "gateway" else 1
    label += f"-x{procs}" if procs > 1 else ""
    label += f"-{durability}" if durability else ""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "OMNIRELAY_DURABILITY")}
    env["OMNIRELAY_LOG_LEVEL"] = "WARNING"
    shared_redis = None
    redis_label = "embedded, appendfsync always"
    if name == "gateway":
        data_dir = workdir / f"var-{label}"
        shutil.rmtree(data_dir, ignore_errors=True)
        env["OMNIRELAY_DATA_DIR"] = str(data_dir)
        if durability:
            flush(args.pair_url)
            env["REDIS_URL"], env["OMNIRELAY_DURABILITY"] = args.pair_url, durability
            redis_label = f"primary + 1 replica on loopback, appendfsync always, durability {durability}"
        elif args.redis_url:
            flush(args.redis_url)
            env["REDIS_URL"] = args.redis_url
            redis_label = "REDIS_URL"
        elif procs > 1:  # several gateways need one Redis: the same redis-server the gateway embeds
            from gateway.embedded_redis import EmbeddedRedis

            shared_redis = EmbeddedRedis(data_dir / "shared-redis", appendfsync="always")
            env["REDIS_URL"] = asyncio.run(shared_redis.start())
            redis_label = "shared redis-server, appendfsync always"
    servers: list[subprocess.Popen] = []
    urls: list[str] = []
    load_before = os.getloadavg()[0]
    try:
        for i in range(procs):
            port = free_port()
            if name == "bare":
                cmd = [sys.executable, str(HERE / "bare_relay.py"), "--port", str(port)] + ([] if orjson else ["--no-orjson"])
            else:
                cmd = [sys.executable, str(HERE / "serve_gateway.py"), "--config", str(workdir / "bench.yaml"), "--port", str(port), "--gc-report"]
                cmd += args.gateway_args.split()
                cmd += ["--orjson"] if orjson else []
            cmd += [] if uvloop else ["--no-uvloop"]
            with open(workdir / f"{label}-{i}.log", "w") as server_log:
                servers.append(subprocess.Popen(cmd, env=env, stdout=server_log, stderr=subprocess.STDOUT))
            urls.append(f"http://127.0.0.1:{port}")
            wait_healthy(urls[-1], servers[-1])
        loadgen = [
            sys.executable, str(HERE / "loadgen.py"), "--url", ",".join(urls), "--target", name,
            "--conversations", str(args.conversations), "--agents", str(args.agents), "--password", PASSWORD,
            "--rate", str(args.rate), "--latency-s", str(args.latency_s), "--saturation-s", str(args.saturation_s),
            "--warmup-s", str(args.warmup_s), "--server-pids", ",".join(str(s.pid) for s in servers),
        ]
        if shared_redis is not None and shared_redis.process is not None:
            loadgen += ["--redis-pid", str(shared_redis.process.pid)]
        budget = 120 + args.latency_s + args.saturation_s + 2 * args.warmup_s
        if args.loadgen_procs > 1:  # several generator processes, their lines merged (bench/relay_shards.py)
            import relay_shards

            results = relay_shards.run(loadgen, args.loadgen_procs, budget + 0.06 * args.conversations)
        else:
            done = subprocess.run(loadgen, capture_output=True, text=True, timeout=budget)
            sys.stderr.write(done.stderr)
            if done.returncode != 0:
                raise RuntimeError(f"load generator failed against {label} (exit {done.returncode}); server logs in {workdir}")
            results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        for r in results:
            r.update(target=label, orjson=orjson, uvloop=uvloop, loadavg_1m_before=round(load_before, 2))
            if name == "gateway":
                r["redis"] = redis_label
            print(json.dumps(r), flush=True)
        return results
    finally:
        stop(servers)
        if shared_redis is not None:
            asyncio.run(shared_redis.stop())


def flush(redis_url: str) -> None:
    """A shared Redis keeps agents' state between runs; the bench starts each run from empty."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()


# As shipped: the bare relay with both (they pay, see bench/README.md); the gateway with uvloop
# (gateway.cli installs it) and the standard json module (gateway/sockets/server.py sets no other).
DEFAULTS = {"bare": (True, True), "gateway": (False, True)}


def variant_label(name: str, orjson: bool, uvloop: bool) -> str:
    d_orjson, d_uvloop = DEFAULTS[name]
    label = name
    if orjson != d_orjson:
        label += "+orjson" if orjson else "-no-orjson"
    if uvloop != d_uvloop:
        label += "+uvloop" if uvloop else "-no-uvloop"
    return label


def compare(bare: list[dict], gateway: list[dict]) -> dict:
    def pick(results: list[dict], phase: str) -> dict:
        return next(r for r in results if r["phase"] == phase)

    g_lat, b_lat = pick(gateway, "latency"), pick(bare, "latency")
    g_sat, b_sat = pick(gateway, "saturation"), pick(bare, "saturation")
    p99 = g_lat["v2a_ms"]["p99"]
    ratio = g_sat["messages_per_s"] / b_sat["messages_per_s"] if b_sat["messages_per_s"] else 0.0
    return {
        "comparison": f"{gateway[0]['target']} vs {bare[0]['target']}",
        "conversations": g_lat["conversations"],
        "latency_v2a_p50_ms": {"gateway": g_lat["v2a_ms"]["p50"], "bare": b_lat["v2a_ms"]["p50"]},
        "latency_v2a_p99_ms": {"gateway": p99, "bare": b_lat["v2a_ms"]["p99"]},
        "latency_target_p99_ms": TARGET_P99_MS,
        "latency_target_met": p99 is not None and p99 <= TARGET_P99_MS,
        "throughput_msgs_per_s": {"gateway": g_sat["messages_per_s"], "bare": b_sat["messages_per_s"]},
        "throughput_ratio": round(ratio, 3),
        "throughput_target_ratio": TARGET_RATIO,
        "throughput_target_met": ratio >= TARGET_RATIO,
        "errors": g_lat["ack_errors"] + g_sat["ack_errors"] + b_lat["ack_errors"] + b_sat["ack_errors"],
    }


def start_pair(workdir: Path) -> list:
    """A Redis primary and one replica on loopback (the embedded package's binaries), in sync."""
    sys.path.insert(0, str(HERE.parent / "tests"))
    from redis_topology import primary_and_replicas

    primary, replicas = primary_and_replicas(workdir / "redis-pair", replicas=1)
    return [primary, *replicas]


def compare_durability(local: list[dict], replicated: list[dict]) -> dict:
    """What ``durability: replicated`` costs against ``local`` on the same primary/replica pair."""
    def pick(results: list[dict], phase: str) -> dict:
        return next(r for r in results if r["phase"] == phase)

    lat = {d: pick(r, "latency") for d, r in (("local", local), ("replicated", replicated))}
    sat = {d: pick(r, "saturation") for d, r in (("local", local), ("replicated", replicated))}
    return {
        "comparison": "durability replicated vs local (same primary + replica)",
        "conversations": lat["local"]["conversations"],
        "latency_v2a_p50_ms": {d: r["v2a_ms"]["p50"] for d, r in lat.items()},
        "latency_v2a_p99_ms": {d: r["v2a_ms"]["p99"] for d, r in lat.items()},
        "throughput_msgs_per_s": {d: r["messages_per_s"] for d, r in sat.items()},
        "errors": {d: lat[d]["ack_errors"] + sat[d]["ack_errors"] for d in lat},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--capacity", type=int, default=3, help="chat capacity of each bench agent")
    parser.add_argument("--rate", type=float, default=1.0, help="messages/s per side in the latency phase")
    parser.add_argument("--latency-s", type=float, default=20.0)
    parser.add_argument("--saturation-s", type=float, default=20.0)
    parser.add_argument("--warmup-s", type=float, default=3.0)
    parser.add_argument("--redis-url", default="", help="use this Redis (it is FLUSHED) instead of the embedded one")
    parser.add_argument("--gateway-procs", type=int, default=1, help="gateway processes on one Redis, clients spread over them")
    parser.add_argument("--matrix", action="store_true", help="also measure both servers without orjson and without uvloop")
    parser.add_argument("--only", choices=("bare", "gateway"), help="run one server only (no comparison)")
    parser.add_argument("--write-config", metavar="PATH", help="write the bench config there and exit")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (config, server logs, Redis data)")
    parser.add_argument("--gateway-args", default="", help="more options of bench/serve_gateway.py, e.g. '--gc-threshold 20000,20,20'")
    parser.add_argument("--loadgen-procs", type=int, default=1,
                        help="load generator processes sharing the sockets (2,000 conversations: 2; bench/relay_shards.py)")
    parser.add_argument("--durability", choices=("local", "replicated"), default="local",
                        help="replicated: also run the gateway on a primary/replica pair, local vs replicated")
    args = parser.parse_args()
    # 10 % spare slots, so that the ACD never has to wait for a slot to come free.
    args.agents = math.ceil(args.conversations * 1.1 / args.capacity)

    config = yaml.safe_dump(bench_config(args.agents, args.capacity), sort_keys=False)
    if args.write_config:
        Path(args.write_config).write_text(config)
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="omnirelay-bench-"))
    (workdir / "bench.yaml").write_text(config)
    print(f"bench: {args.conversations} conversations, {args.agents} agents x chat {args.capacity}; work dir {workdir}", file=sys.stderr)
    runs = [("bare", *DEFAULTS["bare"]), ("gateway", *DEFAULTS["gateway"])]
    if args.matrix:
        runs += [("bare", False, True), ("bare", True, False), ("gateway", True, True), ("gateway", False, False)]
    runs = [run for run in runs if args.only in (None, run[0])]
    results: dict[tuple, list[dict]] = {}
    pair = start_pair(workdir) if args.durability == "replicated" else []
    try:
        for name, orjson, uvloop in runs:
            results[name, orjson, uvloop] = run_target(name, args, workdir, orjson=orjson, uvloop=uvloop)
        if pair:
            args.pair_url = pair[0].url
            for durability in ("local", "replicated"):
                results["gateway", *DEFAULTS["gateway"], durability] = run_target(
                    "gateway", args, workdir, orjson=DEFAULTS["gateway"][0], uvloop=DEFAULTS["gateway"][1],
                    durability=durability)
        if args.only is None:
            bare = results["bare", *DEFAULTS["bare"]]
            for (name, *_), result in results.items():
                if name == "gateway":
                    print(json.dumps(compare(bare, result)), flush=True)
        if pair:
            print(json.dumps(compare_durability(results["gateway", *DEFAULTS["gateway"], "local"],
                                                results["gateway", *DEFAULTS["gateway"], "replicated"])), flush=True)
    finally:
        for server in pair:
            server.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
