"""After the Socket.IO fan-out has subscribed again (Redis restarted, a Sentinel failover:
gateway/sockets/redis_manager.py), whatever was published while this process was not listening never
reached its sockets — an offer, a message, a close. So each of them is told to catch up, straight from
this process:

- each agent console gets a fresh ``hello`` (state, conversations, offers, callbacks), as on connect;
  the console merges it and fetches the messages it is missing;
- each visitor tab gets ``resync {conversation_id}`` (the widget fetches the messages after its last
  one) and, as on connect, its conversation's ``assigned`` or ``closed``.

Sockets are told in batches with short pauses, so 10,000 tabs do not ask for their history at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import socketio

    from gateway.metrics import Metrics

log = logging.getLogger(__name__)

BATCH = 200  # sockets told at once
PAUSE_S = 0.05  # between batches: 10,000 tabs in 2.5 s


def _local_sids(sio: socketio.AsyncServer, namespace: str) -> list[str]:
    return [sid for sid, _ in sio.manager.get_participants(namespace, None)]


def _batches(sids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(sids), BATCH):
        yield sids[start:start + BATCH]


async def catch_up(sio: socketio.AsyncServer, metrics: Metrics) -> int:
    """Tell this process's agent and visitor sockets to catch up; returns how many were told."""
    metrics.fanout_resubscribes.inc()
    told = 0
    try:
        for namespace in ("/agent", "/visitor"):
            handler = sio.namespace_handlers.get(namespace)
            if handler is None:
                continue
            for batch in _batches(_local_sids(sio, namespace)):
                these = await handler.catch_up(batch)
                metrics.caught_up_sockets.labels(namespace).inc(these)
                told += these
                await asyncio.sleep(PAUSE_S)
    except asyncio.CancelledError:
        raise
    except Exception:  # Redis failed again: the next re-subscribe tells them again
        log.exception("telling sockets to catch up failed", extra={"told": told})
    else:
        log.info("sockets told to catch up after the fan-out subscribed again", extra={"told": told})
    return told
