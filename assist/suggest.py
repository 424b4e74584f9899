"""The three canned answers most likely to fit a customer's message, in its language, each with why.

Two sources, fused: a classifier with one class per canned answer, trained on the snippets' example phrasings
and on what agents actually sent in reply to which message (the part that learns), and BM25 over the snippet's
title, text and examples with Snowball stems (the lexical fallback while there is little history). The more
agent choices a language has, the more the classifier's vote counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import bm25s
import numpy as np
import scipy.sparse as sp
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_GERMAN

from .features import stems, words
from .linear import DEFAULT_PARAMS, LinearModel, LinearParams, fit_linear

LEARNED_HALF = 30  # with this many agent choices in a language, the classifier weighs 0.75 and BM25 0.25
WHY_RECENT = 50  # "why" looks among a snippet's examples and the latest this many messages agents answered with it
_STOPWORDS = {"de": frozenset(STOPWORDS_GERMAN), "en": frozenset(STOPWORDS_EN)}


@dataclass(frozen=True)
class Snippet:
    """A canned answer as the tenant configured it."""

    id: str
    language: str
    title: str
    text: str
    topic: str | None = None
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class AgentChoice:
    """What an agent sent in reply to a customer message: a canned answer's id, or None for free text."""

    text: str
    canned_id: str | None
    language: str | None = None  # the conversation's language (needed only for free-text replies)


@dataclass(frozen=True)
class Suggestion:
    canned_id: str
    score: float  # the fused score the ranking uses, 0..1
    confidence: float  # the classifier's calibrated probability (what auto-answer thresholds compare)
    why: str  # the example, past customer message or snippet title it matched
    why_kind: str  # "example", "agent" (a past message an agent answered with it) or "snippet"


@dataclass
class _LanguageIndex:
    snippets: list[Snippet]
    bm25: bm25s.BM25
    classifier: LinearModel | None
    reasons: dict[str, list[tuple[str, str]]]  # canned id -> [(text, kind)] it was trained on
    reason_vectors: dict[str, sp.csr_matrix]  # canned id -> the classifier's vectors of those texts, as rows
    learned: int  # agent choices in this language
    stopwords: frozenset[str] = field(default_factory=frozenset)


class Suggester:
    """Suggestions for one tenant; build with `build_suggester`, rebuild to learn (it takes milliseconds)."""

    def __init__(self, indexes: dict[str, _LanguageIndex]) -> None:
        self._indexes = indexes

    @property
    def languages(self) -> list[str]:
        return sorted(self._indexes)

    def learned(self, language: str) -> int:
        """How many agent choices the suggestions in `language` learned from."""
        index = self._indexes.get(language)
        return index.learned if index else 0

    def suggest(self, text: str, language: str, k: int = 3) -> list[Suggestion]:
        """Up to k canned answers in `language`, best first; empty when the language has none."""
        index = self._indexes.get(language)
        if index is None or not text.strip():
            return []
        ids = [s.id for s in index.snippets]
        lexical = _bm25_scores(index, text)
        top = float(lexical.max()) if lexical.size else 0.0
        lexical = lexical / top if top > 0 else np.zeros(len(ids))
        query: np.ndarray | None = None
        if index.classifier is not None:
            cols, vals = index.classifier.vector(text)
            probs = index.classifier.probabilities_of(cols, vals)
            query = np.zeros(len(index.classifier.vocabulary), dtype=np.float32)
            query[cols] = vals
            position = {c: i for i, c in enumerate(index.classifier.classes)}
            learned = np.array([probs[position[i]] if i in position else 0.0 for i in ids])
        else:
            learned = np.zeros(len(ids))
        weight = 0.5 + 0.5 * index.learned / (index.learned + LEARNED_HALF) if index.classifier else 0.0
        fused = weight * learned + (1 - weight) * lexical
        order = sorted(range(len(ids)), key=lambda i: (-fused[i], ids[i]))[:k]
        out = []
        for i in order:
            if fused[i] <= 0:
                break
            why, kind = _why(index, index.snippets[i], query)
            out.append(Suggestion(ids[i], float(fused[i]), float(learned[i]), why, kind))
        return out

    def lexical_ranking(self, text: str, language: str, k: int = 3) -> list[str]:
        """The canned ids BM25 alone ranks first (the fallback on its own; the benchmark's baseline)."""
        index = self._indexes.get(language)
        if index is None or not text.strip():
            return []
        scores = _bm25_scores(index, text)
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], index.snippets[i].id))
        return [index.snippets[i].id for i in order[:k] if scores[i] > 0]


