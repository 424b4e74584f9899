"""Visitor tokens: a random visitor id signed with the server secret, so it cannot be guessed or forged.

The token ties reloads, second tabs and reconnects to one visitor. Format: ``v1.<tenant>.<id>.<hmac>``.
"""

from __future__ import annotations

import hmac
import secrets

from gateway.auth import sign


def issue_visitor_token(secret: str, tenant: str) -> tuple[str, str]:
    """(token, visitor_id) for a new visitor of ``tenant``."""
    visitor_id = "v_" + secrets.token_urlsafe(16)
    body = f"v1.{tenant}.{visitor_id}"
    return f"{body}.{sign(secret, body)}", visitor_id


def read_visitor_token(secret: str, tenant: str, token: str | None) -> str | None:
    """The visitor id of a valid token for ``tenant``, else None."""
    if not token or not isinstance(token, str) or token.count(".") != 3:
        return None
    version, tok_tenant, visitor_id, signature = token.split(".")
    if version != "v1" or tok_tenant != tenant:
        return None
    if not hmac.compare_digest(signature, sign(secret, f"{version}.{tok_tenant}.{visitor_id}")):
        return None
    return visitor_id
