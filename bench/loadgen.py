"""The load generator of bench/relay.py: visitors and agents as Socket.IO clients, in their own process.

Each visitor message carries its monotonic send time in its text ("v|<t>"); the agent that gets
it records the latency and answers at once with "a|<t>", which the visitor times the same way.
Phases:
  latency     every visitor sends `--rate` messages/s on a fixed schedule (the agents answer each,
              so both sides send at that rate);
  saturation  every visitor sends its next message as soon as the answer to the last one arrives.
Prints one JSON line per phase; samples from the first `--warmup-s` of a phase are dropped.

    python bench/loadgen.py --url http://127.0.0.1:18080 --target gateway --agents 70 --password P
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import socketio

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bare_relay import OrjsonShim  # noqa: E402

TENANT, TOPIC, LANGUAGE = "demo", "bench", "en"
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Phase:
    name: str = "setup"
    measure_from: float = float("inf")  # monotonic; samples before this are warm-up
    measure_to: float = float("inf")
    closed_loop: bool = False  # saturation: the visitor sends when the answer arrives
    v2a: list[float] = field(default_factory=list)  # visitor -> agent latencies (s)
    a2v: list[float] = field(default_factory=list)
    ack_errors: int = 0

    def counts(self, sent_at: float) -> bool:
        """Sent inside the measured window; its arrival counts even after the window (slow ones too)."""
        return self.measure_from <= sent_at <= self.measure_to


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.urls = args.url.split(",")
        self.phase = Phase()
        self.agents: list[socketio.AsyncClient] = []
        self.visitors: list[Visitor] = []
        self.assigned: set[str] = set()  # conversation ids an agent holds
        self.client_ids = 0
        self.closing = False  # no more answers: the sockets are going away
        self.unacked = 0  # messages sent whose ack has not come (a server error leaves it so for good)
        self.lag = LoopLag()

    def mine(self, n: int) -> range:
        """The indices (of agents or visitors) this generator holds: every shards-th, from its own."""
        return range(self.args.shard, n, self.args.shards)

    def url(self, index: int) -> str:
        """Clients spread round-robin over the servers given (several gateway processes, one Redis)."""
        return self.urls[index % len(self.urls)]

    def client_id(self) -> str:
        self.client_ids += 1
        return f"b{os.getpid()}-{self.client_ids}"

    def client(self) -> socketio.AsyncClient:
        return socketio.AsyncClient(reconnection=False, json=OrjsonShim if self.args.orjson else None)

    # --- agents ------------------------------------------------------------------------------
    async def connect_agent(self, index: int, session: aiohttp.ClientSession) -> None:
        auth: dict[str, Any] = {}
        if self.args.target == "gateway":
            username = f"agent{index:03d}"
            async with session.post(f"{self.url(index)}/api/v1/login", json={"username": username, "password": self.args.password}) as r:
                if r.status != 200:
                    raise RuntimeError(f"login {username}: HTTP {r.status} {await r.text()}")
                auth = {"token": (await r.json())["token"]}
        sio = self.client()

        async def on_offer(offer: dict) -> None:
            ack = await sio.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=10)
            if not (isinstance(ack, dict) and ack.get("ok")):
                log(f"accept refused: {ack}")

        async def on_assigned(data: dict) -> None:
            self.assigned.add(data["conversation_id"])

        async def on_message(msg: dict) -> None:
            now = time.monotonic()
            text = msg.get("text", "")
            if msg.get("author", {}).get("kind") != "visitor" or not text.startswith("v|"):
                return
            sent_at = float(text[2:])
            if self.phase.counts(sent_at):
                self.phase.v2a.append(now - sent_at)
            if self.closing:
                return
            self.unacked += 1
            await sio.emit(
                "message", {"conversation_id": msg["conversation_id"], "text": f"a|{time.monotonic():.6f}", "client_id": self.client_id()},
                namespace="/agent", callback=self.check_ack,
            )

        sio.on("offer", on_offer, namespace="/agent")
        sio.on("assigned", on_assigned, namespace="/agent")
        sio.on("message", on_message, namespace="/agent")
        await sio.connect(self.url(index), namespaces=["/agent"], transports=["websocket"], auth=auth, wait_timeout=10)
        if self.args.target == "gateway":
            ack = await sio.call("state", {"state": "available"}, namespace="/agent", timeout=10)
            if ack.get("state") != "available":
                raise RuntimeError(f"agent{index:03d} could not go available: {ack}")
        self.agents.append(sio)

    @property
    def lag_p99(self) -> float | None:
        return summary(self.lag.samples)["p99"]

    def check_ack(self, ack: Any = None) -> None:
        self.unacked -= 1
        if not isinstance(ack, dict) or "error" in ack:
            self.phase.ack_errors += 1
            if self.phase.ack_errors <= 3:
                log(f"message refused: {ack}")

    # --- visitors ----------------------------------------------------------------------------
    async def connect_visitor(self, index: int) -> None:
        visitor = Visitor(self, index)
        await visitor.connect()
        self.visitors.append(visitor)

    async def setup(self) -> None:
        start = time.monotonic()
        sem = asyncio.Semaphore(max(1, 16 // self.args.shards))  # the bench config lets 16 logins hash at once

        async def bounded(job: Callable[[], Awaitable[None]]) -> None:
            async with sem:
                await job()

        async with aiohttp.ClientSession() as session:
            await asyncio.gather(*(bounded(lambda i=i: self.connect_agent(i, session)) for i in self.mine(self.args.agents)))
        await asyncio.gather(*(bounded(lambda i=i: self.connect_visitor(i)) for i in self.mine(self.args.conversations)))
        deadline = time.monotonic() + self.args.setup_timeout_s
        # with several generators an agent of this one may hold a visitor of another: count visitors only
        while not all(v.assigned.is_set() for v in self.visitors) or (
                self.args.shards == 1 and len(self.assigned) < len(self.visitors)):
            if time.monotonic() > deadline:
                waiting = sum(not v.assigned.is_set() for v in self.visitors)
                raise RuntimeError(f"{waiting} of {len(self.visitors)} conversations got no agent within {self.args.setup_timeout_s}s")
            await asyncio.sleep(0.05)
        log(f"{self.args.target}: {len(self.agents)} agents, {len(self.visitors)} conversations assigned in {time.monotonic() - start:.1f}s")

    # --- phases ------------------------------------------------------------------------------
    async def run_phase(self, name: str, duration: float, closed_loop: bool) -> dict:
        start = await self.barrier(name)
        self.phase = Phase(name, start + self.args.warmup_s, start + duration, closed_loop)
        lag = self.lag = LoopLag()
        lag_task = asyncio.create_task(lag.run(until=start + duration))
        senders = [asyncio.create_task(v.run(start, start + duration)) for v in self.visitors]
        await asyncio.sleep(self.args.warmup_s)
        cpu_before = *self.server_cpu(), cpu_seconds(os.getpid())[0], machine_busy()
        await asyncio.gather(*senders, lag_task)
        cpu_after = *self.server_cpu(), cpu_seconds(os.getpid())[0], machine_busy()
        window = duration - self.args.warmup_s
        backlog = await self.drain()
        p = self.phase
        delivered = len(p.v2a) + len(p.a2v)
        server_cpu, redis_cpu, loadgen_cpu, machine = (a - b for a, b in zip(cpu_after, cpu_before, strict=True))
        return {
            "target": self.args.target,
            "phase": name,
            "conversations": len(self.visitors) if self.args.shards == 1 else self.args.conversations,
            "server_processes": len(self.urls),
            "agents": len(self.agents),
            "window_s": round(window, 1),
            "rate_per_side": None if closed_loop else self.args.rate,
            "offered_per_s": None if closed_loop else round(2 * len(self.visitors) * self.args.rate, 1),  # this generator's
            "messages_per_s": round(delivered / window, 1),
            "v2a_ms": summary(p.v2a),
            "a2v_ms": summary(p.a2v),
            "ack_errors": p.ack_errors,
            "unanswered_at_end": backlog,
            "unacked_at_end": self.unacked,
            "server_cpu_pct": round(100 * server_cpu / window, 1),
            "server_cpu_ms_per_msg": round(1000 * server_cpu / delivered, 3) if delivered else None,
            "redis_cpu_pct": round(100 * redis_cpu / window, 1),
            "loadgen_cpu_pct": round(100 * loadgen_cpu / window, 1),
            "loadgen_lag_p99_ms": self.lag_p99,
            # CPU the rest of the machine took meanwhile (other jobs make every figure worse)
            "others_cpu_pct": round(100 * max(0.0, machine - server_cpu - redis_cpu - loadgen_cpu) / window, 1),
            "cpus": os.cpu_count(),
            **(self.raw(window, server_cpu, redis_cpu, loadgen_cpu, machine) if self.args.shards > 1 else {}),
        }

    def raw(self, window: float, server_cpu: float, redis_cpu: float, loadgen_cpu: float, machine: float) -> dict:
        """What bench/relay_shards.py needs to merge the generators' lines: samples and CPU seconds."""
        return {"raw": {"v2a": [round(x, 6) for x in self.phase.v2a], "a2v": [round(x, 6) for x in self.phase.a2v],
                        "window_s": window, "server_cpu_s": server_cpu, "redis_cpu_s": redis_cpu,
                        "loadgen_cpu_s": loadgen_cpu, "machine_cpu_s": machine, "loop_lag": self.lag_p99}}

    async def barrier(self, phase: str) -> float:
        """Alone: now. One of several generators (bench/relay_shards.py): say ready, then start at the
        monotonic time the coordinator answers with (one clock for every process on the machine)."""
        if self.args.shards == 1:
            return time.monotonic()
        print(json.dumps({"ready": phase}), flush=True)
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        start = float(line.split()[1])
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        return start

    def server_cpu(self) -> tuple[float, float]:
        """CPU seconds of the server processes, and of Redis (their children, or --redis-pid)."""
        own = children = 0.0
        for pid in self.args.server_pids:
            a, b = cpu_seconds(pid)
            own, children = own + a, children + b
        return own, children + (cpu_seconds(self.args.redis_pid)[0] if self.args.redis_pid else 0.0)

    async def drain(self, timeout: float = 15.0) -> int:
        """Wait for answers still in flight, so the next phase starts from a quiet server."""
        waiting = 0
        for _ in range(int(timeout / 0.05)):
            if not (waiting := sum(v.outstanding for v in self.visitors)) and not self.unacked:
                break
            await asyncio.sleep(0.05)
        return waiting

    async def close(self) -> None:
        self.closing = True
        await asyncio.gather(*(c.disconnect() for c in [*self.agents, *(v.sio for v in self.visitors)]), return_exceptions=True)


