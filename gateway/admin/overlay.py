"""The effective tenant: the YAML's tenant with the admin's stored items laid over it.

The admin wins: a stored item replaces the YAML's item of the same id, a ``deleted`` one removes it,
and YAML items nobody touched stay as the file has them. The result always validates: an item that
does not fit (say its queue's skill left the YAML) is skipped and reported as a problem, so a
change to the file can never stop the gateway from starting.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.admin import bodies
from gateway.admin.bodies import Invalid
from gateway.config.schema import TenantConfig
from gateway.config.validate import tenant_issues

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (kind, item id); hours and widget have the id ""


@dataclass(frozen=True)
class Stored:
    """One row of admin_settings."""

    kind: str
    item_id: str
    body: Any
    deleted: bool = False
    changed_at: datetime | None = None
    changed_by: str = ""

    @property
    def key(self) -> Key:
        return self.kind, self.item_id


def fork(t: TenantConfig) -> TenantConfig:
    """A copy whose item collections may change without touching ``t`` (items are replaced, never edited)."""
    return dataclasses.replace(t, agents=dict(t.agents), queues=dict(t.queues), topics=dict(t.topics),
                               canned=list(t.canned), labels=dict(t.labels))


def build(kind: str, item_id: str, body: Any, base: TenantConfig) -> Any:
    """The config object of a stored body (raises Invalid when it no longer parses)."""
    if kind == "agent":
        yaml_agent = base.agents.get(item_id)
        hashed = body.get("password_hash") or (yaml_agent.password_hash if yaml_agent else "")
        if not hashed:
            raise Invalid("password", "the agent has no password")
        return bodies.agent(item_id, body, base, password_hash=hashed)
    if kind == "queue":
        return bodies.queue(item_id, body, base)
    if kind == "topic":
        return bodies.topic(item_id, body, base)
    if kind == "canned":
        return bodies.canned(item_id, body, base)
    if kind == "label":
        return bodies.label(item_id, body, base)
    if kind == "hours":
        value = body.get("value") if isinstance(body, dict) else None
        return None if value is None else bodies.hours(value)
    if kind == "widget":
        return bodies.look(body, base)
    raise Invalid("kind", f"unknown kind '{kind}'")


def current(t: TenantConfig, kind: str, item_id: str) -> Any:
    """The tenant's item of that kind and id (None: it has none)."""
    if kind == "canned":
        return next((c for c in t.canned if c.id == item_id), None)
    if kind == "hours":
        return t.hours
    if kind == "widget":
        return t.widget
    return _section(t, kind).get(item_id)


def _section(t: TenantConfig, kind: str) -> dict[str, Any]:
    sections: dict[str, dict[str, Any]] = {"agent": t.agents, "queue": t.queues, "topic": t.topics, "label": t.labels}
    return sections[kind]


def put(t: TenantConfig, kind: str, item_id: str, value: Any, *, remove: bool = False) -> None:
    """Set (or remove) one item of a forked tenant."""
    if kind == "canned":
        kept = [c for c in t.canned if c.id != item_id]
        if not remove:
            at = next((i for i, c in enumerate(t.canned) if c.id == item_id), len(kept))
            kept.insert(at, value)
        t.canned = kept
    elif kind == "hours":
        t.hours = None if remove else value
    elif kind == "widget":
        t.widget = dataclasses.replace(t.widget, **value)
    elif remove:
        _section(t, kind).pop(item_id, None)
    else:
        _section(t, kind)[item_id] = value


def public(kind: str, value: Any) -> Any:
    """The JSON form of an item as the API shows it (never a password hash)."""
    if value is None:
        return None
    shown: dict[str, Callable[[Any], Any]] = {
        "agent": bodies.agent_json, "queue": bodies.queue_json, "topic": bodies.topic_json, "canned": bodies.canned_json,
        "label": bodies.label_json, "hours": bodies.hours_json, "widget": bodies.look_json}
    return shown[kind](value)


@dataclass
class Effective:
    tenant: TenantConfig
    problems: dict[Key, str]  # stored items left out, and why
    issues: dict[Key, tuple] = dataclasses.field(default_factory=dict)  # the validate path of each problem


def effective(base: TenantConfig, items: list[Stored], *, quiet: bool = False) -> Effective:
    """Lay ``items`` over ``base``; an item that would make the tenant invalid is left out. Items are
    tried again while others succeed, so an order among them (a topic on a new queue) never matters."""
    known = set(tenant_issues(base))
    t = fork(base)
    order = {k: i for i, k in enumerate(bodies.KINDS)}
    pending = sorted(items, key=lambda s: (order.get(s.kind, 99), s.item_id))
    problems: dict[Key, str] = {}
    issues: dict[Key, tuple] = {}
    progress = True
    while pending and progress:
        progress, later = False, []
        for item in pending:
            trial = fork(t)
            try:
                value = None if item.deleted else build(item.kind, item.item_id, item.body, base)
            except Invalid as err:
                problems[item.key], issues[item.key] = f"{err.field}: {err.message}", (err.field,)
                continue
            put(trial, item.kind, item.item_id, value, remove=item.deleted)
            new = [i for i in tenant_issues(trial) if i not in known]
            if new:
                problems[item.key], issues[item.key] = new[0][1], new[0][0]
                later.append(item)
            else:
                problems.pop(item.key, None)
                issues.pop(item.key, None)
                t, progress = trial, True
        pending = later
    if problems and not quiet:
        for (kind, item_id), why in problems.items():
            log.warning("admin setting left out: it does not fit the config",
                        extra={"tenant": base.id, "kind": kind, "item": item_id, "problem": why})
    return Effective(t, problems, issues)


def differs(base: TenantConfig, item: Stored, now: TenantConfig) -> bool:
    """The YAML has its own version of this item and it is not what is in effect."""
    if item.kind == "hours":
        return public("hours", base.hours) != public("hours", now.hours)
    if item.kind == "widget":
        return public("widget", base.widget) != public("widget", now.widget)
    yaml_item = current(base, item.kind, item.item_id)
    return yaml_item is not None and (item.deleted or public(item.kind, yaml_item) != public(item.kind, current(now, item.kind, item.item_id)))
