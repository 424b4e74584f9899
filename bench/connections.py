"""Idle widget connections on one gateway process: memory per connection, next to the bare
python-socketio server, and the time until every widget is back after the gateway restarts.

Each connection is a visitor socket authenticated as the widget does it (`/visitor`, auth
`{tenant, name, language, topic}`, then its `visitor_token` on every reconnect), held by generator
processes (this file with `--generator`). By default each speaks engine.io and Socket.IO itself
(bench/light_client.py, one task per idle connection); `--client socketio` uses python-socketio's
AsyncClient, which holds several tasks per connection and takes much of the CPU the gateway should
get (each phase prints the CPU of the generators, the gateway, Redis and the rest of the machine).

A widget connects as widget/src/widget/reconnect.ts does (`--widget now`): a websocket first, falling
back to long-polling when it fails (`--transports websocket,polling`, socket.io-client's
`tryAllTransports`); one that connected over long-polling (or timed out three times in a row) connects
long-polling first with the upgrade to a websocket, until an upgrade works. It waits retryDelay before
each attempt (250-750 ms, 0.5-1.5 s, 1-3 s, 2-6 s, then 2.5-7.5 s: capped, then jittered).
`--transports polling,websocket` opens every first connection over long-polling with the upgrade
(socket.io-client's default: what a widget behind a proxy that refuses websockets does, and what the
widget did before it went websocket first). `--widget before` is the widget before its own retries:
socket.io-client's reconnection (its back-off jitters before the 5 s cap, so most waits at the cap are
exactly 5 s), long-polling first on every attempt, and a fixed 1 s after the server's own disconnect.

    .venv/bin/python bench/connections.py                                # 10,000 connections, ~2-3 minutes
    .venv/bin/python bench/connections.py --connections 1000             # a quick look
    .venv/bin/python bench/connections.py --transports polling,websocket # long-polling, then the upgrade

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
CONNECT_TIMEOUT_S = 10.0  # the widget's `timeout`
TIMEOUTS_BEFORE_POLLING = 3  # the widget's: time-outs in a row before it no longer tries a websocket first
SERVER_DISCONNECT_DELAY_S = (
    1.0  # `--widget before`: it reconnected this long after the server's own disconnect
)


def retry_delay(attempt: int, first_ms: float = 500, max_ms: float = 5000, jitter: float = 0.5) -> float:
    """Seconds before reconnect attempt ``attempt`` (0, 1, ...), as the widget's retryDelay: capped, then jittered."""
    base = min(max_ms, first_ms * 2**attempt)
    return round(base * (1 - jitter + 2 * jitter * random.random())) / 1000


