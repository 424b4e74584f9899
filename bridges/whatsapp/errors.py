"""Meta's Graph/Cloud API errors → the bridge's error trio, and a failed status's reason for people.

Meta puts the same error object in a synchronous answer (``{"error": {...}}``) and in a failed
status webhook (``statuses[].errors[]``): ``code``, ``title`` or ``message``, ``error_data.details``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bridges.base import AuthFailed, BridgeError, Fatal, NotReady, WindowClosed

REENGAGEMENT = 131047  # more than 24 h since the customer last wrote: only a template gets through
# OAuthException 190: the access token is invalid, expired or revoked; 10: it lacks the permission
AUTH_CODES = {190, 10}
PAIR_LIMIT = 131056  # too many messages to one user in a short time
# Retry later: app (4) and account (80007) call limits, throughput (130429), spam rate (131048),
# pair limit, and Meta's own "temporarily unavailable" codes.
RETRY_CODES = {1, 2, 4, 80007, 130429, 131048, PAIR_LIMIT, 131000, 131016, 133004}
PAIR_LIMIT_WAIT_S = 6.0  # Meta's pair rate: about one message every 6 s to the same user


def _words(error: Mapping[str, Any]) -> str:
    """The platform's own words: its title (or message), and the details when they add something."""
    head = str(error.get("title") or error.get("message") or "").strip()
    details = str((error.get("error_data") or {}).get("details", "")).strip()
    if details and details != head:
        return f"{head}: {details}" if head else details
    return head


def status_reason(errors: Iterable[Mapping[str, Any]]) -> str:
    """Why a message failed, as the agent reads it: ``<title> (<code>)`` of each error Meta gave."""
    parts = [f"{e.get('title') or e.get('message') or 'failed'} ({e.get('code')})" for e in errors]
    return "; ".join(parts) or "failed"


def graph_error(status: int, answer: Any, retry_after: float | None) -> BridgeError:
    """The exception for a non-2xx answer (``answer`` is the parsed body, or None when it was not JSON)."""
    error = answer.get("error") if isinstance(answer, Mapping) else None
    if not isinstance(error, Mapping):
        if status == 429 or status >= 500:
            return NotReady(f"WhatsApp API answered {status}", retry_after=retry_after)
        if status == 401:
            return AuthFailed(f"WhatsApp API answered {status}")
        return Fatal(f"WhatsApp API refused the request ({status})", code=str(status))
    try:
        code = int(error.get("code", 0))
    except (TypeError, ValueError):
        code = 0
    words = _words(error) or f"WhatsApp API answered {status}"
    if code == REENGAGEMENT:
        return WindowClosed(words, code=str(code))
    if code in AUTH_CODES or status == 401:
        return AuthFailed(words)
    if code in RETRY_CODES or status == 429 or status >= 500:
        if retry_after is None and code == PAIR_LIMIT:
            retry_after = PAIR_LIMIT_WAIT_S
        return NotReady(f"{words} ({code})", retry_after=retry_after)
    return Fatal(words, code=str(code or status))


def retry_after_header(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (the delta form; a date is left to the back-off)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
