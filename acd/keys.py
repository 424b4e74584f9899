"""The routing engine's Redis keys, one tenant at a time: every key, its type and its lifetime.

Every key starts with the tenant prefix ``t:{tenant}:`` (a hash tag), so all the keys one Lua script
touches live in one Redis Cluster slot. A caller's conversation record (``Task.record``) must share
that prefix.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AcdKeys:
    """Keys of the routing engine (acd/) for one tenant.

    ``acd/lua/keys.lua`` builds the same names from the tenant prefix under the same builder names
    (tests/test_acd_keys.py compares them); change both together. Ids (agent, queue, skill,
    language, node) must not contain ``:`` or ``|``. Lifetimes: config and indexes live as long as
    the tenant; task hashes expire a day after close.
    """

    tenant: str

    @property
    def prefix(self) -> str:
        return f"t:{{{self.tenant}}}:"

    def cfg(self) -> str:  # HASH tenant routing settings: rules, grace, max_missed, queues, evmax, occ
        return f"{self.prefix}acd:cfg"

    def queue(self, qid: str) -> str:  # HASH field cfg = queue config JSON; rewritten by sync
        return f"{self.prefix}acd:q:{qid}"

    def agents(self) -> str:  # SET every configured agent id
        return f"{self.prefix}acd:agents"

    def agent(self, aid: str) -> str:  # HASH profile (name, langs, skills, cap, auto) + live state/load
        return f"{self.prefix}acd:a:{aid}"

    def agent_tasks(self, aid: str) -> str:  # SET task ids holding one of the agent's slots
        return f"{self.prefix}acd:a:{aid}:tasks"

    def agent_sockets(self, aid: str) -> str:  # HASH socket id -> gateway node id
        return f"{self.prefix}acd:a:{aid}:socks"

    def task(self, tid: str) -> str:  # HASH one task; EXPIRE 1 day once closed
        return f"{self.prefix}acd:t:{tid}"

    def task_tried(self, tid: str) -> str:  # SET agents who missed/declined it in its current queue
        return f"{self.prefix}acd:t:{tid}:tried"

    def tasks(self) -> str:  # SET ids of every task not closed
        return f"{self.prefix}acd:tasks"

    def offers(self) -> str:  # HASH open offer id -> task id
        return f"{self.prefix}acd:offers"

    def agent_index(self, skill: str, prof: int, lang: str, channel: str) -> str:
        """ZSET available agents able to take `channel` now, scored by idle-since (lang ``*`` = any)."""
        return f"{self.prefix}acd:ix:{skill}:{prof}:{lang}:{channel}"

    def agent_occ_index(self, skill: str, prof: int, lang: str, channel: str) -> str:
        """ZSET the same agents scored by occupancy * 1e13 + idle-since (least_occupancy policy)."""
        return f"{self.prefix}acd:ixo:{skill}:{prof}:{lang}:{channel}"

    def logged_in(self) -> str:  # HASH "skill:prof:lang:channel" -> logged-in agents (step skipping)
        return f"{self.prefix}acd:in"

    def serving(self) -> str:  # HASH "skill" -> available agents, "skill:channel" -> their slots
        return f"{self.prefix}acd:serving"

    def waiting_bucket(self, qid: str, channel: str, lang: str, min_prof: int) -> str:
        """ZSET queued (not offered) tasks of one queue/channel/language/min proficiency, by order.
        "Bucket" means this set only; statistics are kept per minute (``queue_minute``)."""
        return f"{self.prefix}acd:wq:{qid}:{channel}:{lang}:{min_prof}"

    def waiting_buckets(self, qid: str) -> str:  # SET "channel:lang:min_prof" of non-empty buckets
        return f"{self.prefix}acd:wqne:{qid}"

    def queue_order(self, qid: str, channel: str) -> str:  # ZSET waiting (queued+offered) by order
        return f"{self.prefix}acd:qall:{qid}:{channel}"

    def queue_enqueued(self, qid: str) -> str:  # ZSET waiting (queued+offered) task -> enqueued_at
        return f"{self.prefix}acd:qenq:{qid}"

    def timers(self) -> str:  # ZSET "kind|id" -> due time (offer, step, wrap, grace, node)
        return f"{self.prefix}acd:timers"

    def nodes(self) -> str:  # ZSET gateway node -> lease expiry
        return f"{self.prefix}acd:nodes"

    def node_sockets(self, node: str) -> str:  # SET "agent|sid" registered through that node
        return f"{self.prefix}acd:node:{node}:socks"

    def seq(self) -> str:  # STRING counter for offer ids
        return f"{self.prefix}acd:seq"

    def events(self) -> str:  # STREAM routing event log, MAXLEN ~ cfg evmax
        return f"{self.prefix}acd:events"

    def queue_minute(self, qid: str, minute: int) -> str:  # HASH statistics counters of one minute; TTL 2 days
        return f"{self.prefix}acd:qs:{qid}:{minute}"

    def queue_totals(self, qid: str) -> str:  # HASH counters since the tenant started
        return f"{self.prefix}acd:qt:{qid}"

    def hours(self) -> str:  # HASH queue id -> business-hours state JSON (acd/hours.py); set by set_hours
        return f"{self.prefix}acd:hours"
