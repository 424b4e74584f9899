"""The gateway's Redis key schema: every key, its type and its lifetime.

Every key is tenant-scoped and carries the tenant as a hash tag (``t:{demo}:…``), so all the keys
one Lua script touches live in one Redis Cluster slot. The ACD's routing keys share the prefix and
are in ``acd/keys.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

# Installation-wide (not tenant data): the live gateway processes.
GATEWAY_NODES = "omnirelay:nodes"  # ZSET node id -> lease expiry (epoch s); renewed every 0.5 s
ADMIN_SETTINGS = "omnirelay:admin-settings"  # PUB/SUB channel "<tenant> <revision>" after an admin change (gateway/admin)


def api_key_lookup(key_hash: str) -> str:  # STRING "<tenant> <key id>" of an API key's SHA-256; TTL its expiry, 30 days once revoked
    return f"omnirelay:apikey:{key_hash}"


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

    def conv_barged(self, cid: str) -> str:  # SET supervisor ids who barged in (may write); TTL 1 day, renewed
        return f"{self.prefix}conv:{cid}:barged"

    def conv_client_ids(self, cid: str) -> str:  # HASH client_id -> seq (idempotent append)
        return f"{self.prefix}conv:{cid}:cids"

    def conv_statuses(self, cid: str) -> str:  # HASH seq -> "status|sent_at|reason" of agent messages on a messenger
        return f"{self.prefix}conv:{cid}:status"

    def platform_message(self, channel: str, platform_id: str) -> str:  # STRING "<cid>:<seq>"; TTL 30 days
        return f"{self.prefix}pmsg:{channel}:{platform_id}"

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

    def platform_chat(self, channel: str, thread: str) -> str:  # HASH conversation_id of a messenger chat
        return f"{self.prefix}chat:{channel}:{thread}"

    def visitor(self, visitor_id: str) -> str:  # HASH contact_id, conversation_id, profile
        return f"{self.prefix}visitor:{visitor_id}"

    def visitor_sockets(self, visitor_id: str) -> str:  # SET of open socket ids; TTL 1 day
        return f"{self.prefix}visitor:{visitor_id}:sockets"

    def abandon_due(self) -> str:  # ZSET conversation id -> when its tab-less visitor counts as gone
        return f"{self.prefix}abandon"

    def node_tabs(self, node: str) -> str:  # SET "visitor|sid" of the tabs open on a gateway node; TTL 1 day
        return f"{self.prefix}node:{node}:tabs"

    def node_tabs_sweep(self, node: str) -> str:  # lock: the one live node recording a dead node's tabs now
        return f"{self.prefix}node:{node}:tabs:sweep"

    def tab_nodes(self) -> str:  # SET of gateway nodes that have (or had, until swept) visitor tabs open
        return f"{self.prefix}tabnodes"

    # --- sessions, limits, dedupe -------------------------------------------------------------
    def session(self, token_id: str) -> str:  # STRING json of the login; TTL = token lifetime
        return f"{self.prefix}session:{token_id}"

    def sessions_revoked(self) -> str:  # ZSET session id -> revoked at (epoch s); entries kept REVOKED_KEEP_S (gateway/revocations.py)
        return f"{self.prefix}sessions:revoked"

    def rate(self, subject: str, window: int) -> str:  # STRING counter; TTL = one window
        return f"{self.prefix}rate:{subject}:{window}"

    # --- API keys (gateway/api_keys.py) ---------------------------------------------------------
    def api_keys(self) -> str:  # HASH key id -> JSON record (name, scopes, hash, created/expires/revoked); permanent
        return f"{self.prefix}apikeys"

    def api_key_names(self) -> str:  # HASH name -> id of the tenant's not revoked key of that name
        return f"{self.prefix}apikeys:names"

    def api_key_use(self) -> str:  # HASH "<id>:at" -> last use (epoch s), "<id>:calls" -> count
        return f"{self.prefix}apikeys:use"

    # --- bridges: webhooks in, the ordered outbox out (gateway/webhooks, gateway/outbound.py) ---
    def webhooks_in(self) -> str:  # STREAM verified deliveries {channel, body}; entries deleted once handled
        return f"{self.prefix}webhooks:in"

    def delivery(self, channel: str, delivery_id: str) -> str:  # STRING "done" TTL 7 days | "working:<node>" TTL a lease
        return f"{self.prefix}delivery:{channel}:{delivery_id}"

    def outbox(self, cid: str) -> str:  # LIST json replies of one conversation, oldest first; until sent
        return f"{self.prefix}outbox:{cid}"

    def outbox_due(self) -> str:  # ZSET conversation id -> when its outbox head is next due (epoch s)
        return f"{self.prefix}outbox:due"

    def outbox_sent(self, cid: str) -> str:  # SET client ids already sent; TTL 1 day (a re-enqueue sends nothing)
        return f"{self.prefix}outbox:{cid}:sent"

    def outbox_last(self, cid: str) -> str:  # STRING when this conversation's chat was last sent to; TTL ~ its pace
        return f"{self.prefix}outbox:{cid}:last"

    def outbox_rate(self, channel: str, second: int) -> str:  # STRING sends on a channel in one second; TTL 2 s
        return f"{self.prefix}outbox:rate:{channel}:{second}"

    def outbox_lock(self, cid: str) -> str:  # STRING token of the one process sending this outbox; TTL a lease
        return f"{self.prefix}outbox:{cid}:lock"

    def channel_health(self) -> str:  # HASH channel id -> Health seen at run time (auth_failed, …); reset at start
        return f"{self.prefix}channels:health"

    def audit(self) -> str:  # STREAM audit trail (actor, role, action, details); MAXLEN ~100k
        return f"{self.prefix}audit"

    # --- the archive to the history database (gateway/history) -----------------------------------
    def archive(self) -> str:  # STREAM outbox {k: conv|msg|contact|audit, ...}; an entry is deleted once in PostgreSQL
        return f"{self.prefix}archive"

    def archive_closed(self) -> str:  # ZSET cid -> closed_at of closed conversations not yet evicted from Redis
        return f"{self.prefix}archive:closed"

    def waiting_series(self) -> str:  # STREAM of {queue: waiting} samples; trimmed to ~1 day
        return f"{self.prefix}series:waiting"

    def leader(self, job: str) -> str:  # STRING node id holding a periodic job; TTL = a few periods
        return f"{self.prefix}leader:{job}"

    def alerts_open(self) -> str:  # HASH incident key -> json of its Slack alert (gateway/alerts); until resolved
        return f"{self.prefix}alerts:open"

    def alerts_callbacks(self) -> str:  # ZSET callback id -> when it ran out of attempts; until followed up (7 days at most)
        return f"{self.prefix}alerts:callbacks"

    # --- event webhooks out (gateway/event_webhooks; fanout.lua builds the same names from the prefix) ---
    def hook_subs(self) -> str:  # SET subscription ids; a consumer group "webhooks" on the two streams exists while non-empty
        return f"{self.prefix}wh:subs"

    def hook_sub(self, sid: str) -> str:  # HASH url, events, secret, enabled, retry_s, …; until deleted
        return f"{self.prefix}wh:sub:{sid}"

    def hook_queue(self, sid: str, key: str) -> str:  # LIST delivery ids of one subscription and conversation, oldest first; until settled
        return f"{self.prefix}wh:q:{sid}:{key}"

    def hook_due(self) -> str:  # ZSET "<sid>|<key>" -> when that queue's head is next due (a claimed one: its lease's end)
        return f"{self.prefix}wh:due"

    def hook_leases(self) -> str:  # HASH "<sid>|<key>" -> token of the one process sending that queue now
        return f"{self.prefix}wh:leases"

    def hook_inflight(self, sid: str) -> str:  # ZSET "<key>" -> lease end, the subscription's queues being sent now
        return f"{self.prefix}wh:inflight:{sid}"

    def hook_delivery(self, did: str) -> str:  # HASH one delivery (body, attempts, status, …); TTL once settled
        return f"{self.prefix}wh:d:{did}"

    def hook_recent(self, sid: str) -> str:  # LIST json of the subscription's last attempts, newest first; capped
        return f"{self.prefix}wh:recent:{sid}"

    def hook_dead(self, sid: str) -> str:  # ZSET delivery id -> when it was parked (dead letters); until replayed
        return f"{self.prefix}wh:dead:{sid}"

    def hook_erased(self) -> str:  # ZSET ordering key (conversation, "contact:<id>", task) -> when its contact was erased; 30 days
        return f"{self.prefix}wh:erased"

    def hook_erased_deliveries(self) -> str:  # ZSET delivery id -> when it was erased with its contact (a replay: 410); 30 days
        return f"{self.prefix}wh:erased:dlv"

    # --- media: customer files fetched from platforms, uploads (gateway/media) -----------------
    def media(self, media_id: str) -> str:  # HASH one file's record (gateway/media/records.py); kept with its conversation
        return f"{self.prefix}media:{media_id}"

    def media_due(self) -> str:  # ZSET media id -> when its fetch is next due (epoch s); removed once settled
        return f"{self.prefix}media:due"

    def media_lease(self, media_id: str) -> str:  # STRING token of the one process fetching it; TTL a lease
        return f"{self.prefix}media:{media_id}:lease"

    def media_source(self, channel: str, thread: str, message_id: str, index: int) -> str:  # STRING media id; TTL 7 days
        return f"{self.prefix}media:src:{channel}:{thread}:{message_id}:{index}"  # a redelivery registers nothing new

    def media_upload(self, scope: str, client_id: str) -> str:  # STRING media id of an upload by client id; TTL 1 day
        return f"{self.prefix}media:up:{scope}:{client_id}"

    # --- email (gateway/email); a sender's pointer is platform_chat(channel, address) ------------
    def email_thread(self, cid: str) -> str:  # HASH address, subject, last_in, refs (json) of a mailed conversation; kept with it
        return f"{self.prefix}email:thread:{cid}"

    def email_seen(self, channel: str, message_id: str) -> str:  # STRING "<cid>" a customer's mail went to; TTL 7 days
        return f"{self.prefix}email:seen:{channel}:{message_id}"

    # --- voice callbacks (gateway/callbacks) ------------------------------------------------------
    def callback(self, callback_id: str) -> str:  # HASH one callback's record (gateway/callbacks/records.py); kept
        return f"{self.prefix}cb:{callback_id}"

    def callback_attempts(self, callback_id: str) -> str:  # LIST json attempts with outcomes, oldest first; kept with it
        return f"{self.prefix}cb:{callback_id}:attempts"

    def callback_open(self, contact_id: str, queue: str) -> str:  # STRING id of the contact's open callback there; until it ends
        return f"{self.prefix}cb:open:{contact_id}:{queue}"

    def callbacks_due(self) -> str:  # ZSET callback id -> when it is next due (epoch s); removed once taken or ended
        return f"{self.prefix}cb:due"

    def callback_dialled(self, attempt_id: str) -> str:  # STRING agent id, set before the one dial of an attempt; TTL 7 days
        return f"{self.prefix}cb:dialled:{attempt_id}"

    def callback_settled(self, attempt_id: str) -> str:  # STRING the attempt's final outcome (the first one wins); TTL 7 days
        return f"{self.prefix}cb:settled:{attempt_id}"

    def callback_offer(self, cid: str) -> str:  # STRING json of the callback offered in a messenger conversation; TTL 24 h
        return f"{self.prefix}cb:offer:{cid}"

    def callback_slots(self, queue: str, language: str) -> str:  # HASH slot start (epoch s) -> callbacks booked; past slots dropped on booking; TTL slot_days + 1 day
        return f"{self.prefix}cb:slots:{queue}:{language}"

    def callbacks_open_count(self) -> str:  # HASH queue -> callbacks not ended yet (supervisor figure); kept
        return f"{self.prefix}cb:opencount"

    def callback_stats(self, bucket: str) -> str:  # HASH "<queue>|<counter>" -> n for a minute "m:<epoch min>" (TTL 20 min) or a local day "d:<date>" (TTL 3 days)
        return f"{self.prefix}cb:stats:{bucket}"

    def callback_first_waits(self, bucket: str) -> str:  # LIST "<queue>|<seconds>" due -> first dial, per bucket as callback_stats; same TTLs
        return f"{self.prefix}cb:ttfa:{bucket}"

    # --- assist: automatic answers and their figures (gateway/assist) ---------------------------
    def auto_waiting(self) -> str:  # ZSET cid -> when its automatic answer counts as answered (epoch s); until then or a person is asked for
        return f"{self.prefix}assist:waiting"

    def auto_handing(self) -> str:  # ZSET cid -> when it left auto_waiting (for a person or closing); gone once done
        return f"{self.prefix}assist:handing"

    def auto_snippet(self, canned_id: str) -> str:  # HASH sent, escalated, asked, wrote_again, returned, disabled, disabled_reason, disabled_at; kept
        return f"{self.prefix}assist:snippet:{canned_id}"

    def auto_answered(self, contact_id: str) -> str:  # STRING canned id of the contact's last quietly answered conversation; TTL 1 day
        return f"{self.prefix}assist:answered:{contact_id}"

    # --- CRM lookup (gateway/crm) ---------------------------------------------------------------
    def crm_answer(self, contact_id: str) -> str:  # STRING json of the contact's last CRM answer or failure; TTL cache_ttl_s / retry_after_s
        return f"{self.prefix}crm:answer:{contact_id}"

    def crm_health(self) -> str:  # HASH state, reason, at of the tenant's last CRM lookup; kept
        return f"{self.prefix}crm:health"

    # --- Slack as an agent surface (gateway/slack) ---------------------------------------------
    def slack_links(self) -> str:  # HASH Slack user id -> json {agent_id, email, name, by, at} of a confirmed link; until unlinked
        return f"{self.prefix}slack:links"

    def slack_agent_link(self) -> str:  # HASH agent id -> Slack user id (the reverse of slack_links); until unlinked
        return f"{self.prefix}slack:agents"

    def slack_thread(self, cid: str) -> str:  # HASH app, channel, ts, shown, customer of a conversation's Slack thread; until erased, or 30 days after eviction
        return f"{self.prefix}slack:conv:{cid}"

    def slack_lines(self, cid: str) -> str:  # LIST ts of our posts in a conversation's Slack thread (chat.delete on erasure); until erased, or 30 days after eviction
        return f"{self.prefix}slack:lines:{cid}"

    def slack_erase(self) -> str:  # LIST json {app, channel, ts} of our Slack posts an erasure left to delete; until chat.delete took each
        return f"{self.prefix}slack:erase"

    def slack_thread_of(self, channel: str, ts: str) -> str:  # STRING conversation id of a Slack thread; TTL 30 days
        return f"{self.prefix}slack:thread:{channel}:{ts}"

    def slack_post_slot(self, app_id: str, channel: str) -> str:  # STRING ms (Redis's clock) of the last post slot reserved in a Slack channel; TTL the slot plus a second
        return f"{self.prefix}slack:{app_id}:slot:{channel}"

    def slack_posted(self, channel: str, ts: str) -> str:  # STRING "1": a message we posted (never an agent's words); TTL 7 days
        return f"{self.prefix}slack:posted:{channel}:{ts}"

    def slack_sent(self, client_id: str) -> str:  # STRING the customer platform's id of a reply written in Slack; TTL 30 days
        return f"{self.prefix}slack:sent:{client_id}"