class Visitor:
    def __init__(self, bench: Bench, index: int):
        self.bench = bench
        self.index = index
        self.sio = bench.client()
        self.assigned = asyncio.Event()
        self.answered = asyncio.Event()
        self.outstanding = 0  # sent, answer not yet seen

    async def connect(self) -> None:
        sio, bench = self.sio, self.bench

        async def on_message(msg: dict) -> None:
            now = time.monotonic()
            text = msg.get("text", "")
            if msg.get("author", {}).get("kind") != "agent" or not text.startswith("a|"):
                return
            sent_at = float(text[2:])
            if bench.phase.counts(sent_at):
                bench.phase.a2v.append(now - sent_at)
            self.outstanding = max(0, self.outstanding - 1)
            self.answered.set()

        async def on_assigned(data: dict) -> None:
            self.assigned.set()

        async def on_session(data: dict) -> None:
            if bench.args.target == "bare" and data.get("conversation_id"):
                self.assigned.set()  # the bare relay pairs on connect

        sio.on("message", on_message, namespace="/visitor")
        sio.on("assigned", on_assigned, namespace="/visitor")
        sio.on("session", on_session, namespace="/visitor")
        auth = {"tenant": TENANT, "name": f"Visitor {self.index}", "topic": TOPIC, "language": LANGUAGE}
        await sio.connect(bench.url(self.index), namespaces=["/visitor"], transports=["websocket"], auth=auth, wait_timeout=10)
        if bench.args.target == "gateway":  # the first message opens the conversation and queues it
            ack = await sio.call("message", {"text": "hello", "client_id": bench.client_id()}, namespace="/visitor", timeout=10)
            if not isinstance(ack, dict) or "error" in ack:
                raise RuntimeError(f"visitor {self.index}: first message refused: {ack}")

    async def send(self) -> None:
        self.outstanding += 1
        self.bench.unacked += 1
        await self.sio.emit(
            "message", {"text": f"v|{time.monotonic():.6f}", "client_id": self.bench.client_id()},
            namespace="/visitor", callback=self.bench.check_ack,
        )

    async def run(self, start: float, end: float) -> None:
        if self.bench.phase.closed_loop:
            await asyncio.sleep(self.index * 0.05 / max(self.bench.args.conversations, 1))  # not all in the same tick
            while time.monotonic() < end:
                self.answered.clear()
                await self.send()
                try:
                    await asyncio.wait_for(self.answered.wait(), timeout=max(0.01, end - time.monotonic()))
                except TimeoutError:
                    return
            return
        interval = 1.0 / self.bench.args.rate
        due = start + interval * self.index / max(self.bench.args.conversations, 1)  # spread evenly over one interval
        while due < end:
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.send()
            due += interval


