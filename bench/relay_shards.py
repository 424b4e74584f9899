"""Several load generators for one relay run (bench/relay.py --loadgen-procs N): thousands of sockets
on one event loop would put the generator's own lag into the figures.

Generator k holds the agents and visitors whose index is k modulo N (an agent of one may serve a
visitor of another: the agent answers whatever reaches it, and a message's send time is on the
machine's one monotonic clock). Each phase starts when every generator is ready, at one time
given to all; their lines are merged: the latency samples pooled before the percentiles are taken,
messages and the generators' CPU summed, the server's CPU taken once.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import summary  # noqa: E402

START_MARGIN_S = 0.5  # the "go" reaches every generator before the phase starts


def run(cmd: list[str], procs: int, budget_s: float) -> list[dict]:
    """Run ``procs`` copies of the load generator ``cmd``; return the merged phase lines."""
    gens = [subprocess.Popen([*cmd, "--shards", str(procs), "--shard", str(k)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True) for k in range(procs)]
    lines: dict[str, list[dict]] = {}
    ready: set[int] = set()
    done: set[int] = set()
    partial = [b""] * procs  # read unbuffered: a buffered reader would sit on a second line select() never reports
    deadline = time.monotonic() + budget_s
    sel = selectors.DefaultSelector()
    for k, gen in enumerate(gens):
        sel.register(gen.stdout.fileno(), selectors.EVENT_READ, k)
    try:
        while len(done) < procs:
            if time.monotonic() > deadline:
                raise TimeoutError(f"load generators still running after {budget_s:.0f}s")
            for key, _ in sel.select(1.0):
                k = key.data
                chunk = os.read(key.fd, 1 << 20)
                if not chunk:
                    sel.unregister(key.fd)
                    done.add(k)
                    if gens[k].wait() != 0:
                        raise RuntimeError(f"load generator {k} failed (exit {gens[k].returncode})")
                    continue
                *complete, partial[k] = (partial[k] + chunk).split(b"\n")
                for line in complete:
                    if not line.startswith(b"{"):
                        continue
                    msg = json.loads(line)
                    if "ready" in msg:
                        ready.add(k)
                    elif "phase" in msg:
                        lines.setdefault(msg["phase"], []).append(msg)
            if len(ready) == procs:  # everyone set up (or done with the last phase): start the next one together
                start = time.monotonic() + START_MARGIN_S
                for gen in gens:
                    gen.stdin.write(f"go {start:.6f}\n")
                    gen.stdin.flush()
                ready.clear()
    finally:
        sel.close()
        for gen in gens:
            if gen.poll() is None:
                gen.kill()
                gen.wait(5)
    return [merge(parts) for parts in lines.values()]


def merge(parts: list[dict]) -> dict:
    """One phase line out of every generator's."""
    raws = [p.pop("raw") for p in parts]
    first = dict(parts[0])
    window = raws[0]["window_s"]
    v2a = [x for r in raws for x in r["v2a"]]
    a2v = [x for r in raws for x in r["a2v"]]
    server, redis = raws[0]["server_cpu_s"], raws[0]["redis_cpu_s"]
    loadgen = sum(r["loadgen_cpu_s"] for r in raws)
    machine = raws[0]["machine_cpu_s"]
    delivered = len(v2a) + len(a2v)
    first.update({
        "messages_per_s": round(delivered / window, 1),
        "offered_per_s": None if first["offered_per_s"] is None else round(sum(p["offered_per_s"] for p in parts), 1),
        "agents": sum(p["agents"] for p in parts),
        "v2a_ms": summary(v2a),
        "a2v_ms": summary(a2v),
        "ack_errors": sum(p["ack_errors"] for p in parts),
        "unanswered_at_end": sum(p["unanswered_at_end"] for p in parts),
        "unacked_at_end": sum(p["unacked_at_end"] for p in parts),
        "server_cpu_ms_per_msg": round(1000 * server / delivered, 3) if delivered else None,
        "loadgen_cpu_pct": round(100 * loadgen / window, 1),
        "loadgen_lag_p99_ms": max((r["loop_lag"] for r in raws if r["loop_lag"] is not None), default=None),
        "others_cpu_pct": round(100 * max(0.0, machine - server - redis - loadgen) / window, 1),
        "loadgen_procs": len(parts),
    })
    return first
