"""Checks on what clients send (socket events and REST bodies alike): every bad input gets a clear
error code and a sentence, and nothing unchecked reaches storage."""

from __future__ import annotations

from typing import Any

from gateway.errors import ClientError
from gateway.store.ids import is_id


def require_dict(data: Any) -> dict:
    if not isinstance(data, dict):
        raise ClientError("bad_request", "expected an object")
    return data


def text_field(data: dict, name: str, *, max_chars: int, required: bool = True) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise ClientError("bad_request", f"'{name}' must be a string")
    if required and not value.strip():
        raise ClientError("empty", f"'{name}' must not be empty")
    if len(value) > max_chars:
        raise ClientError("too_long", f"'{name}' has {len(value)} characters; the limit is {max_chars}")
    return value


def client_id_field(data: dict) -> str:
    value = data.get("client_id", "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 100:
        raise ClientError("bad_request", "'client_id' must be a string of at most 100 characters")
    return value


def int_field(data: dict, name: str, default: int = 0) -> int:
    value = data.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise ClientError("bad_request", f"'{name}' must be a whole number")
    return value


def conversation_id_field(data: dict) -> str:
    """The conversation id of a request, checked against the generated form before any key is built."""
    cid = data.get("conversation_id")
    if not isinstance(cid, str):
        raise ClientError("bad_request", "'conversation_id' is required")
    if not is_id("c", cid):
        raise ClientError("not_found", "There is no such conversation.", 404)
    return cid
