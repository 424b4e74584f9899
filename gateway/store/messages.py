"""Messages: a Redis Stream per conversation whose entry ids are ``<seq>-0``.

Using seq as the stream id makes ``history {after_seq}`` one exclusive XRANGE and keeps order
exact across gateway processes; the append script numbers and deduplicates atomically.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from typing import Any

from redis.asyncio import Redis

from acd import replies
from acd.lua_runner import runner
from gateway.history.reader import HistoryReader, reader_for
from gateway.keys import TenantKeys
from gateway.store.scripts import store_script
from gateway.store.statuses import statuses


class ConversationMissing(LookupError):
    """No conversation with that id."""


class ConversationClosed(RuntimeError):
    """The conversation is closed; a new message needs a new conversation."""


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    conversation_id: str
    seq: int
    author_kind: str  # visitor | agent | system
    author_name: str
    text: str
    ts: float
    author_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    duplicate: bool = False
    client_id: str = ""  # the sender's id for it, so its own tabs match the broadcast to their pending copy

    def to_wire(self) -> dict[str, Any]:
        """The contract's message shape."""
        out: dict[str, Any] = {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "seq": self.seq,
            "author": {"kind": self.author_kind, "name": self.author_name},
            "text": self.text,
            "ts": self.ts,
        }
        if self.author_id:
            out["author"]["id"] = self.author_id
        if self.client_id:
            out["client_id"] = self.client_id
        if self.extra:
            out.update(self.extra)
        return out


class RateLimited(RuntimeError):
    """The sender wrote more messages than its limit allows in the current window."""


class NotAssigned(PermissionError):
    """The agent does not hold this conversation."""


class WindowClosed(PermissionError):
    """The messenger's reply window is closed: free text would never reach the customer."""


APPEND_MESSAGE = store_script(
    "append_message",
    {"NOCONV": ConversationMissing, "CLOSED": ConversationClosed, "RATE": RateLimited, "FORBIDDEN": NotAssigned,
     "WINDOW": WindowClosed},
)


@dataclass(frozen=True, slots=True)
class Posted:
    """A stored message and who must see it."""

    message: Message
    agent_id: str  # the agent holding the conversation ("" while it waits)
    visitor_id: str  # the widget visitor of the conversation ("" for bridged channels)
    language: str = ""  # the conversation's language, as stored when the message was
    auto_waiting: bool = False  # the conversation waits after an automatic answer (gateway/assist/auto_answer.py)


async def post_message(
    redis: Redis,
    keys: TenantKeys,
    conversation_id: str,
    *,
    author_kind: str,
    author_name: str,
    text: str,
    client_id: str = "",
    author_id: str = "",
    extra: dict[str, Any] | None = None,
    ts: float | None = None,
    allow_closed: bool = False,
    rate: tuple[str, int, int] | None = None,
    require_agent: str = "",
    template: bool = False,
) -> Posted:
    """Store a message in one atomic step: rate limit (``(subject, limit, window_s)``), the
    author's right to write, dedupe by ``client_id`` (the first ack comes back unchanged), seq."""
    ts = time.time() if ts is None else ts
    rate_key = before_key = keys.conv(conversation_id)  # (no limit: any key of the slot)
    weight = 0.0
    if rate:
        window, into = divmod(ts, rate[2])
        rate_key, before_key = keys.rate(rate[0], int(window)), keys.rate(rate[0], int(window) - 1)
        weight = 1.0 - into / rate[2]
    seq, mid, stored_ts, dup, agent_id, visitor_id, language, waiting = await runner(redis).call(
        APPEND_MESSAGE,
        keys=[
            keys.conv(conversation_id), keys.conv_messages(conversation_id),
            keys.conv_client_ids(conversation_id), rate_key, keys.archive(), keys.auto_waiting(), before_key,
        ],
        args=[
            client_id, f"{conversation_id}:", author_kind, author_name, author_id, text, repr(ts),
            json.dumps(extra) if extra else "", "1" if allow_closed else "0",
            rate[1] if rate else 0, rate[2] * 2 if rate else 0, require_agent, "1" if template else "0",
            conversation_id, repr(weight),
        ],
    )
    message = Message(
        id=mid, conversation_id=conversation_id, seq=int(seq), author_kind=author_kind,
        author_name=author_name, text=text, ts=float(stored_ts), author_id=author_id,
        extra=extra or {}, duplicate=bool(dup), client_id=client_id,
    )
    return Posted(message, agent_id, visitor_id, language, bool(int(waiting)))


async def append_message(redis: Redis, keys: TenantKeys, conversation_id: str, **kwargs: Any) -> Message:
    """Append and number a message (see post_message); the same ``client_id`` again returns the first one."""
    return (await post_message(redis, keys, conversation_id, **kwargs)).message


