"""The one Redis key schema of omnirelay: every key, its type and its lifetime.

Every key is tenant-scoped and carries the tenant as a hash tag (``t:{demo}:…``), so all the keys
one Lua script touches live in one Redis Cluster slot. The ACD's routing keys are in the second
half of this module.
"""

from __future__ import annotations

from dataclasses import dataclass

# Installation-wide (not tenant data): the live gateway processes.
GATEWAY_NODES = "omnirelay:nodes"  # ZSET node id -> lease expiry (epoch s); renewed every 0.5 s


@dataclass(frozen=True, slots=True)
class TenantKeys:
    """Key builder for one tenant."""

    tenant: str

    @property
    def prefix(self) -> str:
        return f"t:{{{self.tenant}}}:"

    # --- conversations and messages (gateway/store) -------------------------------------------
    def conv(self, cid: str) -> str:  # HASH conversation fields; kept until retention purges it
        return f"{self.prefix}conv:{cid}"

    def conv_messages(self, cid: str) -> str:  # STREAM, entry id "<seq>-0"; lifetime of the conv
        return f"{self.prefix}conv:{cid}:msgs"

    def conv_client_ids(self, cid: str) -> str:  # HASH client_id -> seq (idempotent append)
        return f"{self.prefix}conv:{cid}:cids"

    def convs_open(self) -> str:  # ZSET cid -> created_at, every not-closed conversation
        return f"{self.prefix}convs:open"

    # --- contacts and identities ------------------------------------------------------------
    def contact(self, contact_id: str) -> str:  # HASH name, email, phone, created_at
        return f"{self.prefix}contact:{contact_id}"

    def contact_identities(self, contact_id: str) -> str:  # SET "kind:value" of this contact
        return f"{self.prefix}contact:{contact_id}:ids"

    def contact_convs(self, contact_id: str) -> str:  # ZSET cid -> created_at, all channels
        return f"{self.prefix}contact:{contact_id}:convs"

    def identity(self, kind: str, value: str) -> str:  # STRING -> contact id; permanent
        return f"{self.prefix}identity:{kind}:{value}"

    def visitor(self, visitor_id: str) -> str:  # HASH contact_id, conversation_id, profile
        return f"{self.prefix}visitor:{visitor_id}"

    def visitor_sockets(self, visitor_id: str) -> str:  # SET of open socket ids; TTL 1 day (stale after a crash)
        return f"{self.prefix}visitor:{visitor_id}:sockets"

    def abandon_due(self) -> str:  # ZSET conversation id -> when its tab-less visitor counts as gone
        return f"{self.prefix}abandon"

    # --- sessions, limits, dedupe -------------------------------------------------------------
    def session(self, token_id: str) -> str:  # STRING json of the login; TTL = token lifetime
        return f"{self.prefix}session:{token_id}"

    def rate(self, subject: str, window: int) -> str:  # STRING counter; TTL = one window
        return f"{self.prefix}rate:{subject}:{window}"

    def dedupe(self, channel: str, delivery_id: str) -> str:  # STRING; TTL 7 days (webhook retries)
        return f"{self.prefix}dedupe:{channel}:{delivery_id}"

    def audit(self) -> str:  # STREAM audit trail (actor, role, action, details); MAXLEN ~100k
        return f"{self.prefix}audit"

    def waiting_series(self) -> str:  # STREAM of {queue: waiting} samples; trimmed to ~1 day
        return f"{self.prefix}series:waiting"

    def leader(self, job: str) -> str:  # STRING node id holding a periodic job; TTL = a few periods
        return f"{self.prefix}leader:{job}"

    # --- ACD (acd/) ----------------------------------------------------------------------------
    # The routing engine's keys; see acd/README or the docstrings of acd/keys_acd below.


@dataclass(frozen=True, slots=True)
class AcdKeys:
    """Keys of the routing engine (acd/) for one tenant.

    The Lua scripts build the same names from the tenant prefix in ``acd/lua/keys.lua``; change
    both together. Ids (agent, queue, skill, language, node) must not contain ``:`` or ``|``.
    Lifetimes: config and indexes live as long as the tenant; task hashes expire a day after close.
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
        """ZSET queued (not offered) tasks of one queue/channel/language/min proficiency, by order."""
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

    def queue_bucket(self, qid: str, minute: int) -> str:  # HASH counters of one minute; TTL 2 days
        return f"{self.prefix}acd:qs:{qid}:{minute}"

    def queue_totals(self, qid: str) -> str:  # HASH counters since the tenant started
        return f"{self.prefix}acd:qt:{qid}"
