"""A report of the phone system on ``POST /webhooks/dialer/{channel}``: ``{attempt_id, status, reason?}``."""

from __future__ import annotations

import json
from typing import Any

from bridges.base import Malformed
from bridges.dialer import DialOutcome, DialStatus

_MAX_ID = 200


def parse_report(body: bytes) -> DialOutcome:
    """The outcome a (verified) report body names; Malformed when it is not one."""
    try:
        data: Any = json.loads(body)
    except ValueError as err:
        raise Malformed("the report is not JSON") from err
    if not isinstance(data, dict):
        raise Malformed("the report must be a JSON object")
    attempt, status, reason = data.get("attempt_id"), data.get("status"), data.get("reason", "")
    if not isinstance(attempt, str) or not 0 < len(attempt) <= _MAX_ID:
        raise Malformed("attempt_id must be the id we sent")
    try:
        parsed = DialStatus(str(status))
    except ValueError as err:
        raise Malformed(f"status must be one of {', '.join(s.value for s in DialStatus)}") from err
    return DialOutcome(attempt_id=attempt, status=parsed, reason=str(reason)[:300] if reason else "")
