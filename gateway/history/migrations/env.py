"""Alembic's environment for the history database: runs the versions on the asyncpg DSN that
gateway.history.migrate hands over (config.attributes["dsn"]); no alembic.ini, no ORM models."""

from __future__ import annotations

import asyncio

import asyncpg
from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

DSN: str = context.config.attributes["dsn"]


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()


async def _main() -> None:
    # asyncpg connects with the DSN as given (unix sockets included); SQLAlchemy only drives it
    engine = create_async_engine("postgresql+asyncpg://", async_creator=lambda: asyncpg.connect(DSN))
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url="postgresql://", literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_main())
