"""Checks on what clients send: every bad input gets a clear error code and message."""

from __future__ import annotations

import functools
import logging
from typing import Any

import socketio
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
UNAVAILABLE = {"error": {"code": "unavailable", "message": "storage is unavailable; nothing was stored, try again"}}


def refuse(code: str, message: str) -> socketio.exceptions.ConnectionRefusedError:
    """A refused connect: the client's ``connect_error`` carries ``message`` and ``data: {code, message}``."""
    return socketio.exceptions.ConnectionRefusedError(message, {"code": code, "message": message})


class InputError(ValueError):
    """A client sent something unusable; ``code`` is machine-readable."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def to_ack(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


def require_dict(data: Any) -> dict:
    if not isinstance(data, dict):
        raise InputError("bad_request", "expected an object")
    return data


def text_field(data: dict, name: str, *, max_chars: int, required: bool = True) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise InputError("bad_request", f"'{name}' must be a string")
    if required and not value.strip():
        raise InputError("empty", f"'{name}' must not be empty")
    if len(value) > max_chars:
        raise InputError("too_long", f"'{name}' has {len(value)} characters; the limit is {max_chars}")
    return value


def client_id_field(data: dict) -> str:
    value = data.get("client_id", "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 100:
        raise InputError("bad_request", "'client_id' must be a string of at most 100 characters")
    return value


def int_field(data: dict, name: str, default: int = 0) -> int:
    value = data.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError("bad_request", f"'{name}' must be a whole number")
    return value


def acked(handler):
    """Turn a handler's InputError into an error ack, and a Redis outage into ``unavailable``
    (the client retries with the same client_id, so nothing is lost or doubled)."""

    @functools.wraps(handler)
    async def wrapper(self, sid: str, data: Any = None):
        try:
            return await handler(self, sid, data)
        except InputError as err:
            return err.to_ack()
        except (RedisError, OSError):
            log.exception("redis unavailable in a socket handler", extra={"handler": handler.__name__})
            return UNAVAILABLE

    return wrapper
