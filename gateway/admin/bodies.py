"""The admin API's item bodies: JSON in (checked field by field, each refusal naming its field) and
JSON out. The stored body of an item is its JSON form, so what the database holds passes the same
checks again when a gateway lays it over the YAML (an agent's body adds its argon2 hash, never
the password; the API never shows the hash)."""

from __future__ import annotations

import math
import re
from dataclasses import asdict
from typing import Any

from gateway.config.schema import (
    POLICIES,
    WORK_CHANNELS,
    AgentConfig,
    CannedConfig,
    HoursConfig,
    LabelConfig,
    QueueConfig,
    StepConfig,
    TenantConfig,
    TopicConfig,
    WidgetConfig,
    WrapupCodeConfig,
)

ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
KINDS = ("queue", "topic", "agent", "canned", "label", "hours", "widget")  # also the order they are laid over
SINGLE = ("hours", "widget")  # one per tenant: item id ""
LOOK = ("colour", "logo_url", "position", "launcher_text", "privacy_notice", "greeting")
READ_ONLY = {"id", "source", "changed_at", "changed_by", "config_differs", "problem"}
PASSWORD_MIN, PASSWORD_MAX = 10, 1024
NAME_CHARS, TITLE_CHARS, TEXT_CHARS, GREETING_CHARS, LABEL_TEXT_CHARS = 100, 200, 4096, 500, 100
MAX_CAPACITY = 50
EXAMPLES_MAX = 500  # example messages per topic and language
EXAMPLES_MAX = 100  # a canned answer's example phrasings


class Invalid(ValueError):
    """A body that cannot be taken: ``field`` is the dotted path of the offending value."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# --- small typed readers --------------------------------------------------------------------
def _known(d: dict, allowed: set[str], prefix: str = "") -> None:
    for key in d:
        if key not in allowed and key not in READ_ONLY:
            raise Invalid(prefix + key, f"unknown field '{key}'")


def _obj(value: Any, field: str) -> dict:
    if not isinstance(value, dict):
        raise Invalid(field, "expected an object")
    return value


def _text(d: dict, name: str, limit: int, *, default: str = "", required: bool = False, field: str = "") -> str:
    field = field or name
    value = d.get(name)
    if value is None:
        if required:
            raise Invalid(field, f"'{name}' is required")
        return default
    if not isinstance(value, str):
        raise Invalid(field, "expected a string")
    value = value.strip()
    if required and not value:
        raise Invalid(field, f"'{name}' must not be empty")
    if len(value) > limit:
        raise Invalid(field, f"at most {limit} characters")
    return value


def _int(d: dict, name: str, low: int, high: int, default: int, field: str = "") -> int:
    value = d.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise Invalid(field or name, f"a whole number from {low} to {high}")
    return value


def _num(d: dict, name: str, low: float, high: float, default: float | None, field: str = "",
         *, nullable: bool = False, low_open: bool = False) -> float | None:
    value = d.get(name, default)
    if value is None and nullable:
        return None
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not (low < value if low_open else low <= value) or value > high:  # type: ignore[operator]
        raise Invalid(field or name, f"a number from {low} to {high}" + (" (not 0)" if low_open else ""))
    return float(value)  # type: ignore[arg-type]


def _bool(d: dict, name: str, default: bool, field: str = "") -> bool:
    value = d.get(name, default)
    if not isinstance(value, bool):
        raise Invalid(field or name, "true or false")
    return value


def _id(value: Any, field: str) -> str:
    if not isinstance(value, str) or not ID.fullmatch(value):
        raise Invalid(field, "an id of 1-64 characters: a-z, 0-9, _ and -, starting with a letter or digit")
    return value


def _langs(value: Any, field: str, languages: list[str]) -> list[str]:
    if not isinstance(value, list):
        raise Invalid(field, "expected a list of language codes")
    out: list[str] = []
    for i, lang in enumerate(value):
        if lang not in languages:
            raise Invalid(f"{field}.{i}", f"'{lang}' is not one of the tenant's languages ({', '.join(languages)})")
        if lang not in out:
            out.append(lang)
    return out


def _texts(d: dict, name: str, languages: list[str], limit: int) -> dict[str, str]:
    """A {language: text} map in the tenant's languages."""
    value = d.get(name) or {}
    out: dict[str, str] = {}
    for lang, text in _obj(value, name).items():
        if lang not in languages:
            raise Invalid(f"{name}.{lang}", f"'{lang}' is not one of the tenant's languages ({', '.join(languages)})")
        if not isinstance(text, str):
            raise Invalid(f"{name}.{lang}", "expected a string")
        if len(text.strip()) > limit:
            raise Invalid(f"{name}.{lang}", f"at most {limit} characters")
        if text.strip():
            out[lang] = text.strip()
    return out


