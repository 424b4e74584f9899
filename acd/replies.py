"""Redis replies typed as what they are. omnirelay's clients are made with ``decode_responses=True``
(the raw webhook-stream client excepted), so replies hold ``str``; redis-py types them
``bytes | str`` whatever the client's options. These helpers say so once, at the read, for the
ACD and the gateway's store alike; they cost a function call and convert nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from redis.typing import EncodableT, FieldT

Reply = bytes | str
StreamEntries = list[tuple[str, dict[str, str]]]


def maybe_text(reply: Any) -> str | None:
    """One string reply that may be missing (HGET; HRANDFIELD or SRANDMEMBER without a count)."""
    return cast("str | None", reply)


def texts(replies: list[Any]) -> list[str]:
    """A list of string replies (ZRANGE without scores, a sorted SMEMBERS)."""
    return cast(list[str], replies)


def members(reply: set[Reply]) -> set[str]:
    """A set's members (SMEMBERS)."""
    return cast(set[str], reply)


def fields(reply: Mapping[Reply, Reply] | None) -> dict[str, str]:
    """A hash (HGETALL) or a stream entry's fields."""
    return cast(dict[str, str], reply)


def flat_fields(reply: list[Any]) -> dict[str, str]:
    """A hash or a stream entry's fields as a Lua script returns them: a flat list of names and values."""
    return dict(zip(reply[::2], reply[1::2], strict=True))


def entries(reply: Any) -> StreamEntries:
    """Stream entries (XRANGE, XREVRANGE): ``[(id, fields), ...]``; never None for a range read."""
    return cast(StreamEntries, reply)


def mapping(values: Mapping[str, Any]) -> Mapping[FieldT, EncodableT]:
    """A ``str``-keyed dict as HSET's ``mapping=`` (its key type is invariant, so ``dict[str, str]`` is refused)."""
    return cast("Mapping[FieldT, EncodableT]", values)
