"""Text → terms for the linear models: character n-grams inside words plus German and English word stems.

Character n-grams (2–5, padded at word edges like scikit-learn's char_wb) carry typos, inflection and German
compounds ("Passwortänderung" shares "passw" with "Passwort"); Snowball stems in both languages carry whole
words; the contact-centre lexicon's concepts carry synonyms ("abgebucht" and "Lastschrift" both name
`@payment`). One function for training and classifying, so both always see the same terms.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import Stemmer

from .lexicon import shipped

NGRAM_MIN, NGRAM_MAX = 2, 5
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_DIGITS = re.compile(r"\d")
_STEMMERS = (Stemmer.Stemmer("german"), Stemmer.Stemmer("english"))


def normalise(text: str) -> str:
    """NFKC, case-folded (so ß matches ss), digits collapsed to 0 (order numbers say nothing about a topic)."""
    return _DIGITS.sub("0", unicodedata.normalize("NFKC", text).casefold())


def words(text: str) -> list[str]:
    """The words of a text after normalising."""
    return _WORD.findall(normalise(text))


def stems(tokens: list[str], language: str | None = None) -> list[str]:
    """Snowball stems of the words: in one language when given, else German and English both."""
    if language == "de":
        return list(_STEMMERS[0].stemWords(tokens))
    if language == "en":
        return list(_STEMMERS[1].stemWords(tokens))
    return list(_STEMMERS[0].stemWords(tokens)) + list(_STEMMERS[1].stemWords(tokens))


def terms(text: str) -> Counter[str]:
    """The bag of terms of one text: `#stem` for word stems, `@concept` for the contact-centre lexicon's
    concepts (assist/lexicon.py), raw strings for character n-grams."""
    normalised = normalise(text)
    tokens = _WORD.findall(normalised)
    grams = [
        padded[i : i + n]
        for padded in (f" {word} " for word in tokens)
        for n in range(NGRAM_MIN, min(NGRAM_MAX, len(padded)) + 1)
        for i in range(len(padded) - n + 1)
    ]
    grams.extend({"#" + stem for stem in stems(tokens)})  # once per stem: both stemmers often agree
    bag = Counter(grams)
    for concept, n in shipped().concepts(tokens, normalised).items():
        bag["@" + concept] = n
    return bag