# --- agents ---------------------------------------------------------------------------------
AGENT_FIELDS = {"name", "languages", "skills", "capacity", "auto_accept", "email", "phone", "disabled"}


def password(d: dict) -> str:
    value = d.get("password")
    if not isinstance(value, str) or not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        raise Invalid("password", f"a password of at least {PASSWORD_MIN} characters")
    return value


def agent(item_id: str, d: dict, tenant: TenantConfig, *, password_hash: str = "") -> AgentConfig:
    """An agent from its JSON form (``password`` and ``password_hash`` are read by the caller)."""
    _known(d, AGENT_FIELDS | {"password", "password_hash"})
    skills: dict[str, int] = {}
    for skill, level in _obj(d.get("skills") or {}, "skills").items():
        _id(skill, f"skills.{skill}")
        if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 5:
            raise Invalid(f"skills.{skill}", "proficiency is a whole number from 1 to 5")
        skills[skill] = level
    capacity: dict[str, int] = {}
    for ch, n in _obj(d.get("capacity") or {}, "capacity").items():
        if ch not in WORK_CHANNELS:
            raise Invalid(f"capacity.{ch}", f"'{ch}' is not a work channel ({', '.join(WORK_CHANNELS)})")
        capacity[ch] = _int({"n": n}, "n", 0, MAX_CAPACITY, 0, f"capacity.{ch}")
    return AgentConfig(
        id=item_id, name=_text(d, "name", NAME_CHARS, required=True), password_hash=password_hash,
        languages=_langs(d.get("languages") or [], "languages", tenant.languages), skills=skills, capacity=capacity,
        auto_accept=_bool(d, "auto_accept", False), email=_text(d, "email", 254), phone=_text(d, "phone", 100),
        disabled=_bool(d, "disabled", False),
    )


def agent_json(a: AgentConfig) -> dict:
    return {"id": a.id, "name": a.name, "languages": list(a.languages), "skills": dict(a.skills),
            "capacity": dict(a.capacity), "auto_accept": a.auto_accept, "email": a.email, "phone": a.phone,
            "disabled": a.disabled}


# --- queues ---------------------------------------------------------------------------------
QUEUE_FIELDS = {"name", "skill", "policy", "priority", "aging_per_min", "sla_threshold_s", "sla_target", "wrapup_s",
                "decline_cooldown_s", "aht_s", "offer_timeout_s", "steps", "wrapup_codes", "wrapup_required", "hours",
                "auto_exclude_topics"}
STEP_FIELDS = {"timeout_s", "min_proficiency", "relax_language", "overflow", "escalate"}


def queue(item_id: str, d: dict, tenant: TenantConfig) -> QueueConfig:
    _known(d, QUEUE_FIELDS)
    policy = d.get("policy", "longest_idle")
    if policy not in POLICIES:
        raise Invalid("policy", f"one of {', '.join(POLICIES)}")
    offer: dict[str, float] = {}
    for ch, s in _obj(d.get("offer_timeout_s", QueueConfig("", "").offer_timeout_s), "offer_timeout_s").items():
        if ch not in WORK_CHANNELS:
            raise Invalid(f"offer_timeout_s.{ch}", f"'{ch}' is not a work channel ({', '.join(WORK_CHANNELS)})")
        offer[ch] = _num({"s": s}, "s", 1, 3600, None, f"offer_timeout_s.{ch}") or 0.0
    raw_steps = d.get("steps", [{}])
    if not isinstance(raw_steps, list) or not 1 <= len(raw_steps) <= 10:
        raise Invalid("steps", "a list of 1 to 10 steps")
    steps = [_step(_obj(s, f"steps.{i}"), f"steps.{i}.") for i, s in enumerate(raw_steps)]
    raw_codes = d.get("wrapup_codes") or []
    if not isinstance(raw_codes, list) or len(raw_codes) > 50:
        raise Invalid("wrapup_codes", "a list of at most 50 codes")
    codes: dict[str, WrapupCodeConfig] = {}
    for i, c in enumerate(raw_codes):
        c = _obj(c, f"wrapup_codes.{i}")
        _known(c, {"id", "name", "topic"}, f"wrapup_codes.{i}.")
        code = _text(c, "id", 64, required=True, field=f"wrapup_codes.{i}.id")
        if "," in code:
            raise Invalid(f"wrapup_codes.{i}.id", "a wrap-up code has no commas")
        if code in codes:
            raise Invalid(f"wrapup_codes.{i}.id", f"wrap-up code '{code}' is listed twice")
        topic = c.get("topic")  # which topics exist is checked with the whole tenant (config/validate.py)
        codes[code] = WrapupCodeConfig(id=code, name=_text(c, "name", NAME_CHARS, field=f"wrapup_codes.{i}.name"),
                                       topic=None if topic in (None, "") else _id(topic, f"wrapup_codes.{i}.topic"))
    raw_hours = d.get("hours")
    return QueueConfig(
        id=item_id, skill=_id(d.get("skill"), "skill"), name=_text(d, "name", NAME_CHARS), policy=policy,
        priority=_int(d, "priority", -100, 100, 0), aging_per_min=_num(d, "aging_per_min", 0, 1000, 0.0) or 0.0,
        sla_threshold_s=_num(d, "sla_threshold_s", 1, 86400, 20.0) or 0.0,
        sla_target=_num(d, "sla_target", 0, 1, 0.8, low_open=True) or 0.0,
        wrapup_s=_num(d, "wrapup_s", 0, 3600, 30.0) or 0.0,
        decline_cooldown_s=_num(d, "decline_cooldown_s", 0, 86400, 30.0) or 0.0,
        aht_s=_num(d, "aht_s", 1, 86400, 180.0) or 0.0, offer_timeout_s=offer, steps=steps,
        hours=None if raw_hours is None else hours(_obj(raw_hours, "hours"), "hours."),
        wrapup_codes=codes, wrapup_required=_bool(d, "wrapup_required", False),
        auto_exclude_topics=_ids_of(d, "auto_exclude_topics", tenant.topics, "topic"),
    )