async def read_messages(
    redis: Redis, keys: TenantKeys, conversation_id: str, after_seq: int = 0, limit: int = 1000
) -> list[Message]:
    """Messages with seq > after_seq, in order (at most ``limit``)."""
    entries = replies.entries(
        await redis.xrange(keys.conv_messages(conversation_id), min=f"({max(after_seq, 0)}-0", max="+", count=limit)
    )
    if not entries and (history := await _archive_of(redis, keys, conversation_id)) is not None:
        entries = await history.messages(keys.tenant, conversation_id, max(after_seq, 0), limit)
    return [_from_entry(conversation_id, entry_id, fields) for entry_id, fields in entries]


async def _archive_of(redis: Redis, keys: TenantKeys, conversation_id: str) -> HistoryReader | None:
    """The history reader when the conversation has left Redis (evicted once archived), else None."""
    history = reader_for(redis)
    if history is None or await redis.exists(keys.conv(conversation_id)):
        return None
    return history


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a conversation's messages; ``next_after_seq`` is set when more remain."""

    messages: list[Message]
    next_after_seq: int | None

    def to_wire(self, conversation_id: str | None) -> dict[str, Any]:
        return {
            "conversation_id": conversation_id,
            "messages": [m.to_wire() for m in self.messages],
            "next_after_seq": self.next_after_seq,
        }


async def read_page(
    redis: Redis, keys: TenantKeys, conversation_id: str, after_seq: int, *, max_messages: int, max_bytes: int
) -> Page:
    """Messages after ``after_seq`` bounded in count and in bytes (at least one message per page,
    so a reader always advances); says where to go on when more remain."""
    msgs = await read_messages(redis, keys, conversation_id, after_seq=after_seq, limit=max_messages + 1)
    page: list[Message] = []
    size = 0
    for msg in msgs[:max_messages]:
        size += len(msg.text.encode("utf-8", "replace")) + len(msg.author_name) + 160  # 160: the envelope
        if page and size > max_bytes:
            break
        page.append(msg)
    more = len(page) < len(msgs)
    if any(m.extra.get("attachments") for m in page):  # files fetched after the message was stored
        page = await _current_files(redis, keys, page)
    if any(m.author_kind == "agent" for m in page):  # messenger replies: what became of them
        known = await statuses(redis, keys, conversation_id)
        page = [
            replace(m, extra={**m.extra, "status": known[m.seq].status, "status_reason": known[m.seq].reason})
            if m.seq in known else m for m in page
        ]
    return Page(page, page[-1].seq if more and page else None)


_FILE_FIELDS = ("state", "reason", "name", "mime", "size")  # what a fetch may have learnt of a file


async def _current_files(redis: Redis, keys: TenantKeys, page: list[Message]) -> list[Message]:
    """The messages with each attachment's current state (its record), not the one it was stored with."""
    ids = [a["id"] for m in page for a in m.extra.get("attachments", []) if isinstance(a, dict) and "id" in a]
    async with redis.pipeline(transaction=False) as pipe:
        for media_id in ids:
            pipe.hmget(keys.media(media_id), *_FILE_FIELDS)
        rows = dict(zip(ids, await pipe.execute(), strict=True))

    def current(file: dict) -> dict:
        values = rows.get(file.get("id", ""))
        if not values or not values[0]:
            return file
        now = dict(zip(_FILE_FIELDS, values, strict=True))
        return {**file, **{k: v for k, v in now.items() if v}, "reason": now["reason"] or "",
                "size": int(now["size"] or file.get("size") or 0)}

    return [
        replace(m, extra={**m.extra, "attachments": [current(a) for a in m.extra["attachments"]]})
        if m.extra.get("attachments") else m
        for m in page
    ]


async def last_message(redis: Redis, keys: TenantKeys, conversation_id: str) -> Message | None:
    """The newest message of a conversation, if any."""
    entries = replies.entries(await redis.xrevrange(keys.conv_messages(conversation_id), count=1))
    if not entries and (history := await _archive_of(redis, keys, conversation_id)) is not None:
        entries = await history.messages(keys.tenant, conversation_id, 0, 1, newest=True)
    return _from_entry(conversation_id, *entries[0]) if entries else None


def _from_entry(conversation_id: str, entry_id: str, f: dict[str, str]) -> Message:
    return Message(
        id=f["id"], conversation_id=conversation_id, seq=int(entry_id.split("-", 1)[0]),
        author_kind=f["kind"], author_name=f.get("name", ""), text=f.get("text", ""), ts=float(f["ts"]),
        author_id=f.get("aid", ""), extra=json.loads(f["extra"]) if f.get("extra") else {},
        client_id=f.get("cid", ""),
    )
