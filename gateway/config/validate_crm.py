"""Checks of a tenant's ``crm`` block (gateway/crm, docs/crm.md): each yields (path, message)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from gateway.config.schema import CrmConfig

CONSOLE_LANGS = ("en", "de")  # the languages of the agent console: the labels' languages
FIELD_TYPES = ("text", "link")
MAX_ANSWER_BYTES = 1024 * 1024
MAX_FIELDS = 30
MAX_RULES = 50
PRIORITY_RANGE = (1, 100)


def crm_issues(path: tuple, crm: CrmConfig) -> Iterator[tuple[tuple, str]]:
    """What is wrong with one tenant's ``crm`` block (nothing when it is left out)."""
    if crm.url:
        url = urlsplit(crm.url)
        if url.scheme not in ("http", "https") or not url.hostname:
            yield (*path, "url"), "crm.url must be an http(s) address"
        elif url.username or url.password:
            yield (*path, "url"), "crm.url must not carry a user or password (the request is signed with crm.secret)"
    if not 0.05 <= crm.timeout_s <= 10:
        yield (*path, "timeout_s"), "crm.timeout_s must be between 0.05 and 10 seconds"
    if not crm.timeout_s <= crm.answer_timeout_s <= 60:
        yield (*path, "answer_timeout_s"), "crm.answer_timeout_s must be at least timeout_s and at most 60 seconds"
    if crm.cache_ttl_s < 0 or crm.retry_after_s < 0:
        yield (*path, "cache_ttl_s"), "crm.cache_ttl_s and crm.retry_after_s must not be negative"
    if not 1 <= crm.max_bytes <= MAX_ANSWER_BYTES:
        yield (*path, "max_bytes"), f"crm.max_bytes must be between 1 and {MAX_ANSWER_BYTES}"
    if len(crm.fields) > MAX_FIELDS:
        yield (*path, "fields"), f"crm.fields may list at most {MAX_FIELDS} fields"
    seen: set[str] = set()
    for i, f in enumerate(crm.fields):
        fp = (*path, "fields", i)
        if not _path_ok(f.key):
            yield (*fp, "key"), f"crm field {i + 1}: key must be a name or a dotted path (customer.segment)"
        elif f.key in seen:
            yield (*fp, "key"), f"crm field '{f.key}' is listed twice"
        seen.add(f.key)
        if f.type not in FIELD_TYPES:
            yield (*fp, "type"), f"crm field '{f.key}': type must be one of {', '.join(FIELD_TYPES)}"
        for lang, label in f.label.items():
            if lang not in CONSOLE_LANGS:
                yield (*fp, "label", lang), f"crm field '{f.key}': label language '{lang}' is not one of {', '.join(CONSOLE_LANGS)}"
            elif not label.strip() or len(label) > 60:
                yield (*fp, "label", lang), f"crm field '{f.key}': label must be 1 to 60 characters"
    if len(crm.rules) > MAX_RULES:
        yield (*path, "rules"), f"crm.rules may list at most {MAX_RULES} rules"
    for i, rule in enumerate(crm.rules):
        rp = (*path, "rules", i)
        if not _path_ok(rule.field):
            yield (*rp, "field"), f"crm rule {i + 1}: field must be a name or a dotted path"
        tests = [rule.equals is not None, bool(rule.one_of), rule.at_least is not None]
        if sum(tests) != 1:
            yield rp, f"crm rule {i + 1}: give exactly one of equals, one_of, at_least"
        if not PRIORITY_RANGE[0] <= rule.priority <= PRIORITY_RANGE[1]:
            yield (*rp, "priority"), f"crm rule {i + 1}: priority must be between {PRIORITY_RANGE[0]} and {PRIORITY_RANGE[1]}"


def _path_ok(path: str) -> bool:
    return 0 < len(path) <= 200 and all(part.strip() == part and part for part in path.split("."))