def _step(d: dict, prefix: str) -> StepConfig:
    _known(d, STEP_FIELDS, prefix)
    overflow = d.get("overflow")
    escalate = d.get("escalate") or []
    if not isinstance(escalate, list) or any(e not in ("email", "callback") for e in escalate):
        raise Invalid(prefix + "escalate", "a list of 'email' and 'callback'")
    return StepConfig(
        timeout_s=_num(d, "timeout_s", 1, 86400, None, prefix + "timeout_s", nullable=True),
        min_proficiency=_int(d, "min_proficiency", 1, 5, 1, prefix + "min_proficiency"),
        relax_language=_bool(d, "relax_language", False, prefix + "relax_language"),
        overflow=None if overflow in (None, "") else _id(overflow, prefix + "overflow"),
        escalate=list(dict.fromkeys(escalate)),
    )


def queue_json(q: QueueConfig) -> dict:
    return {
        "id": q.id, "name": q.name, "skill": q.skill, "policy": q.policy, "priority": q.priority,
        "aging_per_min": q.aging_per_min, "sla_threshold_s": q.sla_threshold_s, "sla_target": q.sla_target,
        "wrapup_s": q.wrapup_s, "decline_cooldown_s": q.decline_cooldown_s, "aht_s": q.aht_s,
        "offer_timeout_s": dict(q.offer_timeout_s), "steps": [asdict(s) for s in q.steps],
        "wrapup_codes": [{"id": c.id, "name": c.name, "topic": c.topic} for c in q.wrapup_codes.values()],
        "wrapup_required": q.wrapup_required, "hours": hours_json(q.hours),
        "auto_exclude_topics": list(q.auto_exclude_topics),
    }


# --- business hours ---------------------------------------------------------------------------
HOURS_FIELDS = {"timezone", "weekly", "holidays", "closed", "when_closed"}


def hours(d: dict, prefix: str = "") -> HoursConfig:
    """Hours from JSON; the times themselves are checked with the config's own rules (validate.py)."""
    _known(d, HOURS_FIELDS, prefix)
    weekly = d.get("weekly")
    if weekly is not None:
        weekly = dict(_obj(weekly, prefix + "weekly"))
        for day, spans in weekly.items():
            if not isinstance(spans, list) or len(spans) > 8 or any(not isinstance(s, str) or len(s) > 16 for s in spans):
                raise Invalid(f"{prefix}weekly.{day}", "a list of at most 8 times like \"08:00-18:00\"")
            weekly[day] = list(spans)
    holidays = d.get("holidays") or []
    if not isinstance(holidays, list) or len(holidays) > 400 or any(not isinstance(h, str) or len(h) > 16 for h in holidays):
        raise Invalid(prefix + "holidays", "a list of dates like \"2026-12-25\"")
    return HoursConfig(
        timezone=_text(d, "timezone", 64, default="UTC", field=prefix + "timezone") or "UTC", weekly=weekly,
        holidays=list(holidays), closed=_bool(d, "closed", False, prefix + "closed"),
        when_closed=_text(d, "when_closed", 16, default="wait", field=prefix + "when_closed") or "wait",
    )


def hours_json(h: HoursConfig | None) -> dict | None:
    if h is None:
        return None
    return {"timezone": h.timezone, "weekly": None if h.weekly is None else {k: list(v) for k, v in h.weekly.items()},
            "holidays": list(h.holidays), "closed": h.closed, "when_closed": h.when_closed}


