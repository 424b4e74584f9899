"""Slack's request signature: ``v0=`` HMAC-SHA256 of ``v0:<timestamp>:<raw body>`` with the app's
signing secret, the timestamp within 5 minutes. slack_sdk's ``SignatureVerifier`` does the check
(constant-time compare, the freshness window); around it we fail closed without a secret and turn
a malformed header into a refusal rather than an exception."""

from __future__ import annotations

from collections.abc import Mapping

from slack_sdk.signature import Clock, SignatureVerifier

from bridges.base import AuthFailed

TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"


def verify(headers: Mapping[str, str], body: bytes, secret: str, clock: Clock | None = None) -> None:
    """Raise AuthFailed unless ``body`` carries a fresh, valid Slack signature for ``secret``."""
    if not secret.strip():
        raise AuthFailed("no signing secret configured")  # fail closed: nothing is ever accepted unsigned
    found = {k.lower(): v for k, v in headers.items()}
    timestamp, signature = found.get(TIMESTAMP_HEADER.lower()), found.get(SIGNATURE_HEADER.lower())
    if not timestamp or not signature or not timestamp.isdigit() or not signature.isascii():
        raise AuthFailed("signature missing or malformed")
    verifier = SignatureVerifier(secret, clock or Clock())
    if not verifier.is_valid(body, timestamp, signature):
        raise AuthFailed("signature mismatch or stale timestamp")
