"""Contacts: one per person per tenant, found by any identity and merged when identities meet."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from redis.asyncio import Redis

from gateway.keys import TenantKeys
from gateway.store.ids import new_id
from gateway.store.scripts import script

IDENTITY_KINDS = ("visitor", "telegram", "whatsapp", "messenger", "slack", "email", "phone")


@dataclass(slots=True)
class Contact:
    id: str
    name: str = ""
    email: str = ""
    phone: str = ""
    created_at: float = 0.0
    identities: list[str] = field(default_factory=list)

    def to_wire(self) -> dict:
        return {
            "id": self.id, "name": self.name, "email": self.email, "phone": self.phone,
            "created_at": self.created_at, "identities": sorted(self.identities),
        }


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
    now: float | None = None,
) -> str:
    """The contact id for these identities, creating or merging contacts as needed."""
    now = time.time() if now is None else now
    ids = list(identities)
    if email:
        email = normalise_email(email)
        ids.append(("email", email))
    if phone:
        phone = normalise_phone(phone)
        if phone:
            ids.append(("phone", phone))
    for kind, _ in ids:
        if kind not in IDENTITY_KINDS:
            raise ValueError(f"unknown identity kind {kind!r}")
    result = await script(redis, "resolve_contact")(
        keys=[keys.prefix],
        args=[new_id("k"), repr(now), name, email, phone, *[f"{k}:{v}" for k, v in ids]],
    )
    return result[0]


async def live_contact_id(redis: Redis, keys: TenantKeys, contact_id: str) -> str:
    """Follow merges: the id a (possibly merged-away) contact lives on as."""
    for _ in range(16):
        merged = await redis.hget(keys.contact(contact_id), "merged_into")
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
        created_at=float(raw.get("created_at") or 0), identities=list(idents),
    )