# --- topics, canned answers, labels, the widget's look --------------------------------------------
def topic(item_id: str, d: dict, tenant: TenantConfig) -> TopicConfig:
    _known(d, {"queue", "label", "examples"})
    current = tenant.topics.get(item_id)
    examples = _examples(d, tenant.languages) if "examples" in d else dict(current.examples) if current else {}
    return TopicConfig(id=item_id, queue=_text(d, "queue", 64, required=True),
                       label=_texts(d, "label", tenant.languages, LABEL_TEXT_CHARS), examples=examples)


def _examples(d: dict, languages: list[str]) -> dict[str, list[str]]:
    """A topic's example messages: {language: [texts]} (the topic classifier learns from them)."""
    out: dict[str, list[str]] = {}
    for lang, texts in _obj(d.get("examples") or {}, "examples").items():
        if lang not in languages:
            raise Invalid(f"examples.{lang}", f"'{lang}' is not one of the tenant's languages ({', '.join(languages)})")
        if not isinstance(texts, list) or len(texts) > EXAMPLES_MAX:
            raise Invalid(f"examples.{lang}", f"a list of at most {EXAMPLES_MAX} texts")
        for i, text in enumerate(texts):
            if not isinstance(text, str) or len(text) > TEXT_CHARS:
                raise Invalid(f"examples.{lang}.{i}", f"a text of at most {TEXT_CHARS} characters")
        if kept := [t.strip() for t in texts if t.strip()]:
            out[lang] = kept
    return out


def topic_json(t: TopicConfig) -> dict:
    return {"id": t.id, "queue": t.queue, "label": dict(t.label), "examples": {k: list(v) for k, v in t.examples.items()}}


def canned(item_id: str, d: dict, tenant: TenantConfig) -> CannedConfig:
    _known(d, {"title", "text", "language", "topic", "examples", "auto_queues"})
    language = _text(d, "language", 16)
    if language and language not in tenant.languages:
        raise Invalid("language", f"'{language}' is not one of the tenant's languages ({', '.join(tenant.languages)})")
    topic = _text(d, "topic", 64)
    if topic and topic not in tenant.topics:
        raise Invalid("topic", f"there is no topic '{topic}'")
    examples = d.get("examples") or []
    if not isinstance(examples, list) or len(examples) > EXAMPLES_MAX or any(
            not isinstance(e, str) or not e.strip() or len(e) > TEXT_CHARS for e in examples):
        raise Invalid("examples", f"a list of at most {EXAMPLES_MAX} customer phrasings, none empty")
    auto_queues = _ids_of(d, "auto_queues", tenant.queues, "queue")
    if auto_queues and not language:
        raise Invalid("language", "an answer for automatic use needs its language")
    return CannedConfig(id=item_id, title=_text(d, "title", TITLE_CHARS, required=True),
                        text=_text(d, "text", TEXT_CHARS, required=True), language=language, topic=topic,
                        examples=[e.strip() for e in examples], auto_queues=auto_queues)


def canned_json(c: CannedConfig) -> dict:
    return {"id": c.id, "title": c.title, "text": c.text, "language": c.language, "topic": c.topic,
            "examples": list(c.examples), "auto_queues": list(c.auto_queues)}


def _ids_of(d: dict, name: str, known: dict, kind: str) -> list[str]:
    """A list of ids of the tenant's queues or topics (each once)."""
    value = d.get(name) or []
    if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
        raise Invalid(name, f"a list of {kind} ids")
    for v in value:
        if v not in known:
            raise Invalid(name, f"there is no {kind} '{v}'")
    return list(dict.fromkeys(value))


def label(item_id: str, d: dict, tenant: TenantConfig) -> LabelConfig:
    _known(d, {"name"})
    return LabelConfig(id=item_id, name=_text(d, "name", 64))


def label_json(lbl: LabelConfig) -> dict:
    return {"id": lbl.id, "name": lbl.name}


def look(d: dict, tenant: TenantConfig) -> dict[str, Any]:
    """The widget fields the admin may set (the rest of ``widget`` stays the YAML's)."""
    _known(d, set(LOOK))
    position = d.get("position", "right")
    if position not in ("right", "left"):
        raise Invalid("position", "'right' or 'left'")
    return {"colour": _text(d, "colour", 7), "logo_url": _text(d, "logo_url", 500), "position": position,
            "launcher_text": _texts(d, "launcher_text", tenant.languages, 40),
            "privacy_notice": _texts(d, "privacy_notice", tenant.languages, 300),
            "greeting": _texts(d, "greeting", tenant.languages, GREETING_CHARS)}


def look_json(w: WidgetConfig) -> dict:
    return {name: (dict(v) if isinstance(v := getattr(w, name), dict) else v) for name in LOOK}