class Backoff:
    """socket.io-client's reconnection back-off (its `backo2`): ms * 2^attempts, jittered, capped."""

    def __init__(self, ms: float = 500, max_ms: float = 5000, factor: float = 2, jitter: float = 0.5) -> None:
        self.ms, self.max_ms, self.factor, self.jitter, self.attempts = ms, max_ms, factor, jitter, 0

    def duration(self) -> float:
        """Seconds before the next attempt."""
        ms = self.ms * self.factor**self.attempts
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
    """One visitor's socket, reconnecting like the widget (widget/src/widget/reconnect.ts)."""

    def __init__(self, gen: Generator, index: int) -> None:
        self.gen, self.index = gen, index
        self.token: str | None = None
        self.online = False
        self.stopping = False
        self.reconnecting = False

    def auth(self) -> dict:
        auth = {"tenant": "demo", "name": f"Visitor {self.index}", "language": "en", "topic": "bench"}
        if self.token:
            auth["visitor_token"] = self.token
        return auth

    def _session(self, data: dict) -> None:
        token = (data or {}).get("visitor_token")
        if self.token and token and token != self.token:
            self.gen.new_visitors += 1  # the server did not know the token again
        self.token = token or self.token
        if not self.online:
            self.online = True
            self.gen.came_online()

    async def _disconnect(self, reason: str = "transport close") -> None:
        if self.online:
            self.online = False
            self.gen.went_offline()
        if not self.stopping and not self.reconnecting:
            # before: the widget reconnected 1 s after the server's own disconnect, socket.io-client
            # after one back-off when the transport closed; now one retryDelay either way
            first = (
                SERVER_DISCONNECT_DELAY_S
                if reason == "io server disconnect" and self.gen.widget == "before"
                else None
            )
            self.gen.tasks.add(asyncio.ensure_future(self.reconnect(first_delay=True, fixed_first=first)))

    def _failed(self, what: str) -> None:
        self.gen.errors[what[:70]] += 1
        self.gen.failed_at[int(time.monotonic())] += 1

    async def connect_once(self) -> bool:
        """One attempt; what failed is counted."""
        raise NotImplementedError

    def connected(self) -> bool:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def reconnect(self, first_delay: bool, fixed_first: float | None = None) -> None:
        """Until connected: one back-off before the first attempt after a lost connection, and
        before each further one."""
        self.reconnecting = True
        backoff = Backoff()
        attempt = 0
        try:
            while not self.stopping:
                if fixed_first is not None:
                    await asyncio.sleep(fixed_first)
                    fixed_first = None
                elif first_delay:
                    await asyncio.sleep(
                        backoff.duration() if self.gen.widget == "before" else retry_delay(attempt)
                    )
                    attempt += 1
                first_delay = True
                self.gen.attempts += 1
                # (a connection that closed again while this attempt ran told nobody: try again)
                if await self.connect_once() and self.connected():
                    return
        finally:
            self.reconnecting = False


class LightWidget(Widget):
    """The widget's socket spoken directly (bench/light_client.py): one task per idle connection."""

    def __init__(self, gen: Generator, index: int) -> None:
        super().__init__(gen, index)
        self.socket = None
        self.transports = gen.transports
        self.timeouts = 0  # connect time-outs in a row

    async def connect_once(self) -> bool:
        from light_client import ConnectFailed, LightSocket, Refused

        if self.socket is not None:
            await self.socket.close()
        socket = self.socket = LightSocket(self.gen.http, self.gen.url, "/visitor", self._event, self._closed)
        try:
            await socket.connect(self.auth(), self.transports, timeout_s=CONNECT_TIMEOUT_S)
        except Refused as err:
            self._failed(f"refused: {err}")
            if self.token:  # the widget forgets a token the server refused and starts as a new visitor
                self.token = None
            return False
        except ConnectFailed as err:
            self._failed(str(err))
            if (
                str(err) == "timeout"
            ):  # after 3 time-outs in a row the widget no longer tries a websocket first
                self.timeouts += 1
                if self.timeouts >= TIMEOUTS_BEFORE_POLLING:
                    self.transports = ["polling", "websocket"]
            return False
        self.timeouts = 0
        if (
            self.gen.widget == "now"
            and "polling" in self.gen.transports
            and "websocket" in self.gen.transports
        ):
            # websocket first while a websocket carries the connection; long-polling first (upgrading
            # when it can) once the connection ran on long-polling
            if socket.upgraded:
                self._websocket_worked()
            else:
                self.transports = ["polling", "websocket"]
                socket.on_upgrade = self._websocket_worked
        return True

    def connected(self) -> bool:
        return self.socket is not None and not self.socket.ended

    def _websocket_worked(self) -> None:
        self.transports = ["websocket", "polling"]

    def _event(self, name: str, data: object) -> None:
        if name == "session" and isinstance(data, dict):
            self._session(data)

    async def _closed(self, reason: str) -> None:
        await self._disconnect(reason)

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()


