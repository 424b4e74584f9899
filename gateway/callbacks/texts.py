"""What the customer reads about their callback, in the conversation's language (English otherwise)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bridges.base import Button
from gateway.texts import in_language

_TEXTS = {
    "en": {
        "asap": "We will call you at {phone} as soon as possible.",
        "at": "We will call you at {phone} on {when}.",
        "cancelled": "Your callback to {phone} is cancelled.",
        "moved_at": "We will now call you at {phone} on {when}.",
        "moved_asap": "We will now call you at {phone} as soon as possible.",
        "calling": "Calling {phone} (attempt {n}).",
        "reached": "Call with {phone} connected.",
        "retry": "We could not reach you at {phone}; we will try again at {when}.",
        "gave_up": "We could not reach you at {phone} and will not call again. Please write to us.",
        "wrong_number": "The number {phone} does not reach you; we will not call it again. Please write to us.",
    },
    "de": {
        "asap": "Wir rufen Sie so bald wie möglich unter {phone} an.",
        "at": "Wir rufen Sie am {when} unter {phone} an.",
        "cancelled": "Ihr Rückruf an {phone} ist storniert.",
        "moved_at": "Wir rufen Sie jetzt am {when} unter {phone} an.",
        "moved_asap": "Wir rufen Sie jetzt so bald wie möglich unter {phone} an.",
        "calling": "Wir rufen {phone} an (Versuch {n}).",
        "reached": "Gespräch mit {phone} verbunden.",
        "retry": "Wir haben Sie unter {phone} nicht erreicht und versuchen es um {when} erneut.",
        "gave_up": "Wir haben Sie unter {phone} nicht erreicht und rufen nicht mehr an. Bitte schreiben Sie uns.",
        "wrong_number": "Unter {phone} erreichen wir Sie nicht; wir rufen diese Nummer nicht mehr an. Bitte schreiben Sie uns.",
    },
}


_CANCEL_LABEL = {"en": "Cancel callback", "de": "Rückruf stornieren", "fr": "Annuler le rappel"}


def cancel_button(callback_id: str, language: str) -> Button:
    """The button sent with a messenger customer's confirmation: a tap cancels the callback
    (gateway/callbacks/messenger.py reads it), like the signed page."""
    return Button(f"cb:cancel:{callback_id}", in_language(_CANCEL_LABEL, language))


def when_text(due: float, timezone: str) -> str:
    """A due time as people read it, in the tenant's time zone (``2026-12-01 15:00 CET``)."""
    local = datetime.fromtimestamp(due, UTC).astimezone(ZoneInfo(timezone or "UTC"))
    return local.strftime("%Y-%m-%d %H:%M %Z")


def text(language: str, kind: str, **values: str) -> str:
    return in_language(_TEXTS, language)[kind].format(**values)
