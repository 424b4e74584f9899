"""Versioned migrations of the history database (Alembic, versions in ./migrations/versions):
apply them (``omnirelay db upgrade``), tell where a database stands, refuse one that is behind."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaBehind(RuntimeError):
    """The database's schema is older than this omnirelay needs."""


def _config(dsn: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["dsn"] = dsn
    return cfg


def head() -> str:
    """The newest revision this build ships."""
    from alembic.script import ScriptDirectory

    found = ScriptDirectory.from_config(_config("")).get_current_head()
    assert found is not None
    return found


async def upgrade(dsn: str) -> str:
    """Apply every migration not yet applied; returns the revision the database is now at."""
    from alembic import command

    # Alembic is synchronous and runs its own event loop (env.py): give it a thread of its own
    await asyncio.get_running_loop().run_in_executor(None, command.upgrade, _config(dsn), "head")
    return await current(dsn) or ""


async def current(dsn: str) -> str | None:
    """The revision the database is at (None: never migrated)."""
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        if not await conn.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL"):
            return None
        return await conn.fetchval("SELECT version_num FROM alembic_version")
    finally:
        await conn.close()


async def check(dsn: str) -> None:
    """Raise SchemaBehind unless the database is at this build's head."""
    want = head()
    have = await current(dsn)
    if have != want:
        raise SchemaBehind(
            f"the history database's schema is at revision {have or 'none (empty database)'}, this omnirelay "
            f"needs {want}: run `omnirelay db upgrade` (with the same DATABASE_URL), then start again"
        )
