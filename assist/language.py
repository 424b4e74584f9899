"""Which of the tenant's languages a customer wrote in, and whether the conversation's language changes.

py3langid (its model ships inside the wheel) restricted to the tenant's languages gives the evidence; a hint
(widget locale, Telegram language_code, the contact's earlier language) and the conversation's current
language are priors. A conversation's language is sticky: only a message long enough and confidently in
another language changes it, so "Hallo", "ok" or "danke" never flip it.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

SWITCH_MIN_CHARS = 20  # fewer letters than this never change a conversation's language
SWITCH_MIN_PROB = 0.9  # the model's probability a message needs to change it
HINT_PRIOR = 0.75  # weight of a hint (locale, language_code, the contact's earlier language)
FULL_EVIDENCE_CHARS = 25  # a message this long counts fully; shorter ones count in proportion
GREETING_LEAN = 0.6  # how far "Hallo" leans to German (a hint of 0.75 outweighs it)

# Short greetings and acknowledgements: the model guesses on these ("Hallo" comes out English), so they
# carry a fixed lean instead (None: no lean at all) and never flip a conversation.
GREETINGS: dict[str, str | None] = {
    "hallo": "de", "moin": "de", "servus": "de", "grüß gott": "de", "guten tag": "de", "guten morgen": "de",
    "guten abend": "de", "danke": "de", "danke schön": "de", "dankeschön": "de", "vielen dank": "de",
    "tschüss": "de", "tschüs": "de", "ja": "de", "nein": "de", "genau": "de", "alles klar": "de",
    "bitte": "de", "gerne": "de", "super": None, "ok": None, "okay": None, "hi": None, "hey": None,
    "hello": "en", "good morning": "en", "good evening": "en", "thanks": "en", "thank you": "en", "thx": "en",
    "cheers": "en", "bye": "en", "yes": "en", "no": "en", "yep": "en", "nope": "en", "sure": "en",
    "please": "en", "great": "en", "perfect": None, "perfekt": "de", "top": None, "?": None,
}
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_GREETING_STRIP = re.compile(r"[\s!.,?:;)(-]+")
_load_lock = threading.Lock()


@dataclass(frozen=True)
class LanguageGuess:
    language: str
    confidence: float  # the combined probability of `language`, 0..1
    changed: bool  # True when the conversation had another language and this message changes it


@lru_cache(maxsize=1)
def _full_model() -> LanguageIdentifier:
    """py3langid's model over all its languages, loaded once per process (its tokenizer is most of its size)."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@lru_cache(maxsize=64)
def _identifier(languages: tuple[str, ...]) -> LanguageIdentifier:
    """py3langid restricted to these languages: small per-language arrays, the tokenizer shared with all sets."""
    with _load_lock:
        full = _full_model()
    unknown = sorted(set(languages) - set(full.nb_classes))
    if unknown:
        raise ValueError(f"language identification does not know {', '.join(unknown)}")
    columns = [i for i, lang in enumerate(full.nb_classes) if lang in languages]
    return LanguageIdentifier(
        full.nb_ptc[:, columns].copy(), full.nb_pc[columns].copy(), [full.nb_classes[i] for i in columns],
        full.tk_nextmove, full.tk_output, norm_probs=True, tk_row=full.tk_row,
    )


def model_probabilities(text: str, languages: Sequence[str]) -> dict[str, float]:
    """The model's probability of each language for `text` (uniform when there is nothing to go by)."""
    langs = tuple(sorted(set(languages)))
    if not langs:
        raise ValueError("no languages to choose from")
    if len(langs) == 1 or not _LETTERS.search(text):
        return {lang: 1.0 / len(langs) for lang in langs}
    ranked = _identifier(langs).rank(text)
    probs = {lang: float(p) for lang, p in ranked if lang in langs}
    total = sum(probs.values()) or 1.0
    return {lang: probs.get(lang, 0.0) / total for lang in langs}


def greeting_lean(text: str) -> tuple[bool, str | None]:
    """(is a short greeting or acknowledgement, the language it leans to if any)."""
    key = _GREETING_STRIP.sub(" ", text.casefold()).strip()
    if key in GREETINGS:
        return True, GREETINGS[key]
    return False, None


def detect_language(
    text: str, languages: Sequence[str], hint: str | None = None, current: str | None = None
) -> LanguageGuess:
    """The language of `text` among `languages`.

    `current` is the conversation's language (sticky: it changes only on confident evidence); `hint` is a prior
    such as the widget locale, Telegram's language_code or the contact's earlier language ("de-AT" counts as
    "de"), used when the conversation has no language yet.
    """
    langs = sorted(set(languages))
    if not langs:
        raise ValueError("no languages to choose from")
    hint = hint.split("-")[0].split("_")[0].lower() if hint else None
    current = current if current in langs else None
    is_greeting, lean = greeting_lean(text)
    letters = len(_LETTERS.findall(text))

    if is_greeting:  # a weak lean only: a hint outweighs it
        evidence = {lang: (GREETING_LEAN if lang == lean else 1 - GREETING_LEAN) if lean in langs else 1.0
                    for lang in langs}
        weight = 1.0
    else:
        evidence = model_probabilities(text, langs)
        weight = min(1.0, letters / FULL_EVIDENCE_CHARS)

    prior_lang = current or (hint if hint in langs else None)
    log_post = {}
    for lang in langs:
        prior = (HINT_PRIOR if lang == prior_lang else (1 - HINT_PRIOR) / max(1, len(langs) - 1)) if prior_lang else 1.0
        log_post[lang] = weight * math.log(max(evidence[lang], 1e-9)) + math.log(prior)
    top = max(log_post.values())
    norm = sum(math.exp(v - top) for v in log_post.values())
    posterior = {lang: math.exp(v - top) / norm for lang, v in log_post.items()}
    best = max(langs, key=lambda lang: (posterior[lang], lang == prior_lang))

    if current is None:
        return LanguageGuess(best, posterior[best], False)
    switch = (best != current and not is_greeting and letters >= SWITCH_MIN_CHARS
              and evidence[best] >= SWITCH_MIN_PROB)
    if switch:
        return LanguageGuess(best, evidence[best], True)
    return LanguageGuess(current, posterior[current], False)
