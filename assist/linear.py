"""A small linear text classifier: TF-IDF over `features.terms`, logistic regression, temperature-calibrated.

Trained with scikit-learn, but classifying needs only numpy: the vocabulary, idf and coefficients live in
plain arrays, so a model is saved as an .npz (no pickle) and classifies a message in tens of microseconds.
"""

from __future__ import annotations

import io
import json
import math
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from .features import terms

FORMAT = "omnirelay-assist-linear/1"
CALIBRATION_MAX_SAMPLES = 2000  # temperature is fitted on at most this many out-of-fold predictions
_TEMPERATURES = np.geomspace(0.02, 10.0, 81)


@dataclass(frozen=True)
class LinearParams:
    c: float = 10.0  # inverse regularisation of the logistic regression
    stem_weight: float = 2.0  # a word stem counts this much more than one character n-gram
    concept_weight: float = 6.0  # a lexicon concept (`@payment`) counts this much more than one n-gram (chosen on the dev half)
    min_df: int = 1  # terms in fewer training texts are dropped (raised automatically for large sets)
    calibrate: bool = True  # fit a temperature on out-of-fold predictions when there is enough data

    def as_dict(self) -> dict[str, float | int | bool]:
        return {"c": self.c, "stem_weight": self.stem_weight, "concept_weight": self.concept_weight,
                "min_df": self.min_df, "calibrate": self.calibrate}


DEFAULT_PARAMS = LinearParams()


class LinearModel:
    """Classes, vocabulary, idf and coefficients; `probabilities(text)` is the whole classify path."""

    def __init__(
        self,
        classes: list[str],
        vocabulary: list[str],
        idf: np.ndarray,
        coef: np.ndarray,
        intercept: np.ndarray,
        temperature: float,
        stem_weight: float,
        concept_weight: float = 1.0,
    ) -> None:
        self.classes = classes
        self.vocabulary = vocabulary
        self.index = {term: i for i, term in enumerate(vocabulary)}
        self.idf = idf.astype(np.float32)
        self.coef = coef.astype(np.float32)
        self.intercept = intercept.astype(np.float32)
        self.temperature = float(temperature)
        self.stem_weight = float(stem_weight)
        self.concept_weight = float(concept_weight)
        self.weight = _column_weights(vocabulary, self.idf, self.stem_weight, self.concept_weight)

    # --- classify --------------------------------------------------------------------------------

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(column indices, l2-normalised tf-idf values) of the known terms of `text`."""
        return _vector(terms(text), self.index, self.weight)

    def probabilities(self, text: str) -> np.ndarray:
        """Calibrated probability of each class, in the order of `classes`."""
        return self.probabilities_of(*self.vector(text))

    def probabilities_of(self, cols: np.ndarray, vals: np.ndarray) -> np.ndarray:
        """The same for a vector already made by `vector`."""
        return _softmax((self.coef[:, cols] @ vals + self.intercept) / self.temperature)

    def matrix(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The vectors of several texts as rows of a sparse matrix."""
        rows = [self.vector(t) for t in texts]
        indptr = np.cumsum([0] + [len(c) for c, _ in rows])
        cols = np.concatenate([c for c, _ in rows]) if rows else np.zeros(0, dtype=np.int64)
        vals = np.concatenate([v for _, v in rows]) if rows else np.zeros(0, dtype=np.float32)
        return sp.csr_matrix((vals, cols, indptr), shape=(len(texts), len(self.vocabulary)))

    # --- store ---------------------------------------------------------------------------------

    def to_arrays(self) -> dict[str, np.ndarray]:
        meta = {"format": FORMAT, "temperature": self.temperature, "stem_weight": self.stem_weight,
                "concept_weight": self.concept_weight}
        return {
            "meta": np.array(json.dumps(meta)),
            "classes": np.array(self.classes, dtype=str),
            "vocabulary": np.array(self.vocabulary, dtype=str),
            "idf": self.idf,
            "coef": self.coef,
            "intercept": self.intercept,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray] | np.lib.npyio.NpzFile, prefix: str = "") -> LinearModel:
        meta = json.loads(str(arrays[prefix + "meta"]))
        if meta.get("format") != FORMAT:
            raise ValueError(f"not a model of format {FORMAT}: {meta.get('format')!r}")
        coef = np.asarray(arrays[prefix + "coef"])
        classes = [str(c) for c in arrays[prefix + "classes"]]
        vocabulary = [str(t) for t in arrays[prefix + "vocabulary"]]
        if coef.shape != (len(classes), len(vocabulary)):
            raise ValueError("model arrays do not fit together")
        return cls(classes, vocabulary, np.asarray(arrays[prefix + "idf"]), coef,
                   np.asarray(arrays[prefix + "intercept"]), meta["temperature"], meta["stem_weight"],
                   meta.get("concept_weight", 1.0))  # models saved before the lexicon have no @ terms


def fit_linear(
    texts: Sequence[str], labels: Sequence[str], weights: Sequence[float] | None = None,
    params: LinearParams = DEFAULT_PARAMS,
) -> LinearModel:
    """Train on labelled texts (optionally weighted); needs at least one text."""
    # one BLAS thread: these problems are small, and threads fighting over 2 shared cores made fits 10x slower
    with threadpool_limits(limits=1):
        return _fit_linear(texts, labels, weights, params)


