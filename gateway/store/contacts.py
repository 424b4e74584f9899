"""Contacts: one per person per tenant, found by a verified identity and merged when two contacts
turn out to share one.

Verified identities are what a platform or a signature vouches for: the widget's own visitor id, a
signed identity token from the customer's website (``user``, and the email it signs), a messenger's
user id, an email address the customer answered from. Typed emails and phone numbers are only
*claims*: kept on the contact with ``*_verified = false``, never a reason to merge.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from redis.asyncio import Redis

from acd import replies
from acd.lua_runner import runner
from bridges.registry import BRIDGES
from gateway.keys import TenantKeys
from gateway.store.ids import new_id
from gateway.store.scripts import store_script

RESOLVE_CONTACT = store_script("resolve_contact")

# Verified identity kinds: the gateway's own, the platforms' whose bridges are on their way, and
# each registered bridge's (read at call time: a test may register one).
IDENTITY_KINDS = ("visitor", "user", "telegram", "whatsapp", "messenger", "slack", "email", "phone")


def identity_kinds() -> set[str]:
    return {*IDENTITY_KINDS, *(spec.identity_kind for spec in BRIDGES.values())}


EMAIL_MAX = 254  # RFC 5321's path limit
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(slots=True)
class Contact:
    id: str
    name: str = ""
    email: str = ""
    phone: str = ""
    email_verified: bool = False
    phone_verified: bool = False
    created_at: float = 0.0
    identities: list[str] = field(default_factory=list)
    email_undeliverable: str = ""  # the reason mail to the address bounced ("" = none known)

    def to_wire(self) -> dict:
        return {
            "id": self.id, "name": self.name, "email": self.email, "phone": self.phone,
            "email_verified": self.email_verified, "phone_verified": self.phone_verified,
            "email_undeliverable": self.email_undeliverable,
            "created_at": self.created_at, "identities": sorted(self.identities),
        }


def valid_email(email: str) -> bool:
    """A plausible address of at most 254 characters (the real check is a mail that arrives)."""
    return len(email) <= EMAIL_MAX and bool(_EMAIL.match(email))


def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_phone(phone: str) -> str:
    """Digits only, international form without '+' (WhatsApp's wa_id form)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits.lstrip("0") if phone.strip().startswith("00") else digits


async def resolve_contact(
    redis: Redis,
    keys: TenantKeys,
    identities: list[tuple[str, str]],
    *,
    name: str = "",
    email: str = "",
    phone: str = "",
    merge: list[str] | None = None,
    now: float | None = None,
) -> str:
    """The contact id for these verified ``identities``, creating or merging contacts as needed.

    ``email`` and ``phone`` are claims (typed by someone): recorded as unverified, never merged on.
    ``merge`` names contacts an agent has decided are this person (an explicit, audited merge)."""
    now = time.time() if now is None else now
    ids = []
    for kind, value in identities:
        if kind not in identity_kinds():
            raise ValueError(f"unknown identity kind {kind!r}")
        if kind == "email":
            value = normalise_email(value)
        elif kind == "phone":
            value = normalise_phone(value)
        if value:
            ids.append(f"{kind}:{value}")
    result = await runner(redis).call(
        RESOLVE_CONTACT,
        keys=[keys.prefix, keys.archive()],
        args=[new_id("k"), repr(now), name, normalise_email(email) if email else "",
              normalise_phone(phone) if phone else "", ",".join(merge or []), *ids],
    )
    return result[0]


async def live_contact_id(redis: Redis, keys: TenantKeys, contact_id: str) -> str:
    """Follow merges: the id a (possibly merged-away) contact lives on as."""
    for _ in range(16):
        merged = replies.maybe_text(await redis.hget(keys.contact(contact_id), "merged_into"))
        if not merged:
            return contact_id
        contact_id = merged
    return contact_id


async def get_contact(redis: Redis, keys: TenantKeys, contact_id: str) -> Contact | None:
    contact_id = await live_contact_id(redis, keys, contact_id)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(keys.contact(contact_id))
        pipe.smembers(keys.contact_identities(contact_id))
        raw, idents = await pipe.execute()
    if not raw:
        return None
    return Contact(
        id=contact_id, name=raw.get("name", ""), email=raw.get("email", ""), phone=raw.get("phone", ""),
        email_verified=raw.get("email_verified") == "1", phone_verified=raw.get("phone_verified") == "1",
        # a bounce concerns the address that bounced: a newer address starts clean
        email_undeliverable=(raw.get("email_undeliverable_reason") or "bounced")
        if raw.get("email_undeliverable") and raw.get("email_undeliverable") == raw.get("email") else "",
        created_at=float(raw.get("created_at") or 0), identities=list(idents),
    )
