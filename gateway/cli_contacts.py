"""``omnirelay contacts export|erase --tenant T --contact ID``: the supervisor's data-protection
actions for an operator at the shell (gateway/history/privacy.py). They work on the same Redis and
history database as the gateways: ``REDIS_URL`` / ``DATABASE_URL``; unset, the embedded Redis of a
running gateway (or one started for the command) and, as ``omnirelay db`` does, the embedded
PostgreSQL started for the command (so with embedded PostgreSQL, stop the gateway first).
Audited as ``cli:<user>``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.cli_config import tenant_config
from gateway.config.schema import Config


def add_parser(sub: Any) -> None:
    contacts = sub.add_parser("contacts", help="export or erase everything about one contact (data protection)")
    actions = contacts.add_subparsers(dest="contacts_command", required=True)
    for name, text in (("export", "write a zip of everything about the contact"),
                       ("erase", "erase the contact everywhere (Redis, PostgreSQL, files), audited")):
        action = actions.add_parser(name, help=text)
        action.add_argument("--config", default=os.environ.get("OMNIRELAY_CONFIG"), help="config file (default $OMNIRELAY_CONFIG)")
        action.add_argument("--tenant", required=True)
        action.add_argument("--contact", required=True, help="contact id (k_…)")
        if name == "export":
            action.add_argument("--out", required=True, help="directory the zip is written to")


def run(args: argparse.Namespace) -> int:
    from gateway.history.embedded import EmbeddedPostgresError
    from gateway.store.ids import is_id

    config = tenant_config("contacts", args.config, args.tenant)
    if isinstance(config, int):
        return config
    if not is_id("k", args.contact):
        print(f"omnirelay contacts: {args.contact!r} is not a contact id (k_ and 16 hex digits)", file=sys.stderr)
        return 2
    data_dir = Path(os.environ.get("OMNIRELAY_DATA_DIR", "var")).resolve()
    try:
        return asyncio.run(_run(args, config, data_dir))
    except (EmbeddedPostgresError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError, RedisError, TimeoutError) as err:
        print(f"omnirelay contacts {args.contacts_command}: {type(err).__name__}: {err}", file=sys.stderr)
        return 1


async def _run(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    from gateway.history.privacy import ContactUnknown, erase_contact, export_contact
    from gateway.media.storage import media_root

    async with _redis(data_dir) as (redis, redis_url), _database(data_dir) as pool:
        try:
            if args.contacts_command == "export":
                name, data = await export_contact(redis, pool, args.tenant, args.contact, media_root=media_root(config))
                path = await asyncio.to_thread(_write, Path(args.out), name, data)
                await _audit(redis, args.tenant, "contact.export", {"contact_id": args.contact, "bytes": len(data)})
                print(path)
                return 0
            result = await erase_contact(redis, pool, args.tenant, args.contact, media_root=media_root(config),
                                         who=_operator(args.tenant), close=await _closer(redis, redis_url, config, args.tenant))
            print(f"erased contact {result.contact_id}: {result.conversations} conversations, {result.files} files"
                  + (" (it had been erased before)" if result.already_erased else ""))
            return 0
        except ContactUnknown:
            print(f"omnirelay contacts {args.contacts_command}: no contact {args.contact} in tenant {args.tenant}",
                  file=sys.stderr)
            return 1


def _write(out: Path, name: str, data: bytes) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # personal data: its owner only
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


def _operator(tenant: str) -> Any:
    from gateway.auth import Principal

    user = f"cli:{getpass.getuser()}"
    return Principal(tenant=tenant, user_id=user, role="operator", name=user, session_id="", expires_at=0.0)


async def _audit(redis: Redis, tenant: str, action: str, details: dict) -> None:
    from gateway.audit import audit
    from gateway.keys import TenantKeys

    await audit(redis, TenantKeys(tenant), _operator(tenant), action, details)


async def _closer(redis: Redis, redis_url: str, config: Config, tenant: str) -> Any:
    """Close an open conversation through the gateway's one close path; customers and agents hear of
    it through Socket.IO's Redis channel, which every running gateway listens on."""
    from gateway.auth import Sessions
    from gateway.conversations.closing import end_conversation
    from gateway.emitter import Emitter
    from gateway.metrics import Metrics
    from gateway.routing import Router
    from gateway.services import Services
    from gateway.sockets import fastjson
    from gateway.sockets.redis_manager import RedisFanout

    emitter = cast(Emitter, RedisFanout(redis_url, channel="omnirelay-socketio", write_only=True, json=fastjson))
    metrics = Metrics()
    router = Router(redis, config, emitter, metrics, f"cli-{os.getpid()}")
    svc = Services(config=config, redis=redis, sio=emitter, sessions=Sessions(redis, config), router=router,
                   metrics=metrics, node_id=f"cli-{os.getpid()}")

    async def close(conv: Any) -> None:
        await end_conversation(svc, tenant, conv, reason="erased")

    return close


@contextlib.asynccontextmanager
async def _redis(data_dir: Path) -> AsyncIterator[tuple[Redis, str]]:
    from gateway.embedded_redis import EmbeddedRedis
    from gateway.redis_client import connect

    url, server = os.environ.get("REDIS_URL") or "", None
    if not url:  # the embedded server of a running gateway, or one started for the command
        embedded = EmbeddedRedis(data_dir)
        url = embedded.url
        probe = connect(url)
        try:
            await probe.ping()
        except (RedisError, OSError):
            await embedded.start()
            server = embedded
        finally:
            await probe.aclose()
    client = connect(url)
    try:
        await client.ping()
        yield client, url
    finally:
        await client.aclose()
        if server is not None:
            await server.stop()


@contextlib.asynccontextmanager
async def _database(data_dir: Path) -> AsyncIterator[asyncpg.Pool]:
    from gateway.history import migrate
    from gateway.history.embedded import EmbeddedPostgres

    dsn, server = os.environ.get("DATABASE_URL") or "", None
    if not dsn:  # as `omnirelay db`: the embedded server, started for the command (stop the gateway first)
        server = EmbeddedPostgres(data_dir / "postgres")
        dsn = await server.start()
    await migrate.check(dsn)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2, timeout=10)
    try:
        yield pool
    finally:
        await pool.close()
        if server is not None:
            await server.stop()
