"""A real `omnirelay serve` subprocess for the lifecycle tests, with its output kept in files."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import socketio
from ports import free_port  # noqa: F401  (re-exported for the tests)

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "config" / "demo.yaml"


def config_with(tmp_path: Path, **server: object) -> Path:
    """demo.yaml with extra ``server:`` settings."""
    extra = "".join(f"  {key}: {value}\n" for key, value in server.items())
    path = tmp_path / "config.yaml"
    path.write_text(DEMO_CONFIG.read_text().replace("server:\n", "server:\n" + extra, 1))
    return path


@dataclass
class Served:
    proc: subprocess.Popen
    port: int
    out: Path
    err: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.out.read_text(errors="replace") + self.err.read_text(errors="replace")

    async def said(self, text: str, timeout: float = 10.0) -> bool:
        """Whether ``text`` shows up in the output within ``timeout`` (log lines are written asynchronously)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while text not in self.output():
            if loop.time() > deadline:
                return False
            await asyncio.sleep(0.1)
        return True

    async def healthy(self, timeout: float = 20.0) -> None:
        """Wait until /healthz answers 200."""
        async with aiohttp.ClientSession() as http, asyncio.timeout(timeout):
            while True:
                if self.proc.poll() is not None:
                    raise AssertionError(f"gateway exited {self.proc.returncode}: {self.output()[-3000:]}")
                try:
                    async with http.get(f"{self.url}/healthz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)

    async def exited(self, timeout: float) -> int:
        async with asyncio.timeout(timeout):
            while True:
                if (code := self.proc.poll()) is not None:
                    return code
                await asyncio.sleep(0.05)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def serve(data_dir: Path, port: int, *, config: Path = DEMO_CONFIG, name: str = "gateway", env: dict | None = None,
          args: tuple[str, ...] = ()) -> Served:
    """Start `omnirelay serve` (embedded Redis in ``data_dir`` unless env has REDIS_URL)."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "OMNIRELAY_SECRET")}
    full_env.update({"OMNIRELAY_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **(env or {})})
    out, err = data_dir.parent / f"{name}.out", data_dir.parent / f"{name}.err"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--config", str(config), "--port", str(port), *args],
            env=full_env, cwd=ROOT, start_new_session=True, stdout=stdout, stderr=stderr,
        )
    served = Served(proc, port, out, err)
    _STARTED.append(served)
    return served


# every `omnirelay serve` a test started: killed when the test run ends, whatever happened to the test (one
# that hit pytest's time-out never reaches its own clean-up, and its processes would live on)
_STARTED: list[Served] = []


@atexit.register
def _kill_leftovers() -> None:
    for served in _STARTED:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            served.kill()


async def visitor(url: str, auth: dict) -> tuple[socketio.AsyncClient, dict, asyncio.Event]:
    """A connected /visitor client, its session and an event set when it is disconnected."""
    client = socketio.AsyncClient(reconnection=False)
    session: asyncio.Future = asyncio.get_running_loop().create_future()
    gone = asyncio.Event()
    client.on("session", lambda d: session.done() or session.set_result(d), namespace="/visitor")
    client.on("disconnect", lambda *_: gone.set(), namespace="/visitor")
    await client.connect(url, namespaces=["/visitor"], auth=auth, transports=["websocket"], wait_timeout=5)
    return client, await asyncio.wait_for(session, 5), gone
