"""The history database's migrations from the command line, and a gateway that refuses a schema
that is behind (an external DATABASE_URL nobody has upgraded)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from lifecycle_helpers import ROOT, free_port, serve

from gateway.history import migrate

pytestmark = pytest.mark.slow


async def _empty_database(database_url: str) -> str:
    """A new, empty database on the test server; its DSN."""
    name = f"empty_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _db(command: str, dsn: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": dsn}
    return subprocess.run([sys.executable, "-m", "gateway", "db", command], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


async def test_db_upgrade_on_an_empty_database_then_current(database_url):
    dsn = await _empty_database(database_url)
    before = _db("current", dsn)
    assert before.returncode == 3 and "empty" in before.stdout and "behind" in before.stdout
    up = _db("upgrade", dsn)
    assert up.returncode == 0, up.stderr
    head = migrate.head()  # the newest revision in gateway/history/migrations/versions
    assert f"upgraded: empty -> {head}" in up.stdout
    now = _db("current", dsn)
    assert now.returncode == 0 and now.stdout.strip() == f"{head} (head)"
    again = _db("upgrade", dsn)
    assert again.returncode == 0 and f"already at {head}" in again.stdout
    conn = await asyncpg.connect(dsn)
    try:
        tables = {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    finally:
        await conn.close()
    assert {"conversations", "messages", "attachments", "contacts", "identities", "acd_events", "audit"} <= tables


async def test_an_unreachable_database_is_one_clear_line(tmp_path):
    result = _db("current", "postgresql://someone:hunter2@127.0.0.1:9/nothing")
    assert result.returncode == 1
    assert "127.0.0.1:9/nothing" in result.stderr and "hunter2" not in result.stderr
    assert "Traceback" not in result.stderr


async def test_the_gateway_refuses_to_start_on_a_schema_that_is_behind(database_url, tmp_path):
    dsn = await _empty_database(database_url)
    gw = serve(tmp_path / "var", free_port(), env={"DATABASE_URL": dsn})
    try:
        assert await gw.exited(30) == 1
        out = gw.output()
        assert "omnirelay db upgrade" in out and "Traceback" not in out
    finally:
        gw.kill()
