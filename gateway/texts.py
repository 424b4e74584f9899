"""The one way the gateway picks the words it writes into a conversation or sends to a customer.

Each module keeps its own table of texts by language (``{"en": {...}, "de": {...}}``, the same keys
in every language) next to the code that writes them; ``in_language`` chooses the table for a
conversation's language. "de", "de-DE" and "DE" are the same language; a language without a table
gets English, never an error: a customer always reads something.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")

FALLBACK = "en"


def base_language(language: str | None) -> str:
    """"de-DE" -> "de"; "" for none."""
    return (language or "").strip().replace("_", "-").split("-", 1)[0].lower()


def in_language(tables: Mapping[str, T], language: str | None) -> T:
    """The table for ``language`` (its base language), else the English one."""
    return tables.get(base_language(language)) or tables[FALLBACK]


# Lines the gateway writes into a conversation that have no module of their own.
_LINES: dict[str, dict[str, str]] = {
    "en": {
        "barged": "{name} joined the conversation.",
        "email_continues": "Continues conversation {other} by email.",
        "email_continued": "Continued by email in conversation {other}.",
        "email_other_sender_here": "{sender} answered conversation {other}, which belongs to another address: "
                                   "opened as a new conversation.",
        "email_other_sender_there": "A mail from another address ({sender}) answered this conversation: "
                                    "it is in conversation {other}.",
    },
    "de": {
        "barged": "{name} ist dem Gespräch beigetreten.",
        "email_continues": "Setzt das Gespräch {other} per E-Mail fort.",
        "email_continued": "Per E-Mail fortgesetzt im Gespräch {other}.",
        "email_other_sender_here": "{sender} hat auf das Gespräch {other} geantwortet, das zu einer anderen Adresse "
                                   "gehört: als neues Gespräch geöffnet.",
        "email_other_sender_there": "Eine E-Mail von einer anderen Adresse ({sender}) hat auf dieses Gespräch "
                                    "geantwortet: sie steht im Gespräch {other}.",
    },
}


def line(language: str | None, key: str, **values: object) -> str:
    """One of the lines above, in ``language``."""
    return in_language(_LINES, language)[key].format(**values)
