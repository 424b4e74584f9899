"""The one Redis key schema of omnirelay: every key, its type and its lifetime.

Every key is tenant-scoped and carries the tenant as a hash tag (``t:{demo}:…``), so all the keys
one Lua script touches live in one Redis Cluster slot. The ACD's routing keys are in the second
half of this module.
"""

from __future__ import annotations

from dataclasses import dataclass


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

    def conv_ext_ids(self, cid: str) -> str:  # HASH platform message id -> seq (bridges)
        return f"{self.prefix}conv:{cid}:extids"

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

    # --- sessions, limits, dedupe -------------------------------------------------------------
    def session(self, token_id: str) -> str:  # STRING json of the login; TTL = token lifetime
        return f"{self.prefix}session:{token_id}"

    def rate(self, subject: str, window: int) -> str:  # STRING counter; TTL = one window
        return f"{self.prefix}rate:{subject}:{window}"

    def dedupe(self, channel: str, delivery_id: str) -> str:  # STRING; TTL 7 days (webhook retries)
        return f"{self.prefix}dedupe:{channel}:{delivery_id}"

    def waiting_series(self) -> str:  # STREAM of {queue: waiting} samples; trimmed to ~1 day
        return f"{self.prefix}series:waiting"

    def leader(self, job: str) -> str:  # STRING node id holding a periodic job; TTL = a few periods
        return f"{self.prefix}leader:{job}"

    # --- ACD (acd/) ----------------------------------------------------------------------------
    # The routing engine's keys; see acd/README or the docstrings of acd/keys_acd below.
