"""Identifiers: random, prefixed by kind so a log line says what an id is.

Ids are pasted into Redis keys, so any id that comes from a client is checked against the form
this module generates (``is_id``) before a key is built from it.
"""

import re
import secrets

_GENERATED = re.compile(r"^[a-z]_[0-9a-f]{16}$")


def new_id(kind: str) -> str:
    """A new unguessable id such as ``c_5f1c…`` (conversation), ``m_…`` (message), ``k_…`` (contact)."""
    return f"{kind}_{secrets.token_hex(8)}"


def is_id(kind: str, value: object) -> bool:
    """True when ``value`` has the form of an id ``new_id(kind)`` makes."""
    return isinstance(value, str) and value.startswith(f"{kind}_") and bool(_GENERATED.match(value))
