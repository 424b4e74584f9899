"""Idle widget connections on one gateway process: memory per connection, next to the bare
python-socketio server, and the time until every widget is back after the gateway restarts.

Each connection is a visitor socket authenticated as the widget does it (`/visitor`, auth
`{tenant, name, language, topic}`, then its `visitor_token` on every reconnect; transports polling
then websocket, as socket.io-client's default), held by generator processes (this file with
`--generator`). A widget that loses its connection reconnects with socket.io-client's back-off as
the widget configures it (reconnectionDelay 500 ms, reconnectionDelayMax 5000 ms, randomization
factor 0.5: 250-750 ms, then 0.5-1.5 s, 1-3 s, 2-5 s, 5 s …), so the reconnect is no thundering herd.

    .venv/bin/python bench/connections.py                        # 10,000 connections, ~2-3 minutes
    .venv/bin/python bench/connections.py --connections 1000     # a quick look
    .venv/bin/python bench/connections.py --transports websocket # skip the long-polling handshake

Prints JSON lines: one per server (memory), one for the restart, one comparison. Needs a file
descriptor limit above the connections (one per socket in the gateway and in the generators): the
bench raises its own soft limit to the hard one (children inherit it) and says so when that is too low.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import math
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOAL_BYTES_PER_CONNECTION = 20 * 1024
GOAL_RECONNECT_S = 30.0


class Backoff:
    """socket.io-client's reconnection back-off (its `backo2`): ms * 2^attempts, jittered, capped."""

    def __init__(self, ms: float = 500, max_ms: float = 5000, factor: float = 2, jitter: float = 0.5) -> None:
        self.ms, self.max_ms, self.factor, self.jitter, self.attempts = ms, max_ms, factor, jitter, 0

    def duration(self) -> float:
        """Seconds before the next attempt."""
        ms = self.ms * self.factor ** self.attempts
        self.attempts += 1
        if self.jitter:
            rand = random.random()
            deviation = math.floor(rand * self.jitter * ms)
            ms = ms - deviation if (math.floor(rand * 10) & 1) == 0 else ms + deviation
        return int(min(ms, self.max_ms)) / 1000

    def reset(self) -> None:
        self.attempts = 0


# --- the generator (a child process) ------------------------------------------------------------

class Widget:
    """One visitor's socket, reconnecting like the widget."""

    def __init__(self, gen: Generator, index: int) -> None:
        self.gen, self.index = gen, index
        self.sio = self._client()
        self.token: str | None = None
        self.online = False
        self.stopping = False
        self.reconnecting = False

    def _client(self):
        """A new client for each attempt, as socket.io-client opens a new engine for each: one whose
        connection was cut may not be back in its disconnected state yet."""
        import socketio

        sio = socketio.AsyncClient(reconnection=False, http_session=self.gen.http)

        async def session(data: dict | None = None) -> None:
            if sio is self.sio:  # an earlier attempt's client says nothing any more
                await self._session(data or {})

        async def disconnect(*args: object) -> None:
            if sio is self.sio:
                await self._disconnect()

        sio.on("session", session, namespace="/visitor")
        sio.on("disconnect", disconnect, namespace="/visitor")
        return sio

    def auth(self) -> dict:
        auth = {"tenant": "demo", "name": f"Visitor {self.index}", "language": "en", "topic": "bench"}
        if self.token:
            auth["visitor_token"] = self.token
        return auth

    async def _session(self, data: dict) -> None:
        token = (data or {}).get("visitor_token")
        if self.token and token and token != self.token:
            self.gen.new_visitors += 1  # the server did not know the token again
        self.token = token or self.token
        if not self.online:
            self.online = True
            self.gen.came_online()

    async def _disconnect(self) -> None:
        if self.online:
            self.online = False
            self.gen.went_offline()
        if not self.stopping and not self.reconnecting:
            self.gen.tasks.add(asyncio.ensure_future(self.reconnect(first_delay=True)))

    async def connect_once(self) -> bool:
        """One attempt (the client's connect timeout: 10 s, as the widget's); what failed is counted."""
        old, self.sio = self.sio, self._client()
        if old.connected or old.eio.state != "disconnected":
            self.gen.tasks.add(asyncio.ensure_future(old.disconnect()))
        try:
            await self.sio.connect(self.gen.url, namespaces=["/visitor"], transports=self.gen.transports,
                                   auth=self.auth(), wait_timeout=10)
            return True
        except Exception as err:  # noqa: BLE001  (a failed attempt of any kind is retried, as the widget does)
            self.gen.errors[f"{type(err).__name__}: {str(err)[:60]}"] += 1
            return False

    async def reconnect(self, first_delay: bool) -> None:
        """Until connected: socket.io-client waits one back-off before the first attempt after a
        lost connection, and before each further one."""
        self.reconnecting = True
        backoff = Backoff()
        try:
            while not self.stopping:
                if first_delay:
                    await asyncio.sleep(backoff.duration())
                first_delay = True
                self.gen.attempts += 1
                if await self.connect_once():
                    return
        finally:
            self.reconnecting = False


