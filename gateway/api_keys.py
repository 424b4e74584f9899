"""API keys of a tenant for integrators: made, listed and revoked by an admin (REST or ``omnirelay
apikeys``), presented as ``Authorization: Bearer ork_…``, stored in Redis as a SHA-256 of the key.

A key is 256 random bits, so a fast hash is enough: nobody can guess their way back from it, and a
fixed hash (no salt) is what lets the key be looked up by its hash in one GET. A slow password hash
(argon2) would only add 64 MiB and ~50 ms to every API call. The key itself is never stored, logged
or audited; the admin sees it once, when it is made.

Redis holds the records (not the history database; docs/api.md says why): every request reads the
key's record, so a revocation takes effect from the next request on in every gateway process, with
no cache to invalidate."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import asdict, dataclass, field

from redis.asyncio import Redis

from acd import replies
from acd.lua_runner import runner
from gateway.auth import AuthError, Principal
from gateway.keys import TenantKeys, api_key_lookup
from gateway.store.ids import new_id
from gateway.store.scripts import store_script

PREFIX = "ork_"
SCOPES = ("read", "write", "admin")  # each includes the ones before it
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")
_KEY = re.compile(r"^ork_[A-Za-z0-9_-]{43}$")  # "ork_" and 32 random bytes, URL-safe base64
MAX_EXPIRY_S = 10 * 366 * 86400
REVOKED_LOOKUP_S = 30 * 86400
CREATE = store_script("api_key_create")
REVOKE = store_script("api_key_revoke")


class Invalid(ValueError):
    """A create request that cannot be carried out: ``field`` names the input."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class NameTaken(Exception):
    """The tenant already has a key of that name that is not revoked."""


@dataclass(slots=True)
class ApiKey:
    """A key's record: everything but the key itself."""

    id: str
    tenant: str
    name: str
    scopes: list[str]
    created_by: str
    created_at: float
    expires_at: float | None = None
    revoked_at: float | None = None
    last_used_at: float | None = None
    calls: int = 0
    hash: str = field(default="", repr=False)

    def state(self, now: float) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at is not None and self.expires_at <= now else "active"

    def to_wire(self, now: float | None = None) -> dict:
        """The record as the admin sees it (never the hash)."""
        out = asdict(self)
        out.pop("hash")
        return {**out, "state": self.state(time.time() if now is None else now)}


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_key(token: str | None) -> bool:
    """Whether a bearer token is meant as an API key (anything else is a login token)."""
    return isinstance(token, str) and token.startswith(PREFIX)


def normalise_scopes(scopes: object) -> list[str]:
    """The scopes a key gets: each one asked for and those it includes (``write`` also reads)."""
    if isinstance(scopes, str):
        scopes = [s.strip() for s in scopes.split(",") if s.strip()]
    if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) for s in scopes):
        raise Invalid("scopes", f"give one or more scopes of {', '.join(SCOPES)}")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise Invalid("scopes", f"unknown scope {unknown[0]!r}: use {', '.join(SCOPES)}")
    top = max(SCOPES.index(s) for s in scopes)
    return list(SCOPES[: top + 1])


def _record(raw: object, tenant: str) -> ApiKey | None:
    text = replies.maybe_text(raw)
    if not text:
        return None
    data = json.loads(text)
    return ApiKey(id=data["id"], tenant=tenant, name=data["name"], scopes=list(data["scopes"]),
                  created_by=data.get("created_by", ""), created_at=float(data["created_at"]),
                  expires_at=_float(data.get("expires_at")), revoked_at=_float(data.get("revoked_at")),
                  hash=data.get("hash", ""))


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


