"""Logins for agents and supervisors: argon2 passwords, signed expiring tokens kept server-side.

A token is ``<payload>.<hmac>``; the payload names the tenant and a session id. The signature
stops forgery without a Redis round trip; the server-side session (with a TTL) makes logout and
expiry real. Each kind of token is signed with its own key derived from ``server.secret_key``, so a
token of one kind can never pass as another.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from redis.asyncio import Redis

from gateway.config.schema import Config, TenantConfig
from gateway.keys import TenantKeys
from gateway.revocations import revoke

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("omnirelay-dummy-password")


class AuthError(Exception):
    """Credentials or token not valid."""


class LoginBusy(Exception):
    """Every password-hashing slot of this process is taken; the client should retry shortly."""


class HashSlots:
    """At most ``size`` argon2 checks at once in this process: each takes 64 MiB, so a burst of logins
    is refused (and retried by the client) rather than queued into memory."""

    def __init__(self, size: int):
        self.free = max(1, size)

    @contextlib.contextmanager
    def take(self):
        if self.free <= 0:
            raise LoginBusy("too many logins at once; retry in a second")
        self.free -= 1
        try:
            yield
        finally:
            self.free += 1


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is behind a token."""

    tenant: str
    user_id: str
    role: str  # agent | supervisor
    name: str
    session_id: str  # an API key's principal: the key's id
    expires_at: float  # an API key without expiry: 0
    via: str = "login"  # login | api_key (gateway/api_keys.py: role "supervisor" within its scopes, never an agent)
    scopes: tuple[str, ...] = ()  # an API key's: read, write, admin


def hash_password(password: str) -> str:
    """An argon2id hash for the config file."""
    return _HASHER.hash(password)


async def verify_password(password_hash: str, password: str) -> bool:
    """Check a password off the event loop (argon2 is deliberately slow)."""

    def check() -> bool:
        try:
            return _HASHER.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.get_running_loop().run_in_executor(None, check)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def purpose_key(secret: str, purpose: str) -> bytes:
    """The signing key for one kind of token (``login-token``, ``visitor-token``), derived from the server secret."""
    return hmac.new(secret.encode(), f"omnirelay/{purpose}".encode(), hashlib.sha256).digest()


def sign(key: bytes, payload: str) -> str:
    # surrogatepass: a forged payload with lone surrogates gets a (wrong) signature instead of an exception
    return _b64(hmac.new(key, payload.encode("utf-8", "surrogatepass"), hashlib.sha256).digest())


def find_user(config: Config, username: str, tenant: str | None) -> tuple[TenantConfig, str, str, str] | None:
    """(tenant, role, name, hash) of a login; searches all tenants when none is given and the name is unique."""
    tenants = [config.tenants[tenant]] if tenant and tenant in config.tenants else [] if tenant else list(config.tenants.values())
    hits = []
    for t in tenants:
        if username in t.agents:
            a = t.agents[username]
            if not a.disabled:  # a disabled agent gets the same answer as a wrong password
                hits.append((t, "agent", a.name, a.password_hash))
        elif username in t.supervisors:
            s = t.supervisors[username]
            hits.append((t, "supervisor", s.name, s.password_hash))
    return hits[0] if len(hits) == 1 else None


class Sessions:
    """Issues, checks and revokes login tokens."""

    def __init__(self, redis: Redis, config: Config):
        self.redis = redis
        self.config = config
        self.key = purpose_key(config.server.secret_key, "login-token")
        self.ttl = config.server.token_ttl_s
        self.hash_slots = HashSlots(config.limits.login_hash_concurrency)

    async def login(self, username: str, password: str, tenant: str | None = None) -> tuple[str, Principal]:
        """A new token for valid credentials; AuthError otherwise (same time either way), LoginBusy
        when this process is already checking as many passwords as it allows."""
        found = find_user(self.config, username, tenant)
        with self.hash_slots.take():
            ok = await verify_password(found[3] if found else _DUMMY_HASH, password)
        if not found or not ok:
            raise AuthError("wrong username or password")
        t, role, name, _ = found
        now = time.time()
        principal = Principal(
            tenant=t.id, user_id=username, role=role, name=name,
            session_id=secrets.token_urlsafe(18), expires_at=now + self.ttl,
        )
        payload = _b64(json.dumps({"t": t.id, "s": principal.session_id, "e": int(principal.expires_at)}).encode())
        token = f"{payload}.{sign(self.key, payload)}"
        await self.redis.set(TenantKeys(t.id).session(principal.session_id), json.dumps(asdict(principal)), ex=self.ttl)
        return token, principal

    async def check(self, token: str | None) -> Principal:
        """The principal of a valid, unexpired, not revoked token; AuthError otherwise."""
        if not isinstance(token, str) or not token or len(token) > 1024 or token.count(".") != 1:
            raise AuthError("missing or malformed token")
        payload, signature = token.split(".")
        # compared as bytes: compare_digest refuses str with non-ASCII characters (a TypeError, not a 401)
        if not hmac.compare_digest(signature.encode(errors="replace"), sign(self.key, payload).encode()):
            raise AuthError("bad token signature")
        try:
            data = json.loads(_unb64(payload))
            tenant, sid, exp = data["t"], data["s"], data["e"]
        except (ValueError, KeyError, TypeError) as err:
            raise AuthError("malformed token") from err
        if exp < time.time():
            raise AuthError("token expired")
        raw = await self.redis.get(TenantKeys(tenant).session(sid))
        if raw is None:
            raise AuthError("session ended (logged out or expired)")
        data = json.loads(raw)
        return Principal(**{**data, "scopes": tuple(data.get("scopes", ()))})

    async def logout(self, principal: Principal) -> None:
        await revoke(self.redis, principal.tenant, [principal.session_id])
