"""A tenant's topic classifier: trained on its example messages and on what agents confirmed, abstains when unsure.

Below the threshold the classifier abstains (`topic is None`) and the channel's default queue applies. The
model is versioned by a hash of its training data and parameters, and stored as npz bytes (no pickle).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .linear import DEFAULT_PARAMS, LinearModel, LinearParams, fit_linear, load_npz, save_npz

DEFAULT_THRESHOLD = 0.5
CONFIRMED_WEIGHT = 3.0  # an agent's confirmation outweighs one config example


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

    @property
    def topics(self) -> list[str]:
        return list(self.model.classes)

    def classify(self, text: str) -> TopicPrediction:
        """The topic of one message, with its confidence; abstains below the threshold or on empty text."""
        cols, vals = self.model.vector(text)
        probs = self.model.probabilities_of(cols, vals)
        scores = {topic: float(p) for topic, p in zip(self.model.classes, probs, strict=True)}
        best = max(scores, key=scores.__getitem__)
        # no letters (an order number, emoji) or no known term: nothing to route by
        nothing = not cols.size or not any(ch.isalpha() for ch in text)
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
) -> TopicModel:
    """Train on {topic: [example messages]} plus (text, topic) pairs agents confirmed."""
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
    version = model_version(examples, confirmed, threshold, confirmed_weight, params)
    return TopicModel(fit_linear(texts, labels, weights, params), threshold, version)


def model_version(
    examples: Mapping[str, Sequence[str]], confirmed: Sequence[tuple[str, str]], threshold: float,
    confirmed_weight: float, params: LinearParams,
) -> str:
    """A short hash of everything that shapes the model: same data and parameters, same version."""
    canonical = json.dumps(
        {"examples": {k: list(v) for k, v in sorted(examples.items())}, "confirmed": [list(c) for c in confirmed],
         "threshold": threshold, "confirmed_weight": confirmed_weight, "params": params.as_dict(),
         "features": "char_wb2-5+stems/1"},
        ensure_ascii=False, sort_keys=True,
    )
    return "t1-" + hashlib.sha256(canonical.encode()).hexdigest()[:16]
