"""What the embedded servers (gateway/embedded_redis.py, gateway/history/embedded.py) do alike with
the server process they own: tie it to the gateway's life, wait until it answers, notice its exit,
stop it, and quote the end of its log in an error."""

from __future__ import annotations

import asyncio
import ctypes
import os
import pwd
import signal
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path

_PR_SET_PDEATHSIG = 1
WATCH_S = 0.2  # how often a running server's exit is looked for


def tie_to_parent(death_signal: signal.Signals, user: pwd.struct_passwd | None = None) -> None:
    """``preexec_fn`` of a server: run as ``user`` (when given), get ``death_signal`` when the gateway
    dies (so a ``kill -9`` of it leaves no orphan), own session, files readable by its user only."""
    if user is not None:  # credentials first: changing them clears the parent-death signal
        os.setgid(user.pw_gid)
        os.setgroups([])
        os.setuid(user.pw_uid)
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, death_signal)
    except OSError:
        pass
    os.setsid()
    os.umask(0o077)


def log_tail(path: Path, lines: int = 3) -> str:
    """The last lines of a server's log, on one line (for an error message)."""
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:])


async def until_answering(process: subprocess.Popen, answers: Callable[[], Awaitable[bool]], timeout: float,
                          failed: Callable[[str], Exception]) -> None:
    """Wait until a just started server answers; ``failed(reason)`` is raised when it exits first or
    stays silent past ``timeout`` (then it is killed)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if process.poll() is not None:
            raise failed(f"exited with {process.returncode}")
        if await answers():
            return
        if loop.time() > deadline:
            process.kill()
            raise failed(f"did not answer within {timeout}s")
        await asyncio.sleep(0.05)


async def until_exit(process: subprocess.Popen) -> None:
    """Return once the server process has exited (polling: the cheap portable way, no thread)."""
    while process.poll() is None:  # noqa: ASYNC110
        await asyncio.sleep(WATCH_S)


async def stop_process(process: subprocess.Popen | None, sig: signal.Signals, wait_s: float) -> bool:
    """Ask a running server to stop with ``sig``; killed when it takes longer than ``wait_s``.
    False when there was nothing running."""
    if process is None or process.poll() is not None:
        return False
    process.send_signal(sig)
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.run_in_executor(None, process.wait), wait_s)
    except TimeoutError:
        process.kill()
    return True
