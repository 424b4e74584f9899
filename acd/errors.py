"""Errors the routing engine raises; each Lua script's error code maps to one class here."""

from __future__ import annotations


class AcdError(Exception):
    """Base of every routing error; ``code`` is the script's error code."""

    code = "acd_error"


class OfferGone(AcdError):
    """The offer no longer exists: accepted, declined, expired or revoked."""

    code = "offer_gone"


class NotYourOffer(AcdError):
    """The offer belongs to another agent."""

    code = "not_your_offer"


class NotYourTask(AcdError):
    """The task is held by another agent."""

    code = "not_your_task"


class OverCapacity(AcdError):
    """The agent has no free slot of the task's channel."""

    code = "over_capacity"


class UnknownAgent(AcdError):
    code = "unknown_agent"


class UnknownTask(AcdError):
    code = "unknown_task"


class UnknownQueue(AcdError):
    code = "unknown_queue"


class AgentUnavailable(AcdError):
    """The target agent is offline."""

    code = "agent_unavailable"


class InvalidState(AcdError):
    """The task is in a state that does not allow this (e.g. transfer during wrap-up)."""

    code = "invalid_state"


class BadRequest(AcdError):
    code = "bad_request"


# What acd/lua_runner.py raises for each error code of the scripts (A.fail in acd/lua/keys.lua).
ERRORS: dict[str, type[AcdError]] = {
    cls.code: cls
    for cls in (
        OfferGone, NotYourOffer, NotYourTask, OverCapacity, UnknownAgent, UnknownTask,
        UnknownQueue, AgentUnavailable, InvalidState, BadRequest,
    )
}