def _fit_linear(
    texts: Sequence[str], labels: Sequence[str], weights: Sequence[float] | None, params: LinearParams
) -> LinearModel:
    if not texts:
        raise ValueError("nothing to train on")
    if len(labels) != len(texts) or (weights is not None and len(weights) != len(texts)):
        raise ValueError("texts, labels and weights differ in length")
    bags = [terms(t) for t in texts]
    doc_terms = [term for bag in bags for term in bag]
    counts = np.fromiter((c for bag in bags for c in bag.values()), dtype=np.float32, count=len(doc_terms))
    rows = np.repeat(np.arange(len(bags)), [len(bag) for bag in bags])
    df = Counter(doc_terms)  # a bag holds each term once, so this counts documents
    min_df = max(params.min_df, 2 if len(texts) >= 2000 else 1)
    vocabulary = sorted(t for t, c in df.items() if c >= min_df)
    index = {t: i for i, t in enumerate(vocabulary)}
    n = len(texts)
    idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in vocabulary], dtype=np.float32)
    weight = _column_weights(vocabulary, idf, params.stem_weight, params.concept_weight)
    all_cols = np.fromiter((index.get(t, -1) for t in doc_terms), dtype=np.int64, count=len(doc_terms))
    kept = all_cols >= 0
    cols = all_cols[kept]
    vals = (1.0 + np.log(counts[kept])) * weight[cols]
    matrix = normalize(sp.csr_matrix((vals, (rows[kept], cols)), shape=(n, len(vocabulary)), dtype=np.float64))
    y = np.asarray(labels)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    classes = sorted(set(labels))
    if len(classes) == 1:  # nothing to tell apart: certain of the only class
        return LinearModel(classes, vocabulary, idf, np.zeros((1, len(vocabulary))), np.zeros(1), 1.0,
                           params.stem_weight, params.concept_weight)
    coef, intercept = _fit(matrix, y, w, classes, params.c)
    temperature = _temperature(matrix, y, w, classes, params) if params.calibrate else 1.0
    return LinearModel(classes, vocabulary, idf, coef, intercept, temperature, params.stem_weight,
                       params.concept_weight)


def _fit(matrix: sp.csr_matrix, y: np.ndarray, w: np.ndarray, classes: list[str], c: float
         ) -> tuple[np.ndarray, np.ndarray]:
    model = LogisticRegression(C=c, max_iter=300, tol=1e-3)
    with warnings.catch_warnings():
        # an unconverged fit after 300 iterations still ranks well; the warning would only be noise
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(matrix, y, sample_weight=w)
    order = [list(model.classes_).index(k) for k in classes]
    if len(model.classes_) == 2:  # binary: sigmoid(w·x+b) is softmax([0, w·x+b])
        coef = np.vstack([np.zeros_like(model.coef_[0]), model.coef_[0]])
        intercept = np.array([0.0, model.intercept_[0]])
    else:
        coef, intercept = model.coef_, model.intercept_
    return coef[order], intercept[order]


def _temperature(matrix: sp.csr_matrix, y: np.ndarray, w: np.ndarray, classes: list[str],
                 params: LinearParams) -> float:
    """The softmax temperature that makes out-of-fold probabilities honest (1.0 when data is too thin)."""
    counts = np.array([np.sum(y == k) for k in classes])
    if counts.min() < 3 or len(y) < 20:
        return 1.0
    rng = np.random.default_rng(0)
    pick = np.arange(len(y)) if len(y) <= CALIBRATION_MAX_SAMPLES else np.sort(
        rng.choice(len(y), CALIBRATION_MAX_SAMPLES, replace=False))
    xs, ys, ws = matrix[pick], y[pick], w[pick]
    if min(np.sum(ys == k) for k in classes) < 3:
        return 1.0
    logits = np.zeros((len(ys), len(classes)))
    for train, test in StratifiedKFold(3, shuffle=True, random_state=0).split(xs, ys):
        if len(set(ys[train])) < len(classes):
            return 1.0
        coef, intercept = _fit(xs[train], ys[train], ws[train], classes, params.c)
        logits[test] = xs[test] @ coef.T + intercept
    truth = np.array([classes.index(k) for k in ys])
    best, best_nll = 1.0, math.inf
    for t in _TEMPERATURES:
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        nll = float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(truth)), truth]))
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


def _column_weights(vocabulary: list[str], idf: np.ndarray, stem_weight: float, concept_weight: float
                    ) -> np.ndarray:
    """idf of each column, times the stem weight for `#stem` and the concept weight for `@concept` columns."""
    kind = np.fromiter((t[:1] for t in vocabulary), dtype="<U1", count=len(vocabulary))
    return (idf * np.where(kind == "#", stem_weight, np.where(kind == "@", concept_weight, 1.0))).astype(np.float32)


def _vector(bag: dict[str, int], index: dict[str, int], weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    known = [(index[term], count) for term, count in bag.items() if term in index]
    if not known:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    pairs = np.array(known, dtype=np.int64)
    cols = pairs[:, 0]
    vals = (1.0 + np.log(pairs[:, 1].astype(np.float32))) * weight[cols]
    return cols, vals / np.sqrt(vals @ vals)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def save_npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, allow_pickle=False, **arrays)
    return buffer.getvalue()


def load_npz(data: bytes) -> dict[str, np.ndarray]:
    """Arrays from bytes, never unpickling (allow_pickle=False): safe for bytes read back from a database."""
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}
