"""Identifiers: random, prefixed by kind so a log line says what an id is."""

import secrets


def new_id(kind: str) -> str:
    """A new unguessable id such as ``c_5f1c…`` (conversation), ``m_…`` (message), ``k_…`` (contact)."""
    return f"{kind}_{secrets.token_hex(8)}"