class SocketioWidget(Widget):
    """The widget's socket as a python-socketio AsyncClient (the heavier client; `--client socketio`)."""

    def __init__(self, gen: Generator, index: int) -> None:
        super().__init__(gen, index)
        self.sio = self._client()

    def _client(self):
        """A new client for each attempt, as socket.io-client opens a new engine for each: one whose
        connection was cut may not be back in its disconnected state yet."""
        import socketio

        sio = socketio.AsyncClient(reconnection=False, http_session=self.gen.http)

        async def session(data: dict | None = None) -> None:
            if sio is self.sio:  # an earlier attempt's client says nothing any more
                self._session(data or {})

        async def disconnect(*args: object) -> None:
            if sio is self.sio:
                await self._disconnect()

        sio.on("session", session, namespace="/visitor")
        sio.on("disconnect", disconnect, namespace="/visitor")
        return sio

    async def connect_once(self) -> bool:
        old, self.sio = self.sio, self._client()
        if old.connected or old.eio.state != "disconnected":
            self.gen.tasks.add(asyncio.ensure_future(old.disconnect()))
        try:
            await self.sio.connect(
                self.gen.url,
                namespaces=["/visitor"],
                transports=self.gen.transports,
                auth=self.auth(),
                wait_timeout=CONNECT_TIMEOUT_S,
            )
            return True
        except Exception as err:  # noqa: BLE001  (a failed attempt of any kind is retried, as the widget does)
            self._failed(f"{type(err).__name__}: {str(err)[:60]}")
            return False

    def connected(self) -> bool:
        return self.sio.connected

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


class Generator:
    def __init__(
        self,
        url: str,
        count: int,
        offset: int,
        transports: list[str],
        deadline_s: float,
        client: str,
        widget: str,
    ) -> None:
        self.url, self.count, self.offset, self.transports = url, count, offset, transports
        self.connect_deadline_s = deadline_s
        self.widget_class = LightWidget if client == "light" else SocketioWidget
        self.widget = widget
        self.http = None
        self.widgets: list[Widget] = []
        self.online = 0
        self.offline_since: float | None = None  # the first disconnect of the current wave
        self.attempts = 0
        self.new_visitors = 0
        self.tasks: set[asyncio.Future] = set()
        self.errors: collections.Counter[str] = collections.Counter()
        self.back_at: collections.Counter[int] = collections.Counter()  # whole seconds of the monotonic clock
        self.failed_at: collections.Counter[int] = collections.Counter()
        self.target = count
        self.all_in = asyncio.Event()

    def came_online(self) -> None:
        self.online += 1
        self.back_at[int(time.monotonic())] += 1
        if self.online >= self.target:
            self.all_in.set()
        if self.online == self.count and self.offline_since is not None:
            emit(
                {
                    "all_online": time.monotonic(),
                    "since": self.offline_since,
                    "attempts": self.attempts,
                    "new_visitors": self.new_visitors,
                    "errors": dict(self.errors),
                    "back_at": self.back_at,
                    "failed_at": self.failed_at,
                }
            )
            self.offline_since = None

    def offline_states(self) -> dict[str, int]:
        states: collections.Counter[str] = collections.Counter()
        for w in self.widgets:
            if not w.online:
                sock = getattr(w, "socket", None)
                state = (
                    "no socket"
                    if sock is None
                    else (
                        f"joined={sock.joined.done() and not sock.joined.exception()} upgraded={sock.upgraded} "
                        f"ended={sock.ended} paused={sock.paused}"
                    )
                )
                states[f"{state} reconnecting={w.reconnecting}"] += 1
        return dict(states)

    def went_offline(self) -> None:
        self.online -= 1
        if self.offline_since is None:
            self.offline_since = time.monotonic()
            self.attempts = 0
            self.errors.clear()
            self.back_at.clear()
            self.failed_at.clear()

    async def run(self, concurrency: int) -> None:
        import aiohttp

        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=False))
        self.widgets = [self.widget_class(self, self.offset + i) for i in range(self.count)]
        sem = asyncio.Semaphore(concurrency)

        async def first(w: Widget) -> None:
            # a page opening: at most `concurrency` handshakes in flight, each retried like the widget
            async with sem:
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
        emit(
            {
                "connected": self.online,
                "failed": failed,
                "seconds": round(time.monotonic() - started, 1),
                "attempts": self.attempts,
                "errors": dict(self.errors),
            }
        )
        self.attempts = 0
        # then hold them, reconnecting as needed, until told to stop (stdin closes)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)
        if self.online < self.count:  # what the widgets still out are doing, for the reader
            print(
                json.dumps({"offline": self.count - self.online, "states": self.offline_states()}),
                file=sys.stderr,
            )
        for w in self.widgets:
            w.stopping = True
        await asyncio.gather(*(w.close() for w in self.widgets), return_exceptions=True)
        for task in self.tasks:
            task.cancel()
        await self.http.close()


