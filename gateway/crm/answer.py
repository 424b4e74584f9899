"""What a CRM answered, read safely: the answer's status, the values the panel shows, and the
priority its rules give. Pure functions, no I/O (gateway/crm/lookup.py does the asking).

Priority rules are declarative (``{field: segment, equals: vip, priority: 5}``), not expressions:
nothing an operator writes is evaluated, there is no parser to get wrong, and check-config can tell
every mistake with its line. ``equals``, ``one_of`` and ``at_least`` cover segment, tier and
revenue rules; anything richer belongs in the CRM, which can answer a ready-made field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from gateway.config.schema import CrmConfig, CrmRuleConfig

OK, NOT_FOUND, UNAVAILABLE, PENDING, OFF = "ok", "not_found", "unavailable", "pending", "off"
VALUE_CHARS = 500  # a value longer than this is cut (the panel is narrow; the CRM link has the rest)
LIST_ITEMS = 20  # a list value shows at most this many items

# why a lookup failed: the reason code (in metrics, logs and the panel's tooltip), and the log's sentence
REASONS = {
    "http_error": "the CRM answered with an HTTP error",
    "not_json": "the CRM's answer is not JSON",
    "wrong_shape": "the CRM's answer is not a JSON object",
    "too_large": "the CRM's answer is larger than crm.max_bytes",
    "timeout": "the CRM did not answer within crm.answer_timeout_s",
    "unreachable": "the CRM could not be reached",
    "no_secret": "crm.secret is not configured: no lookup is sent",
}


@dataclass(frozen=True, slots=True)
class Answer:
    """One lookup's outcome: ok (with ``data``), not_found (the CRM does not know the contact), or
    unavailable (``reason`` one of REASONS, ``detail`` for the log)."""

    status: str
    data: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    detail: str = ""
    fetched_at: float = 0.0

    def to_cache(self) -> dict[str, Any]:
        return {"status": self.status, "data": self.data, "reason": self.reason, "fetched_at": self.fetched_at}

    @staticmethod
    def from_cache(raw: dict[str, Any]) -> Answer:
        data = raw.get("data")
        return Answer(str(raw.get("status", UNAVAILABLE)), data if isinstance(data, dict) else {},
                      str(raw.get("reason", "")), fetched_at=float(raw.get("fetched_at") or 0.0))


def value_at(data: dict[str, Any], path: str) -> Any:
    """The value at a key or dotted path (``orders.open``) of the answer; None when it is not there."""
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _scalar(value: Any) -> str | int | float | bool | None:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return value[:VALUE_CHARS]
    return None


def shown_value(value: Any) -> str | int | float | bool | list | None:
    """A value fit for the panel: text (bounded), number, true/false, or a short list of those; None
    for anything else (objects are not shown: name the inner key instead)."""
    if isinstance(value, list):
        items = [s for s in (_scalar(v) for v in value[:LIST_ITEMS]) if s is not None]
        return items or None
    return _scalar(value)


def safe_link(value: Any) -> str | None:
    """The value as a link when it is a plain http(s) address (no javascript:, data:, …)."""
    if not isinstance(value, str) or len(value) > 2000:
        return None
    url = urlsplit(value.strip())
    if url.scheme not in ("http", "https") or not url.hostname or any(c in value for c in " \"'<>\\"):
        return None
    return value.strip()


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format(value, "g") if isinstance(value, float) else str(value)
    return value.strip().casefold() if isinstance(value, str) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def rule_matches(rule: CrmRuleConfig, data: dict[str, Any]) -> bool:
    """Whether one priority rule holds for the answer (a missing field never matches)."""
    value = value_at(data, rule.field)
    if rule.at_least is not None:
        number = _number(value)
        return number is not None and number >= rule.at_least
    text = _text(value)
    if text is None:
        return False
    if rule.equals is not None:
        return text == rule.equals.strip().casefold()
    return text in {v.strip().casefold() for v in rule.one_of}


def priority(crm: CrmConfig, answer: Answer | None) -> int:
    """The priority the answer earns: the highest matching rule's, 0 when none matches (or no answer)."""
    if answer is None or answer.status != OK:
        return 0
    return max((r.priority for r in crm.rules if rule_matches(r, answer.data)), default=0)


def card(crm: CrmConfig, answer: Answer | None) -> dict[str, Any]:
    """The panel's view of an answer: the configured fields with their labels and values, in order
    (``status``: ok, not_found, unavailable, pending; ``reason`` a REASONS code when unavailable)."""
    if answer is None:
        return {"status": PENDING, "fields": []}
    out: dict[str, Any] = {"status": answer.status, "fields": [], "fetched_at": answer.fetched_at or None}
    if answer.status == UNAVAILABLE:
        out["reason"] = answer.reason
        return out
    out["priority"] = priority(crm, answer)
    for f in crm.fields:
        raw = value_at(answer.data, f.key)
        if f.type == "link":
            href = safe_link(raw)
            if href is not None:
                out["fields"].append({"key": f.key, "label": dict(f.label), "type": "link", "value": href})
                continue
        value = shown_value(raw)
        if value is not None:
            out["fields"].append({"key": f.key, "label": dict(f.label), "type": "text", "value": value})
    return out