class Generator:
    def __init__(self, url: str, count: int, offset: int, transports: list[str], deadline_s: float) -> None:
        self.url, self.count, self.offset, self.transports = url, count, offset, transports
        self.connect_deadline_s = deadline_s
        self.http = None
        self.widgets: list[Widget] = []
        self.online = 0
        self.offline_since: float | None = None  # the first disconnect of the current wave
        self.attempts = 0
        self.new_visitors = 0
        self.tasks: set[asyncio.Future] = set()
        self.errors: collections.Counter[str] = collections.Counter()
        self.target = count
        self.all_in = asyncio.Event()

    def came_online(self) -> None:
        self.online += 1
        if self.online >= self.target:
            self.all_in.set()
        if self.online == self.count and self.offline_since is not None:
            emit({"all_online": time.monotonic(), "since": self.offline_since, "attempts": self.attempts,
                  "new_visitors": self.new_visitors, "errors": dict(self.errors)})
            self.offline_since = None

    def went_offline(self) -> None:
        self.online -= 1
        if self.offline_since is None:
            self.offline_since = time.monotonic()
            self.attempts = 0
            self.errors.clear()

    async def run(self, concurrency: int) -> None:
        import aiohttp

        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=False))
        self.widgets = [Widget(self, self.offset + i) for i in range(self.count)]
        sem = asyncio.Semaphore(concurrency)

        async def first(w: Widget) -> None:
            async with sem:  # a page opening: at most `concurrency` handshakes in flight, each retried like the widget
                await w.reconnect(first_delay=False)

        started = time.monotonic()
        pending = [asyncio.ensure_future(first(w)) for w in self.widgets]
        _, late = await asyncio.wait(pending, timeout=self.connect_deadline_s)
        failed = len(late)
        for task in late:
            task.cancel()
        self.target = self.count - failed  # each `session` may come just after its connect returned
        if self.online < self.target:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.all_in.wait(), 30)
        emit({"connected": self.online, "failed": failed, "seconds": round(time.monotonic() - started, 1),
              "attempts": self.attempts, "errors": dict(self.errors)})
        self.attempts = 0
        # then hold them, reconnecting as needed, until told to stop (stdin closes)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)
        for w in self.widgets:
            w.stopping = True
        await asyncio.gather(*(w.sio.disconnect() for w in self.widgets if w.sio.connected), return_exceptions=True)
        for task in self.tasks:
            task.cancel()
        await self.http.close()


def emit(obj: dict) -> None:
    print(json.dumps(obj), flush=True)


def generator_main(args: argparse.Namespace) -> int:
    import uvloop

    uvloop.install()
    gen = Generator(args.url, args.count, args.offset, args.transports.split(","), 60 + args.count / 50)
    asyncio.run(gen.run(args.concurrency))
    return 0


# --- the bench (the parent) ---------------------------------------------------------------------

