"""A tenant's topic classifier: trained on its example messages and on what agents confirmed, abstains when unsure.

Below the threshold the classifier abstains (`topic is None`) and the channel's default queue applies. The
model is versioned by a hash of its training data and parameters, and stored as npz bytes (no pickle).

Ten example messages per topic share few words with what customers write. The contact-centre lexicon
(assist/lexicon.py) bridges synonyms ("abgebucht", "Lastschrift"); the tenant's canned answers help when given: the example phrasings and title of a canned answer filed under a topic are weak examples of
that topic (bench/README.md, "assist.py", has the figures with and without them).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .features import words
from .lexicon import shipped
from .linear import DEFAULT_PARAMS, LinearModel, LinearParams, fit_linear, load_npz, save_npz
from .suggest import Snippet

DEFAULT_THRESHOLD = 0.5
# "ok", "danke", "hallo": a word or two that no concept of the lexicon knows says too little to route by
FEW_WORDS = 3
CONFIRMED_WEIGHT = 3.0  # an agent's confirmation outweighs one config example
# a canned answer's phrasing was written for the answer, not the topic: on average it counts half an example
SNIPPET_WEIGHT = 0.5


@dataclass(frozen=True)
class TopicPrediction:
    topic: str | None  # None: abstained, the channel's default applies
    best: str  # the most likely topic even when abstaining (for display and exclusion checks)
    confidence: float  # calibrated probability of `best`
    abstained: bool
    scores: dict[str, float]  # probability of every topic


class TopicModel:
    """A trained topic classifier; `classify(text)` is cheap (numpy only)."""

    def __init__(self, model: LinearModel, threshold: float, version: str) -> None:
        self.model = model
        self.threshold = threshold
        self.version = version
        self._concept = np.fromiter((t.startswith("@") for t in model.vocabulary), dtype=bool,
                                    count=len(model.vocabulary))

    @property
    def topics(self) -> list[str]:
        return list(self.model.classes)

    def classify(self, text: str) -> TopicPrediction:
        """The topic of one message, with its confidence; abstains below the threshold or on empty text."""
        cols, vals = self.model.vector(text)
        probs = self.model.probabilities_of(cols, vals)
        scores = {topic: float(p) for topic, p in zip(self.model.classes, probs, strict=True)}
        best = max(scores, key=scores.__getitem__)
        # no letters (an order number, emoji) or no known term: nothing to route by; nor a word or two
        # without any concept of the lexicon
        nothing = (not cols.size or not any(ch.isalpha() for ch in text)
                   or (not self._concept[cols].any() and len(words(text)) < FEW_WORDS))
        abstained = nothing or scores[best] < self.threshold
        return TopicPrediction(None if abstained else best, best, scores[best], abstained, scores)

    def to_bytes(self) -> bytes:
        arrays = self.model.to_arrays()
        arrays["topic_meta"] = np.array(json.dumps({"threshold": self.threshold, "version": self.version}))
        return save_npz(arrays)

    @classmethod
    def from_bytes(cls, data: bytes) -> TopicModel:
        """A model saved by `to_bytes`; raises ValueError for anything else."""
        try:
            arrays = load_npz(data)
            meta = json.loads(str(arrays["topic_meta"]))
            return cls(LinearModel.from_arrays(arrays), float(meta["threshold"]), str(meta["version"]))
        except (KeyError, OSError, EOFError, ValueError, zipfile.BadZipFile) as err:
            raise ValueError(f"not a stored topic model: {err}") from err


def train_topics(
    examples: Mapping[str, Sequence[str]],
    confirmed: Iterable[tuple[str, str]] = (),
    *,
    threshold: float = DEFAULT_THRESHOLD,
    confirmed_weight: float = CONFIRMED_WEIGHT,
    params: LinearParams = DEFAULT_PARAMS,
    snippets: Iterable[Snippet] = (),
) -> TopicModel:
    """Train on {topic: [example messages]} plus (text, topic) pairs agents confirmed, and, when given, the
    phrasings and titles of the canned answers filed under a topic as weak examples of it."""
    texts: list[str] = []
    labels: list[str] = []
    weights: list[float] = []
    for topic, items in examples.items():
        for i, text in enumerate(items):
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"topic {topic!r}: example {i + 1} is empty")
            texts.append(text)
            labels.append(topic)
            weights.append(1.0)
    if not texts:
        raise ValueError("no example messages: every topic needs at least one")
    confirmed = list(confirmed)
    for text, topic in confirmed:
        if topic not in examples:
            raise ValueError(f"confirmed topic {topic!r} is not one of {sorted(examples)}")
        if text.strip():
            texts.append(text)
            labels.append(topic)
            weights.append(confirmed_weight)
    weak = snippet_examples(snippets, examples)
    for text, topic, weight in weak:
        texts.append(text)
        labels.append(topic)
        weights.append(weight)
    version = model_version(examples, confirmed, threshold, confirmed_weight, params, weak)
    return TopicModel(fit_linear(texts, labels, weights, params), threshold, version)


def snippet_examples(snippets: Iterable[Snippet], topics: Iterable[str]) -> list[tuple[str, str, float]]:
    """(text, topic, weight) of every canned answer's phrasings and title, for those filed under a topic.

    Each topic's phrasings weigh `SNIPPET_WEIGHT` per text on average over the topics, but the same in total
    for every topic: a topic with many canned answers (billing) must not drown one with few (complaint).
    """
    known = set(topics)
    pairs: list[tuple[str, str]] = []
    for snippet in snippets:
        if snippet.topic is None:
            continue
        if snippet.topic not in known:
            raise ValueError(f"canned answer {snippet.id!r}: topic {snippet.topic!r} is not one of {sorted(known)}")
        pairs.extend((text, snippet.topic) for text in (*snippet.examples, snippet.title) if text.strip())
    if not pairs:
        return []
    per_topic = Counter(topic for _, topic in pairs)
    mean = len(pairs) / len(per_topic)
    return [(text, topic, SNIPPET_WEIGHT * mean / per_topic[topic]) for text, topic in pairs]


def model_version(
    examples: Mapping[str, Sequence[str]], confirmed: Sequence[tuple[str, str]], threshold: float,
    confirmed_weight: float, params: LinearParams, weak: Sequence[tuple[str, str, float]] = (),
) -> str:
    """A short hash of everything that shapes the model: same data and parameters, same version."""
    canonical = json.dumps(
        {"examples": {k: list(v) for k, v in sorted(examples.items())}, "confirmed": [list(c) for c in confirmed],
         "threshold": threshold, "confirmed_weight": confirmed_weight, "params": params.as_dict(),
         "features": f"char_wb2-5+stems+lexicon{shipped().version}/2", **({"weak": [list(w) for w in weak]} if weak else {})},
        ensure_ascii=False, sort_keys=True,
    )
    return "t1-" + hashlib.sha256(canonical.encode()).hexdigest()[:16]
