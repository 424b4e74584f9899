"""Signed threading tokens: what lets a reply find its conversation, and nobody forge one.

Three carriers, because mail clients and providers drop each of them somewhere: the plus-address
of our Reply-To (``support+<token>@…``), our own Message-ID quoted back in In-Reply-To/References,
and a body marker ``[ref:<token>]`` for providers that rewrite both. Each carries the conversation
id with the first 16 hex of an HMAC under a key only for this purpose, so an id alone, a token of
another conversation or a guessed one is simply ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from typing import Any

from gateway.auth import purpose_key
from gateway.store.ids import is_id

SIG_HEX = 16
_TOKEN = re.compile(r"(c_[0-9a-f]{16})\.([0-9a-f]{16})", re.IGNORECASE)
# <c_….<seq>.<sig>@domain>: the ids are lower-case hex, so a client that lower-cases (or upper-cases) keeps them valid
_OUR_ID = re.compile(r"<?(c_[0-9a-f]{16})\.(\d{1,12})\.([0-9a-f]{16})@[^>\s]+>?", re.IGNORECASE)
_PLUS = re.compile(r"^[^+@\s]+\+(c_[0-9a-f]{16}\.[0-9a-f]{16})@", re.IGNORECASE)


class Tokens:
    """Signs and checks one installation's threading tokens (key derived from ``server.secret_key``)."""

    def __init__(self, secret_key: str) -> None:
        self._key = purpose_key(secret_key, "email-thread")

    def _sig(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()[:SIG_HEX]

    def token(self, conversation_id: str) -> str:
        """``<conversation id>.<sig>``: names the conversation a reply belongs to."""
        return f"{conversation_id}.{self._sig('t:' + conversation_id)}"

    def check(self, token: str) -> str | None:
        """The conversation a token names, or None when it is not one of ours."""
        found = _TOKEN.fullmatch(token.strip())
        if not found:
            return None
        cid, sig = found.group(1).lower(), found.group(2).lower()
        return cid if is_id("c", cid) and hmac.compare_digest(sig, self._sig("t:" + cid)) else None

    def message_id(self, conversation_id: str, seq: int, domain: str) -> str:
        """Our Message-ID for message ``seq`` (with <>): it names and signs conversation and message."""
        sig = self._sig(f"m:{conversation_id}.{seq}")
        return f"<{conversation_id}.{seq}.{sig}@{domain}>"

    def ours(self, message_id: str) -> tuple[str, int] | None:
        """(conversation id, seq) when ``message_id`` is one we sent and signed, else None."""
        found = _OUR_ID.fullmatch(message_id.strip())
        if not found:
            return None
        cid, seq, sig = found.group(1).lower(), int(found.group(2)), found.group(3).lower()
        if not is_id("c", cid) or not hmac.compare_digest(sig, self._sig(f"m:{cid}.{seq}")):
            return None
        return cid, seq

    def reply_address(self, address: str, conversation_id: str) -> str:
        """The plus-address of the tenant's address that leads a reply back to the conversation."""
        local, _, domain = address.partition("@")
        return f"{local}+{self.token(conversation_id)}@{domain}"

    def marker(self, conversation_id: str) -> str:
        """The hidden body marker: the last resort when a provider rewrote the headers."""
        return f"[ref:{self.token(conversation_id)}]"

    def conversation_of(self, details: Mapping[str, Any]) -> str | None:
        """The conversation a customer's mail answers, from its carriers in order of trust: a
        recipient's plus-address, our Message-ID in In-Reply-To/References, the body marker."""
        for address in _strings(details.get("recipients")):
            plus = _PLUS.match(address.strip())
            if plus and (cid := self.check(plus.group(1))):
                return cid
        for mid in [*_strings([details.get("in_reply_to")]), *reversed(_strings(details.get("references")))]:
            if ours := self.ours(mid):
                return ours[0]
        for token in _strings(details.get("marker_tokens")):
            if cid := self.check(token):
                return cid
        return None


def _strings(values: Any) -> list[str]:
    """The strings of a details list (a missing or malformed field is no carrier)."""
    if not isinstance(values, Iterable) or isinstance(values, str | bytes):
        return []
    return [v for v in values if isinstance(v, str) and v]


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()
