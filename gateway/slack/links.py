"""Which Slack user is which omnirelay agent. A link is made only from an omnirelay session (the agent
for itself, or a supervisor), and only to the Slack account Slack finds under the agent's configured
email with that email confirmed; nobody else's words ever reach a customer."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

from redis.asyncio import Redis

from acd import replies
from gateway.keys import TenantKeys


@dataclass(frozen=True, slots=True)
class Link:
    slack_user: str
    agent_id: str
    email: str = ""
    name: str = ""  # the Slack user's display name, as Slack gave it
    by: str = ""  # who confirmed it: the agent itself or a supervisor's id
    at: float = 0.0


async def link_of(redis: Redis, keys: TenantKeys, slack_user: str) -> Link | None:
    """The confirmed link of a Slack user, or None (then the user may not answer anyone)."""
    raw = replies.maybe_text(await redis.hget(keys.slack_links(), slack_user)) if slack_user else None
    return Link(**json.loads(raw)) if raw else None


async def links(redis: Redis, keys: TenantKeys) -> list[Link]:
    """Every link of the tenant, by agent id."""
    raw = replies.fields(await redis.hgetall(keys.slack_links()))
    return sorted((Link(**json.loads(v)) for v in raw.values()), key=lambda x: x.agent_id)


async def save_link(redis: Redis, keys: TenantKeys, link: Link) -> Link:
    """Link ``slack_user`` to ``agent_id``, replacing either side's earlier link (one to one)."""
    link = Link(**{**asdict(link), "at": link.at or time.time()})
    old_user = replies.maybe_text(await redis.hget(keys.slack_agent_link(), link.agent_id))
    old = await link_of(redis, keys, link.slack_user)
    async with redis.pipeline(transaction=True) as pipe:
        if old_user and old_user != link.slack_user:
            pipe.hdel(keys.slack_links(), old_user)
        if old is not None and old.agent_id != link.agent_id:
            pipe.hdel(keys.slack_agent_link(), old.agent_id)
        pipe.hset(keys.slack_links(), link.slack_user, json.dumps(asdict(link)))
        pipe.hset(keys.slack_agent_link(), link.agent_id, link.slack_user)
        await pipe.execute()
    return link


async def remove_agent_link(redis: Redis, keys: TenantKeys, agent_id: str) -> Link | None:
    """Unlink an agent's Slack account; the link that was removed, or None."""
    user = replies.maybe_text(await redis.hget(keys.slack_agent_link(), agent_id))
    if not user:
        return None
    old = await link_of(redis, keys, user)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hdel(keys.slack_agent_link(), agent_id)
        if old is not None and old.agent_id == agent_id:
            pipe.hdel(keys.slack_links(), user)
        await pipe.execute()
    return old
