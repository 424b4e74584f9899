"""Signed visitor identities: the customer's website vouches for who its logged-in user is.

The website computes ``user_hash = hex(HMAC-SHA256(widget.identity_secret, user_id + "\\n" + email))``
on its server (``email`` empty when it has none) and hands ``user_id``, ``email`` and ``user_hash``
to the widget (``user_email`` in the connect auth). A valid hash makes the user id and that email *verified* identities of the visitor's
contact (so the same person on another device finds the same contact); without it, a typed email
is only a claim. See docs/identity.md.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from gateway.store.contacts import normalise_email, valid_email

USER_ID_MAX = 128
_USER_ID = re.compile(r"^[\x21-\x7e]{1,128}$")  # printable ASCII, no spaces


class IdentityError(ValueError):
    """The identity fields are malformed or their signature does not match."""


@dataclass(frozen=True, slots=True)
class VerifiedUser:
    user_id: str
    email: str  # normalised; "" when the website gave none

    def identities(self) -> list[tuple[str, str]]:
        return [("user", self.user_id)] + ([("email", self.email)] if self.email else [])


def user_hash(secret: str, user_id: str, email: str = "") -> str:
    """What the customer's website computes for its user (documented for integrators)."""
    return hmac.new(secret.encode(), f"{user_id}\n{email}".encode(), hashlib.sha256).hexdigest()


def verify_user(secret: str, auth: dict) -> VerifiedUser | None:
    """The verified user of a widget connect's auth, None when it names none; IdentityError when it
    names one that does not check out (fail closed: no secret configured means no verified users)."""
    user_id, email, given = auth.get("user_id"), auth.get("user_email", ""), auth.get("user_hash")
    if user_id is None and given is None:
        return None
    if not isinstance(user_id, str) or not _USER_ID.match(user_id):
        raise IdentityError("'user_id' must be 1 to 128 printable characters without spaces")
    if not isinstance(given, str) or len(given) != 64:
        raise IdentityError("'user_hash' must be the 64 hex digits of the HMAC")
    email = email if isinstance(email, str) else ""
    if email and not valid_email(email.strip()):
        raise IdentityError("the signed email is not a valid address")
    if not secret:
        raise IdentityError("this site has no identity secret configured; signed identities are refused")
    if not hmac.compare_digest(given.lower(), user_hash(secret, user_id, email)):
        raise IdentityError("the identity signature does not match")
    return VerifiedUser(user_id, normalise_email(email) if email else "")
