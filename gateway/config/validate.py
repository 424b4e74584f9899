"""Cross-field checks on a structurally valid config: each returns (path, message) pairs."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from acd.hours import WHEN_CLOSED
from bridges.registry import spec_of
from gateway.config.schema import (
    POLICIES,
    WORK_CHANNELS,
    Config,
    HoursConfig,
    TenantConfig,
    WidgetConfig,
    channel_types,
)
from gateway.config.validate_alerts import alerts_issues
from gateway.config.validate_crm import crm_issues
from gateway.config.validate_durability import durability_issues
from gateway.config.validate_slack import slack_issues
from gateway.config.validate_webhooks import webhook_issues
from gateway.embedded_redis import check_maxmemory
from gateway.hours.ranges import DAYS, parse_holiday, parse_span

_Issue = tuple[tuple, str]
_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


MIN_NODE_LEASE_S, MAX_NODE_LEASE_S = 4.0, 300.0


def validate(config: Config) -> list[_Issue]:
    """Every semantic problem of the config, each with the path of the offending value."""
    issues: list[_Issue] = []
    if not config.server.secret_key:
        issues.append((("server", "secret_key"), "server.secret_key is required (use ${OMNIRELAY_SECRET})"))
    elif len(config.server.secret_key) < 16:
        issues.append((("server", "secret_key"), "server.secret_key must be at least 16 characters"))
    for i, proxy in enumerate(config.server.trusted_proxies):
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            issues.append((("server", "trusted_proxies", i), f"trusted proxy '{proxy}' is not an address or network"))
    try:
        check_maxmemory(config.server.redis_maxmemory)
    except ValueError as err:
        issues.append((("server", "redis_maxmemory"), str(err)))
    if not MIN_NODE_LEASE_S <= config.server.node_lease_s <= MAX_NODE_LEASE_S:
        issues.append((("server", "node_lease_s"), f"server.node_lease_s must be between {MIN_NODE_LEASE_S:g} and "
                       f"{MAX_NODE_LEASE_S:g} seconds: shorter takes a busy process for dead, longer leaves a dead "
                       "one's agents waiting"))
    issues.extend(durability_issues(config.server))  # durability: local | replicated (gateway/durability.py)
    if not config.tenants:
        issues.append((("tenants",), "at least one tenant is required"))
    issues.extend(_webhook_ids(config))
    logins: dict[str, str] = {}
    for tid, tenant in config.tenants.items():
        if not set(tid) <= _ID_CHARS:
            issues.append((("tenants", tid), f"tenant id '{tid}' may use only letters, digits, _ and -"))
        issues.extend(_tenant(tenant))
        for user in [*tenant.agents, *tenant.supervisors]:
            if user in tenant.agents and user in tenant.supervisors:
                issues.append((("tenants", tid, "supervisors", user), f"login '{user}' is both agent and supervisor"))
            logins.setdefault(user, tid)
    return issues


def tenant_issues(tenant: TenantConfig) -> list[_Issue]:
    """The problems of one tenant on its own (the admin settings check every change with this)."""
    return list(_tenant(tenant))


def _webhook_ids(config: Config) -> Iterator[_Issue]:
    """A webhook URL names only the channel (/webhooks/<type>/<id>), so a bridged channel's id is
    unique across tenants."""
    owner: dict[str, str] = {}
    for tid, tenant in config.tenants.items():
        for cid, ch in tenant.channels.items():
            if spec_of(ch.type) is None:
                continue
            if cid in owner:
                yield ("tenants", tid, "channels", cid), (
                    f"channel '{cid}': tenant '{owner[cid]}' has a bridged channel with this id; "
                    "webhook URLs need ids unique across tenants")
            owner.setdefault(cid, tid)


def _tenant(t: TenantConfig) -> Iterator[_Issue]:
    base = ("tenants", t.id)
    for section in ("agents", "supervisors", "queues", "topics", "channels"):
        for name in getattr(t, section):
            if not set(name) <= _ID_CHARS:
                yield (*base, section, name), f"{section[:-1]} id '{name}' may use only letters, digits, _ and -"
    skills_served = {q.skill for q in t.queues.values()}
    if t.retention_days < 0:
        yield (*base, "retention_days"), "retention_days must be 0 (keep everything) or a number of days"
    for lang in t.languages:
        if len(lang) < 2:
            yield (*base, "languages"), f"language '{lang}' is not a language code"
    for qid, q in t.queues.items():
        qp = (*base, "queues", qid)
        if q.policy not in POLICIES:
            yield (*qp, "policy"), f"queue '{qid}': policy '{q.policy}' is not one of {', '.join(POLICIES)}"
        if not 0 < q.sla_target <= 1:
            yield (*qp, "sla_target"), f"queue '{qid}': sla_target must be in (0, 1]"
        for ch in q.offer_timeout_s:
            if ch not in WORK_CHANNELS:
                yield (*qp, "offer_timeout_s", ch), f"queue '{qid}': '{ch}' is not a work channel ({', '.join(WORK_CHANNELS)})"
        if not q.steps:
            yield (*qp, "steps"), f"queue '{qid}' needs at least one step"
        for i, step in enumerate(q.steps):
            sp = (*qp, "steps", i)
            if not 1 <= step.min_proficiency <= 5:
                yield (*sp, "min_proficiency"), f"queue '{qid}' step {i + 1}: min_proficiency must be 1..5"
            if step.overflow and step.overflow not in t.queues:
                yield (*sp, "overflow"), f"queue '{qid}' step {i + 1}: overflow to unknown queue '{step.overflow}'"
            if step.overflow == qid:
                yield (*sp, "overflow"), f"queue '{qid}' step {i + 1}: a queue cannot overflow to itself"
            for option in step.escalate:
                if option not in ("email", "callback"):
                    yield (*sp, "escalate"), f"queue '{qid}' step {i + 1}: escalate option '{option}' is not email or callback"
            last = i == len(q.steps) - 1
            if step.timeout_s is None and not last:
                yield sp, f"queue '{qid}' step {i + 1}: only the last step may have no timeout_s"
    for qid, q in t.queues.items():
        for code, wc in q.wrapup_codes.items():
            if not code or "," in code or len(code) > 64:
                yield (*base, "queues", qid, "wrapup_codes", code), f"queue '{qid}': wrap-up code '{code}' must be 1-64 characters without commas"
            if wc.topic is not None and wc.topic not in t.topics:
                yield (*base, "queues", qid, "wrapup_codes", code, "topic"), f"queue '{qid}': wrap-up code '{code}' names topic '{wc.topic}', which is not one of the tenant's topics"
        if q.wrapup_required and not q.wrapup_codes:
            yield (*base, "queues", qid, "wrapup_required"), f"queue '{qid}': wrapup_required needs at least one of wrapup_codes"
    for lid in t.labels:
        if not lid or not set(lid) <= _ID_CHARS or len(lid) > 64:
            yield (*base, "labels", lid), f"label id '{lid}' may use only letters, digits, _ and - (at most 64)"
    for tid, topic in t.topics.items():
        if topic.queue not in t.queues:
            yield (*base, "topics", tid, "queue"), f"topic '{tid}': unknown queue '{topic.queue}'"
    for cid, channel in t.channels.items():
        if channel.type not in channel_types():
            yield (*base, "channels", cid, "type"), f"channel '{cid}': type '{channel.type}' is not one of {', '.join(channel_types())}"
        if channel.topic and channel.topic != "auto" and channel.topic not in t.topics:
            yield (*base, "channels", cid, "topic"), f"channel '{cid}': unknown topic '{channel.topic}'"
        if channel.default_topic and channel.default_topic not in t.topics:
            yield (*base, "channels", cid, "default_topic"), f"channel '{cid}': unknown default_topic '{channel.default_topic}'"
        if channel.topic == "auto" and not t.topics:
            yield (*base, "channels", cid, "topic"), f"channel '{cid}': topic auto needs the tenant to have topics"
    yield from _assist(t)
    yield from _answers(t)
    yield from crm_issues((*base, "crm"), t.crm)
    yield from webhook_issues((*base, "event_webhooks"), t.event_webhooks)
    yield from slack_issues(t)  # queues mirrored into Slack (docs/slack.md)
    yield from alerts_issues(t)  # supervisors' Slack alerts (docs/alerts.md)
    for aid, a in t.agents.items():
        ap = (*base, "agents", aid)
        yield from _password(ap, a.password_hash)
        for skill, level in a.skills.items():
            if skill not in skills_served:
                yield (*ap, "skills", skill), f"agent '{aid}': skill '{skill}' is not the skill of any queue"
            if not 1 <= level <= 5:
                yield (*ap, "skills", skill), f"agent '{aid}': proficiency of '{skill}' must be 1..5"
        for lang in a.languages:
            if lang not in t.languages:
                yield (*ap, "languages"), f"agent '{aid}': language '{lang}' is not one of the tenant's ({', '.join(t.languages)})"
        for ch, n in a.capacity.items():
            if ch not in WORK_CHANNELS:
                yield (*ap, "capacity", ch), f"agent '{aid}': '{ch}' is not a work channel ({', '.join(WORK_CHANNELS)})"
            elif n < 0:
                yield (*ap, "capacity", ch), f"agent '{aid}': capacity must not be negative"
    for sid, s in t.supervisors.items():
        yield from _password((*base, "supervisors", sid), s.password_hash)
    for ch, rule in t.blending.rules.items():
        rp = (*base, "blending", "rules", ch)
        if ch not in WORK_CHANNELS:
            yield rp, f"blending: '{ch}' is not a work channel"
        for blocked in rule.blocks:
            if blocked not in WORK_CHANNELS:
                yield (*rp, "blocks"), f"blending: '{blocked}' is not a work channel"
        if rule.max_realtime_occupancy is not None and not 0 < rule.max_realtime_occupancy <= 1:
            yield (*rp, "max_realtime_occupancy"), "blending: max_realtime_occupancy must be in (0, 1]"
    for lang in t.widget.greeting:
        if lang not in t.languages:
            yield (*base, "widget", "greeting"), f"widget greeting in '{lang}', not a tenant language"
    yield from _widget_look((*base, "widget"), t.widget, t.languages)
    cb = t.callbacks
    if not 5 <= cb.slot_minutes <= 24 * 60:
        yield (*base, "callbacks", "slot_minutes"), "callbacks.slot_minutes must be between 5 and 1440"
    if not 1 <= cb.slot_days <= 90:
        yield (*base, "callbacks", "slot_days"), "callbacks.slot_days must be between 1 and 90"
    if cb.handle_s <= 0:
        yield (*base, "callbacks", "handle_s"), "callbacks.handle_s must be positive"
    if t.hours is not None:
        yield from _hours((*base, "hours"), t.hours)
    for qid, q in t.queues.items():
        if q.hours is not None:
            yield from _hours((*base, "queues", qid, "hours"), q.hours)
    for cid, channel in t.channels.items():
        for lang in channel.closed_reply:
            if lang not in t.languages:
                yield (*base, "channels", cid, "closed_reply", lang), f"channel '{cid}': closed_reply in '{lang}', not a tenant language"


_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_LOOK_TEXT_CHARS = {"launcher_text": 40, "privacy_notice": 300}


def _widget_look(path: tuple, widget: WidgetConfig, languages: list[str]) -> Iterator[_Issue]:
    """The widget's look goes into the customer's page: a colour that is only a colour (no CSS), a logo
    that is only an http(s) address, texts in tenant languages and of bounded length."""
    if widget.colour and not _COLOUR.fullmatch(widget.colour):
        yield (*path, "colour"), f"widget colour must be '#rgb' or '#rrggbb', not {widget.colour!r}"
    if widget.logo_url:
        url = urlsplit(widget.logo_url)
        if url.scheme not in ("https", "http") or not url.netloc or any(c in widget.logo_url for c in " \"'<>()"):
            yield (*path, "logo_url"), "widget logo_url must be a plain http(s) address"
    for i, origin in enumerate(widget.allowed_origins):
        url = urlsplit(origin)
        if origin != "*" and (url.scheme not in ("https", "http") or not url.netloc or url.path.strip("/")
                              or url.query or url.fragment):
            yield (*path, "allowed_origins", i), f"widget allowed_origins: {origin!r} is no origin (https://host[:port]) nor '*'"
    if widget.position not in ("right", "left"):
        yield (*path, "position"), f"widget position must be 'right' or 'left', not {widget.position!r}"
    for name, limit in _LOOK_TEXT_CHARS.items():
        for lang, text in getattr(widget, name).items():
            if lang not in languages:
                yield (*path, name, lang), f"widget {name} in '{lang}', not a tenant language"
            elif len(text) > limit:
                yield (*path, name, lang), f"widget {name} must be at most {limit} characters"


def _hours(path: tuple, hours: HoursConfig) -> Iterator[_Issue]:
    """Time zone, day names, "HH:MM-HH:MM" ranges and holiday dates of one ``hours`` block."""
    try:
        ZoneInfo(hours.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        yield (*path, "timezone"), f"hours: '{hours.timezone}' is not a time zone (e.g. Europe/Berlin)"
    for day, ranges in (hours.weekly or {}).items():
        if day not in DAYS:
            yield (*path, "weekly", day), f"hours: '{day}' is not a day ({', '.join(DAYS)})"
        for i, text in enumerate(ranges):
            try:
                parse_span(text)
            except ValueError as err:
                yield (*path, "weekly", day, i), f"hours {day}: {err}"
    for i, text in enumerate(hours.holidays):
        try:
            parse_holiday(text)
        except ValueError as err:
            yield (*path, "holidays", i), f"hours holiday: {err}"
    if hours.when_closed not in WHEN_CLOSED:
        yield (*path, "when_closed"), f"hours: when_closed must be {' or '.join(WHEN_CLOSED)}, not '{hours.when_closed}'"


def _password(path: tuple, value: str) -> Iterator[_Issue]:
    if not value.startswith("$argon2"):
        yield (*path, "password_hash"), "password_hash must be an argon2 hash (omnirelay hash-password)"


def _assist(t: TenantConfig) -> Iterator[_Issue]:
    """The topic classifier's settings and examples (gateway/assist)."""
    base = ("tenants", t.id, "assist")
    a = t.assist
    for name in ("topic_threshold", "language_threshold"):
        if not 0 <= getattr(a, name) <= 1:
            yield (*base, name), f"assist.{name} must be between 0 and 1"
    if a.retrain_after_s < 0:
        yield (*base, "retrain_after_s"), "assist.retrain_after_s must not be negative"
    if a.default_topic and a.default_topic not in t.topics:
        yield (*base, "default_topic"), f"assist.default_topic: unknown topic '{a.default_topic}'"
    for tid, topic in t.topics.items():
        for lang, texts in topic.examples.items():
            if lang not in t.languages:
                yield (("tenants", t.id, "topics", tid, "examples", lang),
                       f"topic '{tid}': examples in '{lang}', which is not one of the tenant's languages ({', '.join(t.languages)})")
            if any(not text.strip() for text in texts):
                yield ("tenants", t.id, "topics", tid, "examples", lang), f"topic '{tid}': an example is empty"


