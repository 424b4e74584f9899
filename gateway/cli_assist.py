"""``omnirelay assist seed --tenant T FILE``: import agents' choices of canned answers (JSON lines of
``{"text", "canned", "language"}``: the customer message and the canned answer sent in reply) into the
history database, as if the tenant's agents had made them. The answer suggestions learn from them and
the automatic answers' threshold is measured on them (docs/assist.md). ``make run`` seeds the demo
tenant once with the simulated week in assist/eval/agent_week.jsonl.

All or nothing: a file with any bad line stores nothing and lists every error as ``FILE:LINE: message``.
A file imported before (the same content for the same tenant) is not imported again. The database is
DATABASE_URL or, as ``omnirelay db`` does, the embedded PostgreSQL started for the command (so with the
embedded one, stop the gateway first); its migrations are applied first.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from gateway.cli_config import tenant_config
from gateway.config.schema import TenantConfig

SEED_AGENT = "seed"  # assist_choices.agent_id of imported rows
MAX_TEXT = 4096  # as long as a customer message may be


@dataclass(frozen=True)
class Choice:
    text: str
    canned_id: str
    language: str


def add_parser(sub: Any) -> None:
    assist = sub.add_parser("assist", help="assist: import agents' choices of canned answers")
    actions = assist.add_subparsers(dest="assist_command", required=True)
    seed = actions.add_parser("seed", help="import agents' choices (JSON lines of text, canned, language)")
    seed.add_argument("--config", default=os.environ.get("OMNIRELAY_CONFIG"), help="config file (default $OMNIRELAY_CONFIG)")
    seed.add_argument("--tenant", required=True)
    seed.add_argument("file")


def run(args: argparse.Namespace) -> int:
    from gateway.history.embedded import EmbeddedPostgresError

    config = tenant_config("assist seed", args.config, args.tenant)
    if isinstance(config, int):
        return config
    tenant = config.tenants[args.tenant]
    try:
        raw = Path(args.file).read_bytes()
    except OSError as err:
        print(f"omnirelay assist seed: {args.file}: {err.strerror or err}", file=sys.stderr)
        return 1
    choices, errors = parse_choices(raw, tenant, args.file)
    if errors:
        print("\n".join(errors), file=sys.stderr)
        print(f"omnirelay assist seed: nothing imported ({len(errors)} error(s))", file=sys.stderr)
        return 1
    batch = "seed:" + hashlib.sha256(raw).hexdigest()[:16]  # the rows' conversation_id: the same file is one batch
    data_dir = Path(os.environ.get("OMNIRELAY_DATA_DIR", "var")).resolve()
    try:
        stored = asyncio.run(_store(os.environ.get("DATABASE_URL") or None, data_dir, args.tenant, batch, choices))
    except (EmbeddedPostgresError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as err:
        print(f"omnirelay assist seed: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    if stored:
        print(f"imported {len(choices)} choices for tenant {args.tenant} ({batch})")
    else:
        print(f"already imported for tenant {args.tenant} ({batch}): nothing to do")
    return 0


def parse_choices(raw: bytes, tenant: TenantConfig, name: str) -> tuple[list[Choice], list[str]]:
    """The file's choices with a canned answer (free-text replies are skipped), or every bad line's error."""
    canned = {c.id for c in tenant.canned}
    choices: list[Choice] = []
    errors: list[str] = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return [], [f"{name}: not UTF-8 text"]
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            errors.append(f"{where}: not JSON ({err.msg})")
            continue
        if not isinstance(row, dict):
            errors.append(f"{where}: expected an object with text, canned and language")
            continue
        said, canned_id, language = row.get("text"), row.get("canned"), row.get("language", "")
        if not isinstance(said, str) or not said.strip() or len(said) > MAX_TEXT:
            errors.append(f"{where}: 'text' must be the customer's message (1 to {MAX_TEXT} characters)")
        elif canned_id is not None and canned_id not in canned:
            errors.append(f"{where}: 'canned' {canned_id!r} is not one of the tenant's canned answers")
        elif not isinstance(language, str) or (language and language not in tenant.languages):
            errors.append(f"{where}: 'language' must be one of {', '.join(tenant.languages)}")
        elif canned_id is not None:
            choices.append(Choice(said, canned_id, language))
    if not errors and not choices:
        errors.append(f"{name}: no choice of a canned answer in it")
    return choices, errors


async def _store(dsn: str | None, data_dir: Path, tenant: str, batch: str, choices: list[Choice]) -> bool:
    """Insert the batch in one transaction unless it is there already; True when it was inserted."""
    from gateway.history import migrate
    from gateway.history.embedded import EmbeddedPostgres

    server = None
    if dsn is None:
        server = EmbeddedPostgres(data_dir / "postgres")
        dsn = await server.start()
    try:
        await migrate.upgrade(dsn)
        conn = await asyncpg.connect(dsn, timeout=30)
        try:
            async with conn.transaction():
                # one import of a batch at a time, even when two commands race
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"{tenant}/{batch}")
                if await conn.fetchval("SELECT 1 FROM assist_choices WHERE tenant_id = $1 AND conversation_id = $2 "
                                       "LIMIT 1", tenant, batch):
                    return False
                await conn.executemany(
                    "INSERT INTO assist_choices (tenant_id, conversation_id, text, canned_id, language, agent_id) "
                    "VALUES ($1, $2, $3, $4, $5, $6)",
                    [(tenant, batch, c.text, c.canned_id, c.language, SEED_AGENT) for c in choices])
            return True
        finally:
            await conn.close()
    finally:
        if server is not None:
            await server.stop()
