"""What the topic classifier learns from and what it learned, in the history database (migration
0006): the agents' signals (a corrected topic or language) and each tenant's latest trained model."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

MODEL_KIND = "topics"
SIGNALS_MAX = 20_000  # the newest signals a tenant's topic model learns from (every agent's close is one)


@dataclass(frozen=True)
class Signal:
    """An agent's confirmation: this customer text is about ``topic`` (and/or in ``language``)."""

    text: str
    topic: str | None
    language: str | None
    source: str  # correction | supervisor_correction (weigh most), closed | transfer (gateway/assist/confirm.py)
    conversation_id: str = ""
    actor: str = ""
    id: int = 0  # the row's id once stored (0: not stored yet)


@dataclass(frozen=True)
class StoredModel:
    version: str
    body: bytes
    last_signal: int  # the newest signal it was trained with


async def add_signal(pool: asyncpg.Pool, tenant: str, signal: Signal) -> int:
    """Store one signal; its id."""
    return int(await pool.fetchval(
        "INSERT INTO assist_signals (tenant_id, conversation_id, text, topic, language, source, actor) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        tenant, signal.conversation_id, signal.text, signal.topic, signal.language, signal.source, signal.actor,
    ))


async def topic_signals(pool: asyncpg.Pool, tenant: str) -> list[Signal]:
    """The tenant's newest ``SIGNALS_MAX`` topic signals, oldest first."""
    rows = await pool.fetch(
        "SELECT * FROM (SELECT id, conversation_id, text, topic, language, source, actor FROM assist_signals "
        "WHERE tenant_id = $1 AND topic IS NOT NULL ORDER BY id DESC LIMIT $2) newest ORDER BY id", tenant, SIGNALS_MAX,
    )
    return [Signal(r["text"], r["topic"], r["language"], r["source"], r["conversation_id"], r["actor"], r["id"])
            for r in rows]


async def signal_mark(pool: asyncpg.Pool, tenant: str) -> tuple[int, int, int]:
    """Of the signals ``topic_signals`` reads: the newest id (0: none), how many, and the sum of their ids.
    A new signal raises the first; an erased one (gateway/history/privacy.py) changes the sum."""
    row = await pool.fetchrow(
        "SELECT coalesce(max(id), 0) AS newest, count(*) AS n, coalesce(sum(id), 0) AS ids FROM "
        "(SELECT id FROM assist_signals WHERE tenant_id = $1 AND topic IS NOT NULL ORDER BY id DESC LIMIT $2) newest",
        tenant, SIGNALS_MAX,
    )
    return int(row["newest"]), int(row["n"]), int(row["ids"])


async def load_model(pool: asyncpg.Pool, tenant: str) -> StoredModel | None:
    row = await pool.fetchrow(
        "SELECT version, body, last_signal FROM assist_models WHERE tenant_id = $1 AND kind = $2", tenant, MODEL_KIND,
    )
    return StoredModel(row["version"], bytes(row["body"]), int(row["last_signal"])) if row else None


async def stored_version(pool: asyncpg.Pool, tenant: str) -> str | None:
    return await pool.fetchval(
        "SELECT version FROM assist_models WHERE tenant_id = $1 AND kind = $2", tenant, MODEL_KIND,
    )


async def save_model(pool: asyncpg.Pool, tenant: str, model: StoredModel) -> None:
    """Keep ``model`` as the tenant's latest (a newer one stored meanwhile by another process wins)."""
    await pool.execute(
        "INSERT INTO assist_models (tenant_id, kind, version, body, last_signal) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (tenant_id, kind) DO UPDATE SET version = EXCLUDED.version, body = EXCLUDED.body, "
        "last_signal = EXCLUDED.last_signal, trained_at = now() "
        "WHERE assist_models.last_signal <= EXCLUDED.last_signal",
        tenant, MODEL_KIND, model.version, model.body, model.last_signal,
    )
