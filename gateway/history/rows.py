"""What an archived thing looks like in PostgreSQL, and back: Redis hash and stream fields to rows
(upserts by the ids Redis uses, so writing the same entry twice stores one row) and rows to the
same fields, so the store decodes an archived conversation exactly like a live one."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

# The conversation's language decides the text search configuration (stemming) of its messages.
SEARCH_CONFIGS = {"de": "german", "en": "english"}
CONV_COLUMNS = (
    "channel", "channel_type", "work_channel", "contact_id", "state", "topic", "queue", "language", "agent_id",
    "visitor_id", "external_id", "linked_to", "close_reason",
)
CONV_TIMES = ("created_at", "updated_at", "assigned_at", "closed_at")
_NOT_KEPT = {"id", "tenant", "seq", "ov", "aov", *CONV_COLUMNS, *CONV_TIMES}


def text(value: str) -> str:
    """A text value PostgreSQL takes: it holds no NUL character, which a visitor or a platform may send
    (kept, the archive would fail on that batch again and again); the NUL is dropped."""
    return value.replace("\x00", "") if "\x00" in value else value


def json_text(value: str) -> str:
    """A JSON document for a jsonb column: jsonb refuses ``\\u0000`` as well, so NULs inside go too."""
    if "\\u0000" not in value:
        return text(value)
    try:
        return json.dumps(_without_nul(json.loads(value)))
    except ValueError:
        return text(value)


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return text(value)
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {text(k): _without_nul(v) for k, v in value.items()}
    return value


def _texts(row: tuple, json_at: tuple[int, ...] = ()) -> tuple:
    """``row`` with every string PostgreSQL-safe (``json_at``: the positions of jsonb documents)."""
    return tuple(json_text(v) if i in json_at and isinstance(v, str) else text(v) if isinstance(v, str) else v
                 for i, v in enumerate(row))


def search_config(language: str) -> str:
    """``german``, ``english`` or ``simple`` (no stemming) for a conversation language such as ``de-AT``."""
    return SEARCH_CONFIGS.get(language.split("-")[0].lower(), "simple")


def when(value: str | float | None) -> datetime | None:
    """Epoch seconds (Redis keeps them as text) as a timestamp; 0 or empty is None."""
    seconds = float(value or 0)
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


def epoch(value: datetime | None) -> str:
    return repr(value.timestamp()) if value is not None else "0.0"


UPSERT_CONVERSATION = f"""
INSERT INTO conversations (tenant, id, {", ".join(CONV_COLUMNS)}, seq, {", ".join(CONV_TIMES)}, fields)
VALUES ($1, $2, {", ".join(f"${i}" for i in range(3, 3 + len(CONV_COLUMNS) + 1 + len(CONV_TIMES) + 1))})
ON CONFLICT (tenant, id) DO UPDATE SET
  {", ".join(f"{c} = EXCLUDED.{c}" for c in (*CONV_COLUMNS, "seq", *CONV_TIMES, "fields"))}, archived_at = now()
"""


def conversation_row(tenant: str, cid: str, raw: dict[str, str]) -> tuple:
    extra = {k: v for k, v in raw.items() if k not in _NOT_KEPT}
    return _texts((
        tenant, cid, *(raw.get(c, "") for c in CONV_COLUMNS), int(raw.get("seq") or 0),
        *(when(raw.get(c)) for c in CONV_TIMES), json.dumps(extra),
    ), json_at=(3 + len(CONV_COLUMNS) + len(CONV_TIMES),))


def conversation_fields(row: Any) -> dict[str, str]:
    """A conversations row as the fields of its Redis hash."""
    out = {"id": row["id"], "tenant": row["tenant"], "seq": str(row["seq"])}
    out.update({c: row[c] for c in CONV_COLUMNS})
    out.update({c: epoch(row[c]) for c in CONV_TIMES})
    out.update({k: str(v) for k, v in json.loads(row["fields"] or "{}").items()})
    return out


UPSERT_MESSAGE = """
INSERT INTO messages (tenant, conversation_id, seq, id, author_kind, author_name, author_id, text, ts, client_id,
                      extra, search_config)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::regconfig)
