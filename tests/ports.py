"""Loopback ports for the servers a test starts as processes (gateways, Redis, Sentinel, SMTP).

A port is taken from below the kernel's ephemeral range (``/proc/sys/net/ipv4/ip_local_port_range``).
The kernel hands ports from that range to every outgoing connection and to ``bind(port 0)``: a port
found free there can be taken by some connection before the server started for it binds it, and the
server never starts (EADDRINUSE). Below the range only another pick can take it: each is checked free
and this process never hands one out twice.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

CLUSTER_BUS_OFFSET = 10000  # a Redis Cluster node also listens on its port + 10000
WINDOW = 10000  # ports to pick from, just below the ephemeral range (or below a cluster node's bus)
_GIVEN: set[int] = set()


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def _free(port: int) -> bool:
    if port in _GIVEN:
        return False
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(*, with_bus: bool = False) -> int:
    """A loopback port nobody listens on; ``with_bus``: its port + 10000 too (a Redis Cluster node)."""
    top = _ephemeral_low() - (CLUSTER_BUS_OFFSET if with_bus else 0)
    bottom = max(1024, top - WINDOW)
    for _ in range(2000):
        port = random.randrange(bottom, top) if top - bottom >= 100 else _kernel_pick(with_bus)
        if _free(port) and (not with_bus or _free(port + CLUSTER_BUS_OFFSET)):
            _GIVEN.update({port, port + CLUSTER_BUS_OFFSET} if with_bus else {port})
            return port
    raise RuntimeError("no free loopback port found")


def _kernel_pick(with_bus: bool) -> int:
    """(A machine whose ephemeral range starts too low for a window below it: the kernel's pick.)"""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if not with_bus or port + CLUSTER_BUS_OFFSET < 65536:
            return port
