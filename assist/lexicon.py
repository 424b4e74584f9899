"""The contact-centre lexicon (assist/lexicon/contact_centre.yaml): words that mean the same thing, as concepts.

`concepts(text)` names the concepts a message's words belong to; `features.terms` adds them as `@concept`
terms, so a classifier trained on "Lastschrift" knows "abgebucht" too. Matching is on normalised words
(`features.normalise`): whole words, word prefixes (`word*`) and, for German compounds, parts anywhere inside a
word (`*word*`); entries with spaces or signs ("set up", "wi-fi", "!!") are matched as phrases.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

LEXICON_FILE = Path(__file__).resolve().parent / "lexicon" / "contact_centre.yaml"
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_DIGITS = re.compile(r"\d")


def _normalise(text: str) -> str:  # the same as features.normalise (kept here: features imports this module)
    return _DIGITS.sub("0", unicodedata.normalize("NFKC", text).casefold())


@dataclass(frozen=True)
class Lexicon:
    version: int
    whole: dict[str, frozenset[str]]  # word -> concepts
    prefix: dict[str, frozenset[str]]  # word start -> concepts
    inside: tuple[tuple[str, frozenset[str]], ...]  # part of a word -> concepts
    phrases: tuple[tuple[str, frozenset[str]], ...]  # " word word " or raw signs -> concepts
    prefix_lengths: tuple[int, ...]

    def concepts(self, words: list[str], normalised: str) -> Counter[str]:
        """How many words (or phrases) of a text name each concept: `words` and `normalised` as
        `features.words` and `features.normalise` give them."""
        found: Counter[str] = Counter()
        for word in words:
            hit: set[str] = set(self.whole.get(word, ()))
            for n in self.prefix_lengths:
                if n > len(word):
                    break
                hit.update(self.prefix.get(word[:n], ()))
            for part, names in self.inside:
                if part in word:
                    hit.update(names)
            found.update(hit)
        if self.phrases:
            spaced = f" {' '.join(words)} "
            for phrase, names in self.phrases:
                if phrase in (spaced if phrase.startswith(" ") else normalised):
                    found.update(names)
        return found


def parse(data: object) -> Lexicon:
    """A lexicon from its YAML structure; ValueError for anything malformed."""
    if not isinstance(data, dict) or not isinstance(data.get("concepts"), dict):
        raise ValueError("a lexicon is a mapping with 'concepts': {name: [entries]}")
    whole: dict[str, set[str]] = {}
    prefix: dict[str, set[str]] = {}
    inside: dict[str, set[str]] = {}
    phrases: dict[str, set[str]] = {}
    for name, entries in data["concepts"].items():
        if not isinstance(entries, list) or not all(isinstance(e, str) and e.strip() for e in entries):
            raise ValueError(f"concept {name!r}: expected a list of words")
        for entry in entries:
            core = entry.strip().strip("*")
            words = _WORD.findall(_normalise(core))
            if not words:  # signs only ("!!", "€"): matched in the normalised text
                phrases.setdefault(_normalise(core), set()).add(name)
            elif len(words) > 1 or words[0] != _normalise(core):  # "set up", "wi-fi", "2fa" -> " set up "
                phrases.setdefault(f" {' '.join(words)} ", set()).add(name)
            elif entry.startswith("*") and entry.endswith("*"):
                inside.setdefault(words[0], set()).add(name)
            elif entry.endswith("*"):
                prefix.setdefault(words[0], set()).add(name)
            else:
                whole.setdefault(words[0], set()).add(name)
    return Lexicon(
        version=int(data.get("version", 1)),
        whole={k: frozenset(v) for k, v in whole.items()},
        prefix={k: frozenset(v) for k, v in prefix.items()},
        inside=tuple((k, frozenset(v)) for k, v in sorted(inside.items())),
        phrases=tuple((k, frozenset(v)) for k, v in sorted(phrases.items())),
        prefix_lengths=tuple(sorted({len(k) for k in prefix})),
    )


@cache
def shipped() -> Lexicon:
    """The lexicon that ships with the package (read once per process)."""
    return parse(yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8")))
