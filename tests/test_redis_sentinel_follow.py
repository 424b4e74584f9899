"""A primary that the Sentinels replaced while it was still up (slow for a moment, or cut off from them)
takes writes until they reach it and demote it — seconds later, and what it took then is lost — and a
subscription there hears nothing published on the new one. The gateway asks the Sentinels every
second (gateway/redis_client.py ``follow_primaries``): its next write goes to the new primary, and a
subscription in use moves there too. Real processes on loopback: a primary, a replica, one Sentinel."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
from redis_topology import primary_and_replicas, sentinel_for

from gateway.redis_client import close, connect, follow_primaries

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]


async def test_a_write_after_a_failover_goes_to_the_new_primary_though_the_old_one_is_still_up(tmp_path):
    primary, (replica,) = primary_and_replicas(tmp_path / "redis", replicas=1)
    sentinel = sentinel_for(tmp_path / "redis", primary, service="omni", down_after_ms=1000)
    client = connect(f"redis+sentinel://127.0.0.1:{sentinel.port}/omni/0")
    try:
        await client.set("before", "1")  # its connection to the primary waits in the pool
        listener = client.pubsub(ignore_subscribe_messages=True)
        await listener.subscribe("fanout")  # holds a connection of its own, as the Socket.IO fan-out does
        assert await follow_primaries() == 0  # nothing moved

        # the primary answers nobody for 4 s (the Sentinel neither): the replica is promoted meanwhile
        primary.cli("CLIENT", "PAUSE", "4000", "ALL")
        deadline = time.monotonic() + 15
        while sentinel.cli("SENTINEL", "get-master-addr-by-name", "omni").split()[-1] != str(replica.port):
            assert time.monotonic() < deadline, "the Sentinel promoted nobody"
            await asyncio.sleep(0.1)
        assert primary.cli("PING") == "PONG"  # (once its pause is over) the old primary is up, still a primary
        assert "role:master" in primary.cli("INFO", "replication")

        assert await follow_primaries() == 1
        await client.set("after", "2")
        assert replica.cli("GET", "after") == "2"  # on the new primary

        # the subscription was cut off from the old primary and subscribed again on the new one
        heard = None
        deadline = time.monotonic() + 5
        while heard is None:
            assert time.monotonic() < deadline, "the subscription still listens to the old primary"
            await client.publish("fanout", "after the failover")  # on the new primary
            with contextlib.suppress(ConnectionError, OSError):
                heard = await listener.get_message(timeout=0.2)
        assert heard["data"] == "after the failover"
        assert "role:master" in primary.cli("INFO", "replication")  # (not yet demoted: nothing relayed it)
        await listener.aclose()
    finally:
        await close(client)
        for proc in (sentinel, primary, replica):
            proc.stop()