def emit(obj: dict) -> None:
    print(json.dumps(obj), flush=True)


def generator_main(args: argparse.Namespace) -> int:
    import uvloop

    uvloop.install()
    gen = Generator(
        args.url,
        args.count,
        args.offset,
        args.transports.split(","),
        60 + args.count / 50,
        args.client,
        args.widget,
    )
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
            cmd = [
                sys.executable,
                __file__,
                "--generator",
                "--url",
                url,
                "--count",
                str(count),
                "--offset",
                str(offset + i * share),
                "--transports",
                args.transports,
                "--concurrency",
                str(max(1, args.concurrency // procs)),
                "--client",
                args.client,
                "--widget",
                args.widget,
            ]
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
                raise TimeoutError(
                    f"{len(self.procs) - len(got)} generator(s) sent no {key!r} within {timeout:.0f}s"
                )
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


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy (every core, anything but idle and I/O wait)."""
    import psutil

    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


class CpuMeter:
    """The CPU each of the bench's processes took over a phase, and what the rest of the machine took,
    in % of one core (the generators share the gateway's cores: their part is the gateway's loss)."""

    def __init__(self, **pids: list[int]) -> None:
        self.started, self.machine = time.monotonic(), machine_busy_s()
        self.pids = {name: list(p) for name, p in pids.items()}
        self.base = {name: sum(cpu_s(pid) for pid in p) for name, p in self.pids.items()}
        self.extra: collections.Counter[str] = collections.Counter()

    def add(self, name: str, pid: int) -> None:
        """A process started during the phase: all its CPU counts."""
        self.pids.setdefault(name, []).append(pid)
        self.base.setdefault(name, 0.0)

    def add_exited(self, name: str, seconds: float) -> None:
        """CPU of a process that ended during the phase (measured by the caller)."""
        self.extra[name] += seconds

    def result(self) -> dict:
        wall = time.monotonic() - self.started
        used = {
            name: sum(cpu_s(pid) for pid in p) - self.base[name] + self.extra[name]
            for name, p in self.pids.items()
        }
        out = {f"{name}_cpu_pct": round(100 * s / wall) for name, s in used.items()}
        out["others_cpu_pct"] = round(
            100 * max(0.0, machine_busy_s() - self.machine - sum(used.values())) / wall
        )
        out["wall_s"] = round(wall, 1)
        return out


def raise_fd_limit(needed: int) -> dict:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:  # root may raise the hard limit too
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(needed, hard), max(needed, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    now = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if now < needed:
        print(
            f"bench: the file descriptor limit is {now}, {needed} are needed: raise it (ulimit -n {needed}, "
            f"or LimitNOFILE in the service unit) or pass fewer --connections",
            file=sys.stderr,
        )
    return {"before": soft, "hard_before": hard, "now": now, "needed": needed}


def start_server(kind: str, workdir: Path, port: int, env: dict, log_name: str) -> subprocess.Popen:
    from relay import wait_healthy

    if kind == "bare":
        cmd = [sys.executable, str(HERE / "bare_relay.py"), "--port", str(port)]
    else:
        cmd = [
            sys.executable,
            str(HERE / "serve_gateway.py"),
            "--config",
            str(workdir / "bench.yaml"),
            "--port",
            str(port),
            "--no-history",
        ]
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
    result: dict = {
        "target": kind,
        "connections": args.connections,
        "transports": args.transports,
        "client": args.client,
        "widget": args.widget,
    }
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
        meter = CpuMeter(
            generators=[p.pid for g in gens for p in g.procs],
            server=[server.pid],
            redis=[args.redis_pid] if args.redis_pid and kind == "gateway" else [],
        )
        counts = main.read_each("connected", timeout=90 + rest / 50)
        connect_s = time.monotonic() - started
        result["cpu_connect"] = meter.result()
        connected = sum(c["connected"] for c in counts)
        time.sleep(args.settle_s)
        after = rss(server.pid)
        result.update(
            {
                "connected": connected + args.warmup,
                "failed": sum(c["failed"] for c in counts),
                "connect_attempts": sum(c["attempts"] for c in counts),
                "connect_errors": dict(
                    sum((collections.Counter(c["errors"]) for c in counts), collections.Counter())
                ),
                "connect_s": round(connect_s, 1),
                "connects_per_s": round(connected / connect_s, 1),
                "rss_before_mb": round(before / 2**20, 1),
                "rss_after_mb": round(after / 2**20, 1),
                "bytes_per_connection": round((after - before) / max(connected, 1)),
            }
        )
        if kind == "gateway" and args.restart:
            result["restart"] = restart(
                server, port, workdir, env, gens, stop, args.reconnect_timeout_s, args.redis_pid
            )
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


def restart(
    server: subprocess.Popen,
    port: int,
    workdir: Path,
    env: dict,
    gens: list[Generators],
    stop,
    timeout_s: float,
    redis_pid: int | None,
) -> dict:
    """Stop the gateway as a deploy does (SIGINT: it closes every connection), start it again on the
    same port, and time until every widget is back with its own visitor."""
    meter = CpuMeter(
        generators=[p.pid for g in gens for p in g.procs], redis=[redis_pid] if redis_pid else []
    )
    old_cpu, reaped_before = cpu_s(server.pid), resource.getrusage(resource.RUSAGE_CHILDREN)
    stopped_at = time.monotonic()
    server.send_signal(signal.SIGINT)
    stop([server], grace_s=30)
    down_s = time.monotonic() - stopped_at
    # the old gateway's whole life, now that it is reaped
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    meter.add_exited(
        "server",
        reaped.ru_utime + reaped.ru_stime - reaped_before.ru_utime - reaped_before.ru_stime - old_cpu,
    )
    new = start_server("gateway", workdir, port, env, "gateway.log")
    meter.add("server", new.pid)
    up_s = time.monotonic() - stopped_at
    try:
        back = [m for g in gens for m in g.read_each("all_online", timeout=timeout_s)]
    except (TimeoutError, RuntimeError) as err:
        return {
            "server": new,
            "stopped_in_s": round(down_s, 2),
            "serving_again_after_s": round(up_s, 2),
            "error": str(err),
            "cpu": meter.result(),
        }
    last = max(m["all_online"] for m in back)
    return {
        "server": new,
        "stopped_in_s": round(down_s, 2),
        "serving_again_after_s": round(up_s, 2),
        "all_reconnected_after_s": round(last - stopped_at, 2),
        "reconnect_attempts": sum(m["attempts"] for m in back),
        "visitors_not_resumed": sum(m["new_visitors"] for m in back),
        "attempt_errors": dict(sum((collections.Counter(m["errors"]) for m in back), collections.Counter())),
        # per second since the stop: widgets back, and attempts that failed (the shape of the storm)
        "back_per_s": per_second(stopped_at, [m["back_at"] for m in back]),
        "failed_per_s": per_second(stopped_at, [m["failed_at"] for m in back]),
        "cpu": meter.result(),
    }


def per_second(start: float, histograms: list[dict]) -> list[int]:
    """Generators' counts per whole second of the (system-wide) monotonic clock, from ``start`` on."""
    total: collections.Counter[int] = collections.Counter()
    for h in histograms:
        for second, n in h.items():
            total[max(0, int(second) - int(start))] += n
    return [total[i] for i in range(max(total, default=-1) + 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=200, help="connections made before the memory baseline")
    parser.add_argument(
        "--generators", type=int, default=2, help="generator processes sharing the connections"
    )
    parser.add_argument(
        "--concurrency", type=int, default=200, help="connects in flight at the start, over all generators"
    )
    parser.add_argument(
        "--transports",
        help="the first connect's: websocket,polling (the widget's; default) or polling,websocket "
        "(long-polling, then the upgrade: the default with --widget before)",
    )
    parser.add_argument(
        "--settle-s", type=float, default=3.0, help="wait this long before reading the memory"
    )
    parser.add_argument("--no-restart", dest="restart", action="store_false")
    parser.add_argument(
        "--reconnect-timeout-s",
        type=float,
        default=180.0,
        help="give up waiting for the reconnect after this",
    )
    parser.add_argument("--only", choices=("bare", "gateway"))
    parser.add_argument(
        "--client",
        choices=("light", "socketio"),
        default="light",
        help="the widgets' client: engine.io spoken directly (bench/light_client.py) or python-socketio's",
    )
    parser.add_argument(
        "--widget",
        choices=("now", "before"),
        default="now",
        help="the widget's reconnect: as reconnect.ts does now, or as before (socket.io-client's own, polling first)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work dir (config, server logs)")
    # generator mode (a child of this bench)
    parser.add_argument("--generator", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.transports = args.transports or ("polling,websocket" if args.widget == "before" else "websocket,polling")
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
    print(
        f"bench: {args.connections} idle widget connections, {args.generators} generator processes; "
        f"fd limit {fds['now']} (needed {fds['needed']}); work dir {workdir}",
        file=sys.stderr,
    )
    results = {}
    redis_server = None
    args.redis_pid = None
    try:
        # the gateway's Redis outlives the gateway, as in a deployment of several nodes
        if args.only != "bare":
            from gateway.embedded_redis import EmbeddedRedis

            redis_server = EmbeddedRedis(workdir / "redis", appendfsync="always")
            env["REDIS_URL"] = asyncio.run(redis_server.start())
            args.redis_pid = redis_server.process.pid if redis_server.process else None
        for kind in ("bare", "gateway"):
            if args.only in (None, kind):
                results[kind] = measure(kind, args, workdir, env)
                results[kind]["fd_limit"] = fds["now"]
                print(json.dumps(results[kind]), flush=True)
        if len(results) == 2:
            g, b = results["gateway"], results["bare"]
            comparison = {
                "comparison": "gateway vs bare python-socketio",
                "connections": args.connections,
                "bytes_per_connection": {
                    "gateway": g["bytes_per_connection"],
                    "bare": b["bytes_per_connection"],
                },
                "memory_goal_bytes": GOAL_BYTES_PER_CONNECTION,
                "memory_goal_met": g["bytes_per_connection"] <= GOAL_BYTES_PER_CONNECTION,
            }
            if "all_reconnected_after_s" in g.get("restart", {}):
                comparison.update(
                    reconnect_s=g["restart"]["all_reconnected_after_s"],
                    reconnect_goal_s=GOAL_RECONNECT_S,
                    reconnect_goal_met=g["restart"]["all_reconnected_after_s"] <= GOAL_RECONNECT_S,
                )
            print(json.dumps(comparison), flush=True)
    finally:
        if redis_server is not None:
            asyncio.run(redis_server.stop())
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
