"""``omnirelay apikeys create|list|revoke --tenant T …``: an operator's hand on the tenant's API keys
(gateway/api_keys.py), on the gateways' Redis (``REDIS_URL``; unset, the embedded Redis of a running
gateway, or one started for the command). ``create`` prints the new key as its last line, once.
Audited as ``cli:<user>``."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from redis.exceptions import RedisError

from gateway.cli_config import tenant_config

_DURATION = re.compile(r"^(\d{1,5})([dhm])$")
_UNIT_S = {"d": 86400, "h": 3600, "m": 60}


def add_parser(sub: Any) -> None:
    keys = sub.add_parser("apikeys", help="create, list or revoke a tenant's API keys")
    actions = keys.add_subparsers(dest="apikeys_command", required=True)
    for name, text in (("create", "make a key; prints it as the last line, once"),
                       ("list", "the tenant's keys (never the keys themselves)"),
                       ("revoke", "revoke a key at once, in every gateway process")):
        action = actions.add_parser(name, help=text)
        action.add_argument("--config", default=os.environ.get("OMNIRELAY_CONFIG"), help="config file (default $OMNIRELAY_CONFIG)")
        action.add_argument("--tenant", required=True)
        if name == "create":
            action.add_argument("--name", required=True)
            action.add_argument("--scopes", help="read, write and/or admin, comma-separated (write includes read)")
            action.add_argument("--scope", action="append", default=[], choices=("read", "write", "admin"),
                                help="a scope (may be repeated; the same as --scopes)")
            action.add_argument("--expires-in", help="e.g. 90d, 12h or 30m (default: never)")
        if name == "revoke":
            which = action.add_mutually_exclusive_group(required=True)
            which.add_argument("--name")
            which.add_argument("--id")


def parse_duration(text: str) -> float:
    """Seconds of ``90d``, ``12h`` or ``30m``; ValueError otherwise."""
    found = _DURATION.match(text.strip())
    if not found or int(found.group(1)) == 0:
        raise ValueError(f"{text!r} is no duration such as 90d, 12h or 30m")
    return int(found.group(1)) * _UNIT_S[found.group(2)]


def run(args: argparse.Namespace) -> int:
    config = tenant_config("apikeys", args.config, args.tenant)
    if isinstance(config, int):
        return config
    data_dir = Path(os.environ.get("OMNIRELAY_DATA_DIR", "var")).resolve()
    try:
        return asyncio.run(_run(args, data_dir))
    except (OSError, RedisError, TimeoutError) as err:
        print(f"omnirelay apikeys {args.apikeys_command}: {type(err).__name__}: {err}", file=sys.stderr)
        return 1


async def _run(args: argparse.Namespace, data_dir: Path) -> int:
    from acd.lua_runner import runner
    from gateway.cli_contacts import _redis

    async with _redis(data_dir) as (redis, _):
        try:
            return await _act(redis, args)
        finally:
            await runner(redis).aclose()


def _fail(args: argparse.Namespace, message: str, code: int = 1) -> int:
    print(f"omnirelay apikeys {args.apikeys_command}: {message}", file=sys.stderr)
    return code


async def _act(redis: Any, args: argparse.Namespace) -> int:
    from gateway.api_keys import Invalid, NameTaken, create_key, key_named, list_keys, revoke_key
    from gateway.cli_contacts import _audit, _operator

    tenant = args.tenant
    if args.apikeys_command == "create":
        scopes = [*(args.scopes.split(",") if args.scopes else []), *args.scope]
        try:
            expires_at = time.time() + parse_duration(args.expires_in) if args.expires_in else None
            key, record = await create_key(redis, tenant, name=args.name, scopes=scopes,
                                           created_by=_operator(tenant).user_id, expires_at=expires_at)
        except (ValueError, Invalid) as err:
            return _fail(args, str(err), 2)
        except NameTaken:
            return _fail(args, f"tenant {tenant} already has a key named {args.name!r}; revoke it or choose another name")
        await _audit(redis, tenant, "apikey.create", {"key_id": record.id, "name": record.name, "scopes": record.scopes,
                                                      "expires_at": record.expires_at})
        expiry = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.expires_at)) if record.expires_at else "never"
        print(f"API key {record.name!r} ({record.id}) of tenant {tenant}, scopes {','.join(record.scopes)}, "
              f"expires {expiry}. It is shown only now; keep it secret:")
        print(key)
        return 0
    if args.apikeys_command == "list":
        now = time.time()
        print(f"{'id':<20} {'name':<24} {'scopes':<16} {'state':<8} {'created':<17} {'expires':<17} last used")
        for k in await list_keys(redis, tenant):
            print(f"{k.id:<20} {k.name:<24} {','.join(k.scopes):<16} {k.state(now):<8} {_when(k.created_at):<17} "
                  f"{_when(k.expires_at) or 'never':<17} {_when(k.last_used_at) or '-'}")
        return 0
    key_id = args.id or await key_named(redis, tenant, args.name)
    found = await revoke_key(redis, tenant, key_id) if key_id else None
    if found is None:
        return _fail(args, f"tenant {tenant} has no active key {args.name or args.id!r}")
    await _audit(redis, tenant, "apikey.revoke", {"key_id": found.id, "name": found.name})
    print(f"revoked API key {found.name!r} ({found.id}) of tenant {tenant}")
    return 0


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else ""
