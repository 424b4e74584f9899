"""The signature of every request omnirelay sends to a customer's systems (CRM lookups, event webhooks).

``X-Omnirelay-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`` — the
timestamp is signed with the body, so a receiver that checks it against its clock refuses a replay;
several ``v1=`` values may appear while a secret is being rotated (any one matching is enough).
docs/crm.md and docs/webhooks.md show the receiver's side.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Omnirelay-Signature"
TOLERANCE_S = 300.0  # a receiver refuses signatures older (or newer) than this


class SigningError(ValueError):
    """There is no secret to sign with: the request must not be sent (fail closed)."""


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` under ``secret``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, now: float | None = None) -> str:
    """The value of the ``X-Omnirelay-Signature`` header for ``body`` sent at ``now``."""
    if not secret:
        raise SigningError("no signing secret configured")
    t = int(time.time() if now is None else now)
    return f"t={t},v1={signature(secret, body, t)}"


def verify(secret: str, header: str, body: bytes, *, now: float | None = None, tolerance_s: float = TOLERANCE_S) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within ``tolerance_s`` of ``now`` (constant-time
    comparison; False without a secret, for a malformed header, or for a stale timestamp)."""
    if not secret or not header:
        return False
    t: int | None = None
    given: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit() and t is None:
            t = int(value)
        elif name == "v1" and value:
            given.append(value.lower())
    if t is None or not given:
        return False
    if abs((time.time() if now is None else now) - t) > tolerance_s:
        return False
    expected = signature(secret, body, t)
    ok = False
    for candidate in given:  # every candidate compared, so timing does not tell which one matched
        ok |= hmac.compare_digest(candidate.encode(), expected.encode())
    return ok
