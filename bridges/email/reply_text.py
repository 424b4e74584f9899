"""The customer's new words of a mail: quoted history, reply headers and signatures taken off.

The clients' conventions are recognised by maintained libraries rather than by our own parser:
``mail-parser-reply`` splits plain text at "Am … schrieb …:", "On … wrote:", Outlook's
"Von:/Gesendet:/An:/Betreff:" block and finds signatures, in German and English; ``quotequail``
finds the quoted part of HTML (Gmail's ``gmail_quote``, ``<blockquote>``, Outlook's reply
header) and ``inscriptis`` turns what is left into text. What they leave is tidied here only for
replies written *below* or between quotes (Thunderbird's ``>`` style).
"""

from __future__ import annotations

import re

import nh3
import quotequail
from inscriptis import get_text
from mailparser_reply import EmailMessage as ReplyParser

LANGUAGES = ["de", "en"]  # the reply headers and signature phrases to recognise
QUOTED_LINE = re.compile(r"^\s*>")
# the line that introduces a quoted block ("Kim Lee wrote:", "Am 04.03.25 um 10:12 schrieb Demo:")
INTRO_LINE = re.compile(r"^.{0,200}(?:wrote|schrieb|écrit|escribió)\b.{0,200}:\s*$", re.IGNORECASE)
BLANK_RUNS = re.compile(r"\n{3,}")


def new_text(plain: str) -> str:
    """The newest reply of a plain-text mail, without quotes, reply headers or signature."""
    if not plain.strip():
        return ""
    # keep_hyphen_lists: a customer's "- Router neu gestartet" list is not a signature
    parsed = ReplyParser(text=plain, languages=list(LANGUAGES), keep_hyphen_lists=True).read()
    for reply in parsed.replies:
        text = _drop_quoted_lines(reply.body)
        if text:
            return text
    return ""


def html_to_text(html: str) -> str:
    """The readable text of an HTML part (layout kept as line breaks), lines stripped."""
    if not html.strip():
        return ""
    text = get_text(html)
    return BLANK_RUNS.sub("\n\n", "\n".join(line.strip() for line in text.splitlines())).strip()


def new_text_of_html(html: str) -> str:
    """The newest reply of an HTML-only mail: the part quotequail leaves expanded, as text, stripped."""
    if not html.strip():
        return ""
    parts = quotequail.quote_html(html)
    top = "".join(part for expanded, part in parts if expanded) if parts else html
    return new_text(html_to_text(top))


def sanitise(html: str) -> str:
    """HTML safe to show in the console: no scripts, styles, handlers or remote tricks (nh3)."""
    return nh3.clean(html) if html.strip() else ""


def _drop_quoted_lines(body: str) -> str:
    """``body`` without ``>`` lines and the intro line of each quoted block, blank runs collapsed."""
    lines = body.split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        if QUOTED_LINE.match(line):
            continue
        following = next((n for n in lines[i + 1:] if n.strip()), "")
        if INTRO_LINE.match(line) and QUOTED_LINE.match(following):
            continue
        kept.append(line)
    return BLANK_RUNS.sub("\n\n", "\n".join(kept)).strip()
