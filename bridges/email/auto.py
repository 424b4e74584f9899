"""Whether a mail was written by a machine, and why: the gateway never auto-answers such mail.

The signals are the ones RFC 3834 defines (``Auto-Submitted``) plus the de-facto ones that mail
systems set without it (``X-Autoreply``, ``Precedence``, Exchange's ``X-Auto-Response-Suppress``)
and the senders no person reads. An out-of-office notice is named apart: the agent sees it, but it
does not reopen routing.
"""

from __future__ import annotations

import re
from email.message import EmailMessage

PERSON = ""  # the reason of a mail a person wrote

MACHINE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
# local parts of addresses that take no replies ("no-reply", "donotreply", "noreply-billing" …)
NOREPLY = re.compile(r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply)(?:[-_.+].*)?$", re.IGNORECASE)
BULK = frozenset({"bulk", "junk", "list", "auto_reply"})
# Subjects of absence notices as Exchange, Outlook, Gmail and common German setups word them;
# Exchange sends its notices as auto-generated, so the subject tells them from other machine mail.
ABSENCE = re.compile(
    r"^\s*(?:automatic reply|auto(?:matic)?[- ]?reply|out of (?:the )?office|abwesenheitsnotiz|"
    r"automatische antwort|abwesend|nicht im b(?:ü|ue)ro|away from (?:the )?office|vacation)\b",
    re.IGNORECASE,
)


def reason(msg: EmailMessage, sender: str) -> str:
    """"" for a person's mail, else why it is a machine's (one of the contract's reasons)."""
    local = sender.rpartition("@")[0] if "@" in sender else sender
    if local.lower() in MACHINE_SENDERS:
        return "mailer_daemon"
    auto_submitted = _header(msg, "Auto-Submitted").split(";")[0].strip().lower()
    autoreply = bool(_header(msg, "X-Autoreply") or _header(msg, "X-Autorespond"))
    if auto_submitted == "auto-replied" or (
        (autoreply or auto_submitted not in ("", "no")) and ABSENCE.match(_header(msg, "Subject"))
    ):
        return "out_of_office"  # RFC 3834: "auto-replied" is what a vacation responder sets
    if auto_submitted not in ("", "no"):
        return "auto_submitted"
    if autoreply:
        return "autoreply"
    if _header(msg, "Precedence").strip().lower() in BULK:
        return "precedence"
    if _header(msg, "X-Auto-Response-Suppress"):
        return "auto_response_suppress"
    if NOREPLY.match(local):
        return "noreply"
    return PERSON


def _header(msg: EmailMessage, name: str) -> str:
    """A header's text, "" when absent or unreadable (a broken header must not fail the mail)."""
    try:
        value = msg.get(name)
    except (ValueError, TypeError, IndexError):
        return ""
    return str(value) if value is not None else ""
