"""The Erlang C check at full length: the real engine in virtual time next to the formula.

Runs acd.devtools.simulation (Poisson arrivals, exponential handle times, single-channel agents that
auto-accept, every decision a Lua script in Redis) for each agent count and prints one JSON line
per run: measured service level, ASA and P(wait) next to Erlang C's, and the run's speed.
Starts its own embedded redis-server (AOF, --appendfsync) unless REDIS_URL is set.

    .venv/bin/python bench/erlang_sim.py                        # 200,000 contacts, 14 agents, ~3-5 min
    .venv/bin/python bench/erlang_sim.py --agents 12 13 14 15 --contacts 50000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import redis.asyncio as aioredis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from acd.devtools.simulation import simulate  # noqa: E402
from gateway.embedded_redis import EmbeddedRedis  # noqa: E402


async def main(args: argparse.Namespace) -> None:
    server = None
    url = os.environ.get("REDIS_URL")
    if not url:
        server = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="acd-sim-")), appendfsync=args.appendfsync)
        url = await server.start()
    redis = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        for agents in args.agents:
            await redis.flushdb()
            t = time.perf_counter()
            r = await simulate(redis, agents=agents, arrivals_per_s=args.per_30min / 1800, aht_s=args.aht,
                               threshold_s=args.threshold, contacts=args.contacts, seed=args.seed)
            wall = time.perf_counter() - t
            print(json.dumps({
                "bench": "erlang_sim", "agents": agents, "erlangs": round(r.traffic, 3), "contacts": r.contacts,
                "threshold_s": args.threshold,
                "service_level": round(r.service_level, 4), "erlang_c_service_level": round(r.erlang_service_level, 4),
                "sl_diff_points": round(100 * (r.service_level - r.erlang_service_level), 2),
                "asa_s": round(r.asa_s, 3), "erlang_c_asa_s": round(r.erlang_asa_s, 3),
                "p_wait": round(r.p_wait, 4), "erlang_c_p_wait": round(r.erlang_p_wait, 4),
                "ewt_samples": r.ewt_samples, "ewt_mae_s": round(r.ewt_mae_s, 2), "ewt_bias_s": round(r.ewt_bias_s, 2),
                "mean_wait_of_those_s": round(r.mean_wait_of_waiting_s, 2),
                "constant_guess_mae_s": round(r.constant_mae_s, 2),
                "virtual_hours": round(r.virtual_s / 3600, 1), "wall_s": round(wall, 1),
                "decisions_per_s": round(2 * args.contacts / wall),
            }), flush=True)
    finally:
        await redis.aclose()
        if server:
            await server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, nargs="+", default=[14])
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--per-30min", type=float, default=100.0, help="arrivals per 30 minutes")
    parser.add_argument("--aht", type=float, default=180.0)
    parser.add_argument("--threshold", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--appendfsync", default="everysec", choices=["always", "everysec", "no"])
    asyncio.run(main(parser.parse_args()))
