"""`omnirelay db upgrade|current`: the history database's migrations, on DATABASE_URL or, when it
is unset, on the embedded PostgreSQL under OMNIRELAY_DATA_DIR (started for the command, stopped after)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

import asyncpg


def add_parser(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="the history database (PostgreSQL): migrations")
    actions = db.add_subparsers(dest="db_command", required=True)
    actions.add_parser("upgrade", help="apply every migration not yet applied")
    actions.add_parser("current", help="print the revision the database is at (and this build's head)")


def run(args: argparse.Namespace) -> int:
    from gateway.history.embedded import EmbeddedPostgresError
    from gateway.history.service import describe

    dsn = os.environ.get("DATABASE_URL") or None
    try:
        data_dir = Path(os.environ.get("OMNIRELAY_DATA_DIR", "var")).resolve()
        return asyncio.run(_run(args.db_command, dsn, data_dir))
    except (EmbeddedPostgresError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError, ValueError) as err:
        where = describe(dsn) if dsn else "the embedded PostgreSQL"
        print(f"omnirelay db {args.db_command}: {where}: {type(err).__name__}: {err}", file=sys.stderr)
        return 1


async def _run(command: str, dsn: str | None, data_dir: Path) -> int:
    from gateway.history import migrate
    from gateway.history.embedded import EmbeddedPostgres

    server = None
    if dsn is None:
        server = EmbeddedPostgres(data_dir / "postgres")
        dsn = await server.start()
    try:
        if command == "upgrade":
            before = await migrate.current(dsn)
            after = await migrate.upgrade(dsn)
            print(f"upgraded: {before or 'empty'} -> {after}" if before != after else f"already at {after} (head)")
            return 0
        have, head = await migrate.current(dsn), migrate.head()
        print(f"{have or 'empty'}{' (head)' if have == head else f' (behind: head is {head})'}")
        return 0 if have == head else 3
    finally:
        if server is not None:
            await server.stop()
