"""``X-Omnirelay-Signature: sha256=<hex HMAC-SHA256 of the body>``, on requests and on reports."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from bridges.base import AuthFailed

HEADER = "X-Omnirelay-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, headers: Mapping[str, str], body: bytes) -> None:
    """Raise AuthFailed unless the body carries our signature (constant-time compare)."""
    given = headers.get(HEADER, "")
    if not secret or not hmac.compare_digest(given.encode(), sign(secret, body).encode()):
        raise AuthFailed("bad or missing X-Omnirelay-Signature")