def _answers(t: TenantConfig) -> Iterator[_Issue]:
    """Canned answers as suggestions and automatic answers (gateway/assist/suggestions.py, auto_answer.py)."""
    base = ("tenants", t.id)
    a = t.assist
    for name in ("precision_target", "escalation_max_rate"):
        if not 0 <= getattr(a, name) <= 1:
            yield (*base, "assist", name), f"assist.{name} must be between 0 and 1"
    if a.escalation_min_samples < 1:
        yield (*base, "assist", "escalation_min_samples"), "assist.escalation_min_samples must be at least 1"
    if a.auto_wait_s <= 0:
        yield (*base, "assist", "auto_wait_s"), "assist.auto_wait_s must be more than 0 seconds"
    for qid, q in t.queues.items():
        for topic in q.auto_exclude_topics:
            if topic not in t.topics:
                yield (*base, "queues", qid, "auto_exclude_topics"), f"queue '{qid}': auto_exclude_topics names unknown topic '{topic}'"
    seen: set[str] = set()
    for i, c in enumerate(t.canned):
        cp = (*base, "canned", i)
        if c.id in seen:
            yield (*cp, "id"), f"canned answer '{c.id}' appears twice"
        seen.add(c.id)
        if c.topic and c.topic not in t.topics:
            yield (*cp, "topic"), f"canned answer '{c.id}': unknown topic '{c.topic}'"
        for queue in c.auto_queues:
            if queue not in t.queues:
                yield (*cp, "auto_queues"), f"canned answer '{c.id}': auto_queues names unknown queue '{queue}'"
        if c.auto_queues and c.language not in t.languages:
            yield (*cp, "language"), (f"canned answer '{c.id}': an answer for automatic use needs its language "
                                      f"(one of {', '.join(t.languages)})")
        if any(not e.strip() for e in c.examples):
            yield (*cp, "examples"), f"canned answer '{c.id}': an example is empty"