def _why(index: _LanguageIndex, snippet: Snippet, query: np.ndarray | None) -> tuple[str, str]:
    """The training text of this snippet closest to the query (cosine of the classifier's vectors)."""
    reasons = index.reasons.get(snippet.id, [])
    if not reasons or query is None or not query.any():
        return snippet.title, "snippet"
    similarity = index.reason_vectors[snippet.id] @ query
    best = int(np.argmax(similarity))
    return reasons[best] if similarity[best] > 0 else (snippet.title, "snippet")


def build_suggester(
    snippets: Iterable[Snippet], choices: Iterable[AgentChoice] = (), *, params: LinearParams = DEFAULT_PARAMS
) -> Suggester:
    """Index the snippets per language and learn from agents' choices (ones naming unknown snippets are ignored)."""
    by_language: dict[str, list[Snippet]] = {}
    seen: set[str] = set()
    for snippet in snippets:
        if snippet.id in seen:
            raise ValueError(f"canned answer {snippet.id!r} appears twice")
        if snippet.language not in _STOPWORDS:
            raise ValueError(f"canned answer {snippet.id!r}: language {snippet.language!r} is not de or en")
        seen.add(snippet.id)
        by_language.setdefault(snippet.language, []).append(snippet)
    language_of = {s.id: s.language for group in by_language.values() for s in group}
    learned: dict[str, list[AgentChoice]] = {lang: [] for lang in by_language}
    for choice in choices:
        if choice.canned_id in language_of and choice.text.strip():
            learned[language_of[choice.canned_id]].append(choice)
    return Suggester({lang: _index(group, learned[lang], params) for lang, group in by_language.items()})


def _index(snippets: Sequence[Snippet], choices: Sequence[AgentChoice], params: LinearParams) -> _LanguageIndex:
    language = snippets[0].language
    index = _LanguageIndex(list(snippets), bm25s.BM25(), None, {}, {}, len(choices), _STOPWORDS[language])
    corpus = [_bm25_tokens(index, " ".join([s.title, s.text, *s.examples])) for s in snippets]
    index.bm25.index(corpus, show_progress=False)
    texts, labels = [], []
    for s in snippets:
        for example in s.examples:
            texts.append(example)
            labels.append(s.id)
            index.reasons.setdefault(s.id, []).append((example, "example"))
    recent: dict[str, list[str]] = {}
    for choice in choices:
        assert choice.canned_id is not None
        texts.append(choice.text)
        labels.append(choice.canned_id)
        recent.setdefault(choice.canned_id, []).append(choice.text)
    for canned_id, messages in recent.items():
        index.reasons.setdefault(canned_id, []).extend((m, "agent") for m in messages[-WHY_RECENT:])
    if len(set(labels)) >= 2:
        classifier = fit_linear(texts, labels, None, params)
        index.classifier = classifier
        index.reason_vectors = {cid: classifier.matrix([t for t, _ in rs]) for cid, rs in index.reasons.items()}
    return index


def _bm25_tokens(index: _LanguageIndex, text: str) -> list[str]:
    tokens = [w for w in words(text) if w not in index.stopwords and len(w) > 1]
    return stems(tokens, index.snippets[0].language) or ["\x00"]  # bm25s wants a token per document


def _bm25_scores(index: _LanguageIndex, text: str) -> np.ndarray:
    return np.asarray(index.bm25.get_scores(_bm25_tokens(index, text)), dtype=np.float64)