ON CONFLICT (tenant, conversation_id, seq) DO NOTHING
"""


def message_row(tenant: str, cid: str, seq: int, f: dict[str, str], language: str) -> tuple:
    return _texts((
        tenant, cid, seq, f.get("id", f"{cid}:{seq}"), f.get("kind", ""), f.get("name", ""), f.get("aid", ""),
        f.get("text", ""), when(f.get("ts")) or datetime.fromtimestamp(0, UTC), f.get("cid", ""),
        f.get("extra") or "{}", search_config(language),
    ), json_at=(10,))


def message_fields(row: Any) -> dict[str, str]:
    """A messages row as the fields of its stream entry (gateway/store/messages.py)."""
    out = {
        "id": row["id"], "kind": row["author_kind"], "name": row["author_name"], "aid": row["author_id"],
        "text": row["text"], "ts": repr(row["ts"].timestamp()),
    }
    if row["client_id"]:
        out["cid"] = row["client_id"]
    if row["extra"] and row["extra"] != "{}":
        out["extra"] = row["extra"]
    return out


UPSERT_ATTACHMENT = """
INSERT INTO attachments (tenant, id, conversation_id, seq, name, mime, size, state)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (tenant, id) DO UPDATE SET name = EXCLUDED.name, mime = EXCLUDED.mime, size = EXCLUDED.size,
  state = EXCLUDED.state
"""


def attachment_rows(tenant: str, cid: str, seq: int, f: dict[str, str]) -> list[tuple]:
    try:
        files = json.loads(f.get("extra") or "{}").get("attachments") or []
    except (ValueError, AttributeError):
        return []
    return [
        _texts((tenant, str(a["id"]), cid, seq, str(a.get("name", "")), str(a.get("mime", "")),
                int(a.get("size") or 0), str(a.get("state", ""))))
        for a in files if isinstance(a, dict) and a.get("id")
    ]


UPSERT_CONTACT = """
INSERT INTO contacts (tenant, id, name, email, phone, email_verified, phone_verified, merged_into, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (tenant, id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, phone = EXCLUDED.phone,
  email_verified = EXCLUDED.email_verified, phone_verified = EXCLUDED.phone_verified,
  merged_into = EXCLUDED.merged_into, created_at = EXCLUDED.created_at, archived_at = now()
"""


def contact_row(tenant: str, contact_id: str, raw: dict[str, str]) -> tuple:
    return _texts((
        tenant, contact_id, raw.get("name", ""), raw.get("email", ""), raw.get("phone", ""),
        raw.get("email_verified") == "1", raw.get("phone_verified") == "1", raw.get("merged_into", ""),
        when(raw.get("created_at")),
    ))


UPSERT_IDENTITY = """
INSERT INTO identities (tenant, kind, value, contact_id) VALUES ($1, $2, $3, $4)
ON CONFLICT (tenant, kind, value) DO UPDATE SET contact_id = EXCLUDED.contact_id
"""


def identity_rows(tenant: str, contact_id: str, identities: list[str]) -> list[tuple]:
    return [_texts((tenant, *ident.split(":", 1), contact_id)) for ident in identities if ":" in ident]


INSERT_AUDIT = """
INSERT INTO audit (tenant, id, ts, actor, role, action, details) VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (tenant, id) DO NOTHING
"""


def audit_row(tenant: str, f: dict[str, str]) -> tuple:
    return _texts((
        tenant, f.get("archive_id", ""), when(f.get("ts")) or datetime.fromtimestamp(0, UTC), f.get("actor", ""),
        f.get("role", ""), f.get("action", ""), f.get("details") or "{}",
    ), json_at=(6,))


INSERT_ACD_EVENT = """
INSERT INTO acd_events (tenant, id, ev, ts, queue, minute, fields) VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (tenant, id) DO NOTHING
"""


def acd_event_row(tenant: str, entry_id: str, f: dict[str, str]) -> tuple:
    rest = {k: v for k, v in f.items() if k not in ("ev", "ts", "q", "m")}
    minute = f.get("m")
    return _texts((
        tenant, entry_id, f.get("ev", ""), when(f.get("ts")) or datetime.fromtimestamp(0, UTC), f.get("q", ""),
        int(float(minute)) if minute else None, json.dumps(rest),
    ), json_at=(6,))
