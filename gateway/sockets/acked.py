"""The one error boundary of every namespace handler: what a handler raises becomes an error ack.

ClientError → its envelope; a routing refusal → a sentence for people (never an internal id);
a Redis outage → ``unavailable`` (the client resends with the same client_id: nothing is lost or
doubled). With ``durability: replicated`` a successful ack first waits until what the handler
stored is on a replica (gateway/durability.py); if none confirms in time → ``not_replicated``.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import socketio
from redis.exceptions import RedisError

from acd.errors import AcdError
from acd.lua_runner import NotReplicated, runner
from gateway.durability import NOT_REPLICATED
from gateway.errors import UNAVAILABLE, ClientError
from gateway.sockets.timing import timed

log = logging.getLogger(__name__)

# What the console shows for a routing refusal.
ACD_MESSAGES = {
    "offer_gone": "This offer is no longer available.",
    "not_your_offer": "This offer was made to another agent.",
    "not_your_task": "This conversation is held by another agent.",
    "over_capacity": "The agent has no free slot for this kind of conversation.",
    "unknown_agent": "There is no such agent.",
    "unknown_task": "This conversation is not known to routing.",
    "unknown_queue": "There is no such queue.",
    "agent_unavailable": "That agent is not available right now.",
    "invalid_state": "This is not possible in the conversation's current state.",
    "bad_request": "The request was not understood.",
}


# Handlers that store nothing: their acks need not wait for a replica (every other one does).
READ_ONLY = frozenset({"on_history", "on_typing", "on_agent_detail", "on_transcript", "on_assist_suggest",
                       "on_monitor", "on_unmonitor"})


def refuse(code: str, message: str) -> socketio.exceptions.ConnectionRefusedError:
    """A refused connect: the client's ``connect_error`` carries ``message`` and ``data: {code, message}``."""
    return socketio.exceptions.ConnectionRefusedError(message, {"code": code, "message": message})


def acked(handler):
    """Wrap an ``on_<event>(self, sid, data)`` handler so that every failure is an error ack."""

    stores = handler.__name__ not in READ_ONLY

    @functools.wraps(handler)
    async def wrapper(self, sid: str, data: Any = None):
        try:
            result = await handler(self, sid, data)
            if stores and not (isinstance(result, dict) and "error" in result):
                await runner(self.ctx.redis).replicated()  # no-op with durability: local
            return result
        except NotReplicated:
            log.warning("no replica confirmed a write in time", extra={"handler": handler.__name__})
            return NOT_REPLICATED
        except ClientError as err:
            return err.to_ack()
        except AcdError as err:
            code = getattr(err, "code", type(err).__name__)
            return {"error": {"code": code, "message": ACD_MESSAGES.get(code, "Routing refused this request.")}}
        except (RedisError, OSError):
            log.exception("redis unavailable in a socket handler", extra={"handler": handler.__name__})
            return UNAVAILABLE

    return timed(wrapper)  # omnirelay_socket_handler_seconds
