"""The admin settings in PostgreSQL (migration 0005): rows per item and one revision per tenant.

A change runs in one transaction that holds the tenant's revision row locked, so every gateway
process's writes to a tenant happen one after another and each sees the one before."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import asyncpg

from gateway.admin.overlay import Stored
from gateway.history.rows import INSERT_AUDIT

DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


async def revisions(pool: asyncpg.Pool) -> dict[str, int]:
    """Every tenant's current revision (a tenant never changed is not listed: revision 0)."""
    rows = await pool.fetch("SELECT tenant_id, revision FROM admin_revisions", timeout=5)
    return {r["tenant_id"]: r["revision"] for r in rows}


async def load(conn: asyncpg.Connection | asyncpg.Pool, tenant: str) -> tuple[int, list[Stored]]:
    """The tenant's revision and stored items (read in one snapshot when ``conn`` is in a transaction)."""
    revision = await conn.fetchval("SELECT revision FROM admin_revisions WHERE tenant_id = $1", tenant) or 0
    rows = await conn.fetch(
        "SELECT kind, item_id, body, deleted, changed_at, changed_by FROM admin_settings WHERE tenant_id = $1", tenant)
    return revision, [
        Stored(r["kind"], r["item_id"], json.loads(r["body"]) if r["body"] is not None else None, r["deleted"],
               r["changed_at"], r["changed_by"]) for r in rows
    ]


async def lock_revision(conn: asyncpg.Connection, tenant: str) -> int:
    """Take the tenant's revision row for this transaction; its current value."""
    await conn.execute("INSERT INTO admin_revisions (tenant_id, revision) VALUES ($1, 0) ON CONFLICT DO NOTHING", tenant)
    return await conn.fetchval("SELECT revision FROM admin_revisions WHERE tenant_id = $1 FOR UPDATE", tenant)


async def save(conn: asyncpg.Connection, tenant: str, revision: int, item: Stored) -> None:
    await conn.execute(
        """INSERT INTO admin_settings (tenant_id, kind, item_id, body, deleted, revision, changed_at, changed_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (tenant_id, kind, item_id) DO UPDATE SET body = EXCLUDED.body, deleted = EXCLUDED.deleted,
               revision = EXCLUDED.revision, changed_at = EXCLUDED.changed_at, changed_by = EXCLUDED.changed_by""",
        tenant, item.kind, item.item_id, None if item.body is None else json.dumps(item.body), item.deleted, revision,
        item.changed_at or datetime.now(UTC), item.changed_by)


async def drop(conn: asyncpg.Connection, tenant: str, kind: str, item_id: str) -> None:
    await conn.execute("DELETE FROM admin_settings WHERE tenant_id = $1 AND kind = $2 AND item_id = $3",
                       tenant, kind, item_id)


async def bump(conn: asyncpg.Connection, tenant: str, revision: int) -> None:
    await conn.execute("UPDATE admin_revisions SET revision = $2 WHERE tenant_id = $1", tenant, revision)


async def audit(conn: asyncpg.Connection, tenant: str, entry: dict[str, str]) -> None:
    """The change's audit entry, in its transaction (the Redis stream gets the same id afterwards)."""
    await conn.execute(INSERT_AUDIT, tenant, entry["archive_id"], datetime.fromtimestamp(float(entry["ts"]), UTC),
                       entry["actor"], entry["role"], entry["action"], entry["details"])