class Generators:
    """The generator processes, each holding a share of the connections."""

    def __init__(self, url: str, total: int, offset: int, procs: int, args: argparse.Namespace) -> None:
        self.procs: list[subprocess.Popen] = []
        share = math.ceil(total / procs)
        for i in range(procs):
            count = min(share, total - i * share)
            if count <= 0:
                break
            cmd = [sys.executable, __file__, "--generator", "--url", url, "--count", str(count),
                   "--offset", str(offset + i * share), "--transports", args.transports,
                   "--concurrency", str(max(1, args.concurrency // procs))]
            self.procs.append(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))

    def read_each(self, key: str, timeout: float) -> list[dict]:
        """The next line carrying ``key`` from every generator."""
        import selectors

        got: dict[int, dict] = {}
        sel = selectors.DefaultSelector()
        for i, p in enumerate(self.procs):
            sel.register(p.stdout, selectors.EVENT_READ, i)
        deadline = time.monotonic() + timeout
        while len(got) < len(self.procs):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{len(self.procs) - len(got)} generator(s) sent no {key!r} within {timeout:.0f}s")
            for sk, _ in sel.select(min(left, 1.0)):
                line = sk.fileobj.readline()
                if not line:
                    raise RuntimeError(f"generator {sk.data} exited")
                msg = json.loads(line)
                if key in msg:
                    got[sk.data] = msg
        sel.close()
        return [got[i] for i in range(len(self.procs))]

    def stop(self) -> None:
        for p in self.procs:
            try:
                p.stdin.close()
            except OSError:
                pass
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)


def rss(pid: int) -> int:
    import psutil

    return psutil.Process(pid).memory_info().rss


def raise_fd_limit(needed: int) -> dict:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:  # root may raise the hard limit too
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(needed, hard), max(needed, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    now = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if now < needed:
        print(f"bench: the file descriptor limit is {now}, {needed} are needed: raise it (ulimit -n {needed}, "
              f"or LimitNOFILE in the service unit) or pass fewer --connections", file=sys.stderr)
    return {"before": soft, "hard_before": hard, "now": now, "needed": needed}


def start_server(kind: str, workdir: Path, port: int, env: dict, log_name: str) -> subprocess.Popen:
    from relay import wait_healthy

    if kind == "bare":
        cmd = [sys.executable, str(HERE / "bare_relay.py"), "--port", str(port)]
    else:
        cmd = [sys.executable, str(HERE / "serve_gateway.py"), "--config", str(workdir / "bench.yaml"),
               "--port", str(port), "--no-history"]
    with open(workdir / log_name, "a") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc, timeout=60)
    except RuntimeError:
        proc.kill()
        proc.wait(5)
        raise
    return proc


def measure(kind: str, args: argparse.Namespace, workdir: Path, env: dict) -> dict:
    """Connections on one server process: its RSS per connection; for the gateway also the restart."""
    import socketio
    from relay import free_port, stop

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(kind, workdir, port, env, f"{kind}.log")
    agent = None
    gens: list[Generators] = []
    result: dict = {"target": kind, "connections": args.connections, "transports": args.transports}
    try:
        if kind == "bare":  # the bare relay pairs each visitor with an agent socket: give it one
            async def agent_up() -> socketio.AsyncClient:
                client = socketio.AsyncClient(reconnection=False)
                await client.connect(url, namespaces=["/agent"], transports=["websocket"])
                return client
            loop = asyncio.new_event_loop()
            agent = (loop, loop.run_until_complete(agent_up()))
        warm = Generators(url, args.warmup, 0, 1, args)
        gens.append(warm)
        warm.read_each("connected", timeout=90 + args.warmup / 50)
        time.sleep(2)
        before = rss(server.pid)
        rest = args.connections - args.warmup
        main = Generators(url, rest, args.warmup, args.generators, args)
        gens.append(main)
        started = time.monotonic()
        counts = main.read_each("connected", timeout=90 + rest / 50)
        connect_s = time.monotonic() - started
        connected = sum(c["connected"] for c in counts)
        time.sleep(args.settle_s)
        after = rss(server.pid)
        result.update({
            "connected": connected + args.warmup, "failed": sum(c["failed"] for c in counts),
            "connect_attempts": sum(c["attempts"] for c in counts),
            "connect_errors": dict(sum((collections.Counter(c["errors"]) for c in counts), collections.Counter())),
            "connect_s": round(connect_s, 1), "connects_per_s": round(connected / connect_s, 1),
            "rss_before_mb": round(before / 2**20, 1), "rss_after_mb": round(after / 2**20, 1),
            "bytes_per_connection": round((after - before) / max(connected, 1)),
        })
        if kind == "gateway" and args.restart:
            result["restart"] = restart(server, port, workdir, env, gens, stop, args.reconnect_timeout_s)
            server = result["restart"].pop("server")
        result["loadavg_1m"] = round(os.getloadavg()[0], 2)
        return result
    finally:
        for g in gens:
            g.stop()
        if agent is not None:
            loop, client = agent
            loop.run_until_complete(client.disconnect())
            loop.close()
        stop([server])


def restart(server: subprocess.Popen, port: int, workdir: Path, env: dict, gens: list[Generators], stop,
            timeout_s: float) -> dict:
    """Stop the gateway as a deploy does (SIGINT: it closes every connection), start it again on the
    same port, and time until every widget is back with its own visitor."""
    stopped_at = time.monotonic()
    server.send_signal(signal.SIGINT)
    stop([server], grace_s=30)
    down_s = time.monotonic() - stopped_at
    new = start_server("gateway", workdir, port, env, "gateway.log")
    up_s = time.monotonic() - stopped_at
    try:
        back = [m for g in gens for m in g.read_each("all_online", timeout=timeout_s)]
    except (TimeoutError, RuntimeError) as err:
        return {"server": new, "stopped_in_s": round(down_s, 2), "serving_again_after_s": round(up_s, 2), "error": str(err)}
    last = max(m["all_online"] for m in back)
    return {
        "server": new,
        "stopped_in_s": round(down_s, 2),
        "serving_again_after_s": round(up_s, 2),
        "all_reconnected_after_s": round(last - stopped_at, 2),
        "reconnect_attempts": sum(m["attempts"] for m in back),
        "visitors_not_resumed": sum(m["new_visitors"] for m in back),
        "attempt_errors": dict(sum((collections.Counter(m["errors"]) for m in back), collections.Counter())),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=200, help="connections made before the memory baseline")
    parser.add_argument("--generators", type=int, default=2, help="generator processes sharing the connections")
    parser.add_argument("--concurrency", type=int, default=200, help="connects in flight at the start, over all generators")
    parser.add_argument("--transports", default="polling,websocket", help="as the widget: polling, then the upgrade")
    parser.add_argument("--settle-s", type=float, default=3.0, help="wait this long before reading the memory")
    parser.add_argument("--no-restart", dest="restart", action="store_false")
    parser.add_argument("--reconnect-timeout-s", type=float, default=180.0, help="give up waiting for the reconnect after this")
    parser.add_argument("--only", choices=("bare", "gateway"))
    parser.add_argument("--keep", action="store_true", help="keep the work dir (config, server logs)")
    # generator mode (a child of this bench)
    parser.add_argument("--generator", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generator:
        return generator_main(args)

    sys.path.insert(0, str(HERE))
    import yaml
    from relay import bench_config

    fds = raise_fd_limit(args.connections + 1024)
    workdir = Path(tempfile.mkdtemp(prefix="omnirelay-connections-"))
    config = bench_config(agents=1, capacity=3)
    (workdir / "bench.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(OMNIRELAY_LOG_LEVEL="WARNING", OMNIRELAY_DATA_DIR=str(workdir / "var"))
    print(f"bench: {args.connections} idle widget connections, {args.generators} generator processes; "
          f"fd limit {fds['now']} (needed {fds['needed']}); work dir {workdir}", file=sys.stderr)
    results = {}
    redis_server = None
    try:
        if args.only != "bare":  # the gateway's Redis outlives the gateway, as in a deployment of several nodes
            from gateway.embedded_redis import EmbeddedRedis

            redis_server = EmbeddedRedis(workdir / "redis", appendfsync="always")
            env["REDIS_URL"] = asyncio.run(redis_server.start())
        for kind in ("bare", "gateway"):
            if args.only in (None, kind):
                results[kind] = measure(kind, args, workdir, env)
                results[kind]["fd_limit"] = fds["now"]
                print(json.dumps(results[kind]), flush=True)
        if len(results) == 2:
            g, b = results["gateway"], results["bare"]
            comparison = {
                "comparison": "gateway vs bare python-socketio", "connections": args.connections,
                "bytes_per_connection": {"gateway": g["bytes_per_connection"], "bare": b["bytes_per_connection"]},
                "memory_goal_bytes": GOAL_BYTES_PER_CONNECTION,
                "memory_goal_met": g["bytes_per_connection"] <= GOAL_BYTES_PER_CONNECTION,
            }
            if "all_reconnected_after_s" in g.get("restart", {}):
                comparison.update(reconnect_s=g["restart"]["all_reconnected_after_s"], reconnect_goal_s=GOAL_RECONNECT_S,
                                  reconnect_goal_met=g["restart"]["all_reconnected_after_s"] <= GOAL_RECONNECT_S)
            print(json.dumps(comparison), flush=True)
    finally:
        if redis_server is not None:
            asyncio.run(redis_server.stop())
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
