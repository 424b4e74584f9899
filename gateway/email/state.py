"""What the gateway keeps about a mailed conversation: the customer's address, the subject, and the
customer's last Message-ID with its References (what our next mail threads under)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from redis.asyncio import Redis

from acd import replies
from gateway.keys import TenantKeys

MAX_REFERENCES = 20  # References grow with every mail; the newest ones are what clients thread by


@dataclass(frozen=True, slots=True)
class Thread:
    address: str = ""  # where our mails for this conversation go (the customer's address)
    subject: str = ""  # the customer's first subject (ours for an escalation)
    last_in: str = ""  # the customer's last Message-ID, with <>
    refs: tuple[str, ...] = field(default=())  # Message-IDs with <>, oldest first


async def get_thread(redis: Redis, keys: TenantKeys, cid: str) -> Thread:
    raw = replies.fields(await redis.hgetall(keys.email_thread(cid)))
    try:
        refs = tuple(r for r in json.loads(raw.get("refs") or "[]") if isinstance(r, str))
    except ValueError:
        refs = ()
    return Thread(raw.get("address", ""), raw.get("subject", ""), raw.get("last_in", ""), refs)


async def start_thread(redis: Redis, keys: TenantKeys, cid: str, *, address: str, subject: str) -> None:
    """Set address and subject where they are not set yet (the first mail names the thread)."""
    key = keys.email_thread(cid)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hsetnx(key, "address", address)
        if subject:
            pipe.hsetnx(key, "subject", subject)
        await pipe.execute()


async def customer_mailed(redis: Redis, keys: TenantKeys, cid: str, message_id: str, references: list[str]) -> None:
    """The customer's newest mail: our next mail answers it (In-Reply-To) within its References."""
    mid = bracketed(message_id)
    current = await get_thread(redis, keys, cid)
    refs = [*current.refs]
    for ref in [*map(bracketed, references), mid]:
        if ref and ref not in refs:
            refs.append(ref)
    await redis.hset(keys.email_thread(cid), mapping={"last_in": mid, "refs": json.dumps(refs[-MAX_REFERENCES:])})


async def copy_thread(redis: Redis, keys: TenantKeys, source: str, target: str) -> None:
    """A conversation that continues another by mail threads under the same subject and References."""
    old = await get_thread(redis, keys, source)
    if old.subject:
        await redis.hsetnx(keys.email_thread(target), "subject", old.subject)
    if old.refs:
        await redis.hsetnx(keys.email_thread(target), "refs", json.dumps(list(old.refs)))


def bracketed(message_id: str) -> str:
    """A Message-ID with its <> (bridges hand some without)."""
    mid = message_id.strip()
    return "" if not mid else mid if mid.startswith("<") else f"<{mid}>"


def bare(message_id: str) -> str:
    return message_id.strip().strip("<>")
