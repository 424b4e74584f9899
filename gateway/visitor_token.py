"""Visitor tokens: a random visitor id signed with a key derived from the server secret, so it
cannot be guessed or forged, and no other kind of token (a login token) can pass as one.

The token ties reloads, second tabs and reconnects to one visitor. Format: ``v2.<tenant>.<id>.<hmac>``
(``v1`` tokens were signed with the bare secret and are no longer accepted: such a visitor gets a new token).
"""

from __future__ import annotations

import hmac
import secrets
from functools import lru_cache

from gateway.auth import purpose_key, sign

_VERSION = "v2"


@lru_cache(maxsize=8)
def _key(secret: str) -> bytes:
    return purpose_key(secret, "visitor-token")


def issue_visitor_token(secret: str, tenant: str) -> tuple[str, str]:
    """(token, visitor_id) for a new visitor of ``tenant``."""
    visitor_id = "v_" + secrets.token_urlsafe(16)
    body = f"{_VERSION}.{tenant}.{visitor_id}"
    return f"{body}.{sign(_key(secret), body)}", visitor_id


def read_visitor_token(secret: str, tenant: str, token: str | None) -> str | None:
    """The visitor id of a valid token for ``tenant``, else None."""
    if not token or not isinstance(token, str) or len(token) > 256 or token.count(".") != 3:
        return None
    version, tok_tenant, visitor_id, signature = token.split(".")
    if version != _VERSION or tok_tenant != tenant:
        return None
    expected = sign(_key(secret), f"{version}.{tok_tenant}.{visitor_id}")
    if not hmac.compare_digest(signature.encode(errors="replace"), expected.encode()):  # bytes: non-ASCII input is just wrong
        return None
    return visitor_id