class LoopLag:
    """How late this process' event loop wakes up: the load generator's own share of the latency."""

    def __init__(self) -> None:
        self.samples: list[float] = []

    async def run(self, until: float, every: float = 0.01) -> None:
        while time.monotonic() < until:
            before = time.monotonic()
            await asyncio.sleep(every)
            self.samples.append(time.monotonic() - before - every)


def summary(samples: list[float]) -> dict:
    if not samples:
        return {"n": 0, "p50": None, "p90": None, "p99": None, "max": None}
    s = sorted(samples)

    def pct(q: float) -> float:
        return round(1000 * s[min(len(s) - 1, int(q * len(s)))], 2)

    return {"n": len(s), "p50": pct(0.50), "p90": pct(0.90), "p99": pct(0.99), "max": round(1000 * s[-1], 2)}


def cpu_seconds(pid: int | None) -> tuple[float, float]:
    """User + system CPU of a process, and of its children still running (the embedded redis-server)."""
    if not pid:
        return 0.0, 0.0
    children: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            children.extend(int(c) for c in (task / "children").read_text().split())
    except OSError:
        pass
    return _cpu(pid), sum(_cpu(c) for c in children)


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def machine_busy() -> float:
    """CPU seconds all cores spent on anything but idle and iowait, since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / CLK_TCK


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def amain(args: argparse.Namespace) -> int:
    bench = Bench(args)
    try:
        await asyncio.wait_for(bench.setup(), timeout=args.setup_timeout_s + 60)
        for name in args.phases.split(","):
            result = await bench.run_phase(
                name, args.latency_s if name == "latency" else args.saturation_s, closed_loop=name == "saturation"
            )
            print(json.dumps(result), flush=True)
    finally:
        await asyncio.wait_for(bench.close(), timeout=15)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="server URL, or several separated by commas")
    parser.add_argument("--target", choices=("gateway", "bare"), required=True)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--agents", type=int, default=70)
    parser.add_argument("--password", default="")
    parser.add_argument("--rate", type=float, default=1.0, help="messages/s per side in the latency phase")
    parser.add_argument("--phases", default="latency,saturation")
    parser.add_argument("--latency-s", type=float, default=20.0)
    parser.add_argument("--saturation-s", type=float, default=20.0)
    parser.add_argument("--warmup-s", type=float, default=3.0)
    parser.add_argument("--setup-timeout-s", type=float, default=None, help="default: 60 s + 30 ms per conversation")
    parser.add_argument("--shards", type=int, default=1, help="generators in this run (bench/relay_shards.py starts them)")
    parser.add_argument("--shard", type=int, default=0, help="which of them this is: agents and visitors i % shards == shard")
    parser.add_argument("--server-pids", type=lambda v: [int(p) for p in v.split(",") if p], default=[], help="for CPU figures")
    parser.add_argument("--redis-pid", type=int, default=0, help="a Redis that is no child of a server, for CPU figures")
    parser.add_argument("--orjson", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--uvloop", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    if args.setup_timeout_s is None:
        args.setup_timeout_s = 60.0 + 0.03 * args.conversations
    if args.uvloop:
        import uvloop

        uvloop.install()
    return asyncio.run(amain(args))


if __name__ == "__main__":
    sys.exit(main())
