"""The Redis client every part of omnirelay uses: one server, a Sentinel-watched primary, or a Cluster.

``REDIS_URL`` forms (docs/ha.md):
- ``redis://``, ``rediss://``, ``unix://`` — one server (redis-py's own URL parsing).
- ``redis+sentinel://[[user]:password@]host:port[,host:port…]/SERVICE[/DB][?sentinel_password=…]`` — the
  primary that the Sentinels name; a connection that finds the old primary gone (or demoted: READONLY)
  asks them again, and every second ``follow_primaries`` asks them too (an old primary that is still up
  takes writes until the Sentinels reach it), so the gateway follows a failover without a restart.
- ``redis+cluster://[[user]:password@]host:port[,host:port…]`` — a Redis Cluster (seed nodes); each
  tenant's keys share one hash slot, so every script runs on one node.
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.sentinel import Sentinel

log = logging.getLogger(__name__)

SENTINEL = "redis+sentinel"
CLUSTER = "redis+cluster"


def _options(decode_responses: bool) -> dict[str, Any]:
    return {"decode_responses": decode_responses, "health_check_interval": 30,
            "socket_connect_timeout": 5, "socket_timeout": 10}


@dataclass(frozen=True)
class Nodes:
    """What a ``redis+sentinel://`` or ``redis+cluster://`` URL names."""

    hosts: list[tuple[str, int]]
    username: str | None
    password: str | None
    path: list[str]  # the path's parts: SERVICE, DB for Sentinel
    query: dict[str, list[str]]


def parse_nodes(url: str) -> Nodes:
    """Split a multi-host URL; ValueError (naming the part) when it is malformed."""
    parts = urlsplit(url)
    auth, _, hostlist = parts.netloc.rpartition("@")
    user, _, password = auth.partition(":")
    hosts: list[tuple[str, int]] = []
    for item in filter(None, hostlist.split(",")):
        host, sep, port = item.rpartition(":")
        if not sep or not port.isdigit():
            raise ValueError(f"REDIS_URL: {item!r} is not host:port")
        hosts.append((host.strip("[]") or "localhost", int(port)))
    if not hosts:
        raise ValueError("REDIS_URL names no host:port")
    return Nodes(hosts, unquote(user) or None, unquote(password) or None,
                 [unquote(p) for p in parts.path.split("/") if p], parse_qs(parts.query))


def kind(url: str) -> str:
    """``sentinel``, ``cluster`` or ``single``."""
    scheme = urlsplit(url).scheme.lower()
    return {SENTINEL: "sentinel", CLUSTER: "cluster"}.get(scheme, "single")


POOL_WAIT_S = 5.0  # a command waits this long for a free connection of a full pool before it fails


def connect(url: str, *, max_connections: int = 512, decode_responses: bool = True) -> aioredis.Redis:
    """A client with a blocking pool: a burst that needs more than ``max_connections`` at once waits for
    one (up to ``POOL_WAIT_S``) instead of failing with "Too many connections" — bench/relay.py at 2,000
    conversations and bench/connections.py at 10,000 sockets refused messages and dropped emits with a
    plain pool. The wait costs a few per cent of a message's CPU; losing a burst costs more.

    A ``redis+cluster://`` URL gives a ``RedisCluster``: it is typed as ``Redis`` here because the
    gateway uses only the commands both share (one tenant's keys in one slot)."""
    which = kind(url)
    if which == "sentinel":
        return _sentinel_primary(url, max_connections, decode_responses)
    if which == "cluster":
        return _cluster(url, max_connections, decode_responses)  # type: ignore[return-value]
    pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=POOL_WAIT_S,
                                                    **_options(decode_responses))
    return aioredis.Redis.from_pool(pool)  # the client owns the pool: aclose() closes it


def _sentinel_primary(url: str, max_connections: int, decode_responses: bool) -> aioredis.Redis:
    nodes = parse_nodes(url)
    if not nodes.path:
        raise ValueError("REDIS_URL: redis+sentinel://… needs the service name as its path (…/mymaster/0)")
    service, db = nodes.path[0], int(nodes.path[1]) if len(nodes.path) > 1 else 0
    sentinel_kwargs: dict[str, Any] = {"socket_connect_timeout": 2, "socket_timeout": 2}
    if "sentinel_password" in nodes.query:
        sentinel_kwargs["password"] = nodes.query["sentinel_password"][0]
    sentinel = Sentinel(nodes.hosts, sentinel_kwargs=sentinel_kwargs)
    # check_connection: a new connection PINGs the address the Sentinels named before it is used
    client = sentinel.master_for(service, db=db, username=nodes.username, password=nodes.password,
                                 max_connections=max_connections, check_connection=True,
                                 **_options(decode_responses))
    _SENTINEL_POOLS.add(client.connection_pool)
    return client


# Every Sentinel-watched pool of this process. A connection learns of a failover only when its server
# fails it: one whose old primary is still up (cut off from the Sentinels, or slow for a moment and
# replaced meanwhile) goes on writing to it until the Sentinels demote it, up to ~10 s later, and what
# it wrote then is lost. follow_primaries() asks the Sentinels every second instead.
_SENTINEL_POOLS: weakref.WeakSet[Any] = weakref.WeakSet()
FOLLOW_S = 1.0


async def close(client: aioredis.Redis) -> None:
    """Close a client from ``connect()`` and, when Sentinels watch it, its connections to them."""
    await client.aclose()
    manager = getattr(getattr(client, "connection_pool", None), "sentinel_manager", None)  # (a Cluster has no pool)
    for sentinel in getattr(manager, "sentinels", ()):
        await sentinel.aclose()


async def follow_primaries() -> int:
    """Ask the Sentinels which server is the primary, for every Sentinel-watched pool of this process; a
    pool whose primary changed closes all its connections to the old one, idle and in use: a
    subscription (the Socket.IO fan-out's) or a blocking read would otherwise stay there until the
    Sentinels demote it, hearing nothing of what is published on the new one (a command cut off this
    way fails like any in a failover, and the fan-out subscribes again and tells its sockets to catch
    up). Returns how many pools moved."""
    moved = 0
    for pool in list(_SENTINEL_POOLS):
        before = pool.master_address
        try:
            now = await pool.get_master_address()
        except Exception as err:  # no Sentinel answers, or none knows a primary: as before, on the next call
            log.debug("sentinels not reached", extra={"error": str(err)})
            continue
        if before is not None and now != before:
            moved += 1
            log.warning("the Sentinels name a new Redis primary: moving to it",
                        extra={"from": f"{before[0]}:{before[1]}", "to": f"{now[0]}:{now[1]}"})
            try:
                await pool.disconnect(inuse_connections=True)  # (redis-py dropped only the idle ones)
            except Exception as err:  # a connection that failed to close is dropped all the same
                log.debug("closing connections to the old primary", extra={"error": str(err)})
    return moved


def _cluster(url: str, max_connections: int, decode_responses: bool) -> RedisCluster:
    nodes = parse_nodes(url)
    return RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in nodes.hosts],
        username=nodes.username, password=nodes.password, max_connections=max_connections,
        decode_responses=decode_responses, socket_connect_timeout=5, socket_timeout=10,
    )


def is_cluster(redis: object) -> bool:
    return isinstance(redis, RedisCluster)
