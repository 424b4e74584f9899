"""The signed link that lets a customer see, move or cancel their callback without logging in.

Its key is derived from the server secret for this one purpose, so a login token's key can never
sign a cancel link (nor the other way round); the signature covers the tenant and the callback id.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode

from gateway.auth import purpose_key


def _sig(secret: str, tenant: str, callback_id: str) -> str:
    key = purpose_key(secret, "callback-cancel")
    return hmac.new(key, f"{tenant}:{callback_id}".encode(), hashlib.sha256).hexdigest()


def cancel_path(secret: str, tenant: str, callback_id: str) -> str:
    """``/callbacks/{id}?tenant=…&sig=…`` (prefix it with the gateway's public URL): the page that
    shows the callback; only its form's POST changes anything (link scanners only GET)."""
    return f"/callbacks/{callback_id}?" + urlencode({"tenant": tenant, "sig": _sig(secret, tenant, callback_id)})


def valid_cancel(secret: str, tenant: str, callback_id: str, sig: str) -> bool:
    """True when ``sig`` was made by this gateway for this tenant's callback (constant-time compare)."""
    # bytes: a str with non-ASCII characters (a mangled link) would make compare_digest raise
    return hmac.compare_digest(_sig(secret, tenant, callback_id).encode(), sig.encode("utf-8", "replace"))