async def create_key(redis: Redis, tenant: str, *, name: str, scopes: object, created_by: str,
                     expires_at: float | None = None, now: float | None = None) -> tuple[str, ApiKey]:
    """A new key and its record; the key is returned here once and never again."""
    now = time.time() if now is None else now
    if not isinstance(name, str) or not NAME.match(name.strip()):
        raise Invalid("name", "a name of 1 to 64 letters, digits, spaces, '.', '_' or '-'")
    if expires_at is not None and not now < expires_at <= now + MAX_EXPIRY_S:
        raise Invalid("expires_at", "the expiry must lie in the future, within ten years")
    key = PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(id=new_id("p"), tenant=tenant, name=name.strip(), scopes=normalise_scopes(scopes),
                    created_by=created_by, created_at=now, expires_at=expires_at, hash=key_hash(key))
    stored = {k: v for k, v in asdict(record).items() if k not in ("tenant", "last_used_at", "calls")}
    keys = TenantKeys(tenant)
    if not await runner(redis).call(CREATE, keys=[keys.api_keys(), keys.api_key_names()],
                                    args=[record.id, record.name, json.dumps(stored)]):
        raise NameTaken(record.name)
    # the lookup is installation-wide (a key names no tenant): written after the tenant's record,
    # which stays the one every request checks
    lookup = api_key_lookup(record.hash)
    await redis.set(lookup, f"{tenant} {record.id}")
    if expires_at is not None:
        await redis.expireat(lookup, int(expires_at) + 1)
    return key, record


async def list_keys(redis: Redis, tenant: str) -> list[ApiKey]:
    """Every key of the tenant (revoked and expired ones too), newest first, with its use."""
    keys = TenantKeys(tenant)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(keys.api_keys())
        pipe.hgetall(keys.api_key_use())
        rows, use = await pipe.execute()
    use = replies.fields(use)
    out = []
    for raw in replies.fields(rows).values():
        found = _record(raw, tenant)
        if found is not None:
            found.last_used_at = _float(use.get(f"{found.id}:at"))
            found.calls = int(use.get(f"{found.id}:calls") or 0)
            out.append(found)
    return sorted(out, key=lambda k: (k.created_at, k.id), reverse=True)


async def revoke_key(redis: Redis, tenant: str, key_id: str, *, now: float | None = None) -> ApiKey | None:
    """Revoke a key (again is harmless); None when the tenant has no such key."""
    keys = TenantKeys(tenant)
    raw = await runner(redis).call(REVOKE, keys=[keys.api_keys(), keys.api_key_names()],
                                   args=[key_id, repr(time.time() if now is None else now)])
    found = _record(raw, tenant)
    if found is not None:  # the record refuses it already; the lookup stays a while to say "revoked", not "unknown"
        await redis.expire(api_key_lookup(found.hash), REVOKED_LOOKUP_S)
    return found


async def key_named(redis: Redis, tenant: str, name: str) -> str | None:
    """The id of the tenant's not revoked key of this name."""
    return replies.maybe_text(await redis.hget(TenantKeys(tenant).api_key_names(), name))


async def check_key(redis: Redis, key: str, *, now: float | None = None) -> Principal:
    """The principal of a valid key: its tenant, its name, its scopes. AuthError otherwise; the
    message never repeats the key."""
    now = time.time() if now is None else now
    if not _KEY.match(key):
        raise AuthError("malformed API key")
    digest = key_hash(key)
    found = replies.maybe_text(await redis.get(api_key_lookup(digest)))
    tenant, _, key_id = (found or "").partition(" ")
    record = _record(await redis.hget(TenantKeys(tenant).api_keys(), key_id), tenant) if key_id else None
    if record is None or not hmac.compare_digest(record.hash, digest):
        raise AuthError("unknown API key")
    if record.revoked_at is not None:
        raise AuthError("this API key has been revoked")
    if record.expires_at is not None and record.expires_at <= now:
        raise AuthError("this API key has expired")
    return Principal(tenant=tenant, user_id=f"apikey:{record.name}", role="supervisor", name=record.name,
                     session_id=record.id, expires_at=record.expires_at or 0.0, via="api_key",
                     scopes=tuple(record.scopes))


async def note_use(redis: Redis, who: Principal, *, now: float | None = None) -> None:
    """Count a call made with the key and remember when it was last used."""
    use = TenantKeys(who.tenant).api_key_use()
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hset(use, f"{who.session_id}:at", repr(time.time() if now is None else now))
        pipe.hincrby(use, f"{who.session_id}:calls", 1)
        await pipe.execute()
