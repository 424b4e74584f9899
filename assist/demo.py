"""The demo tenant's assist data shipped in assist/eval/: topic examples, canned answers, evaluation set, agent week.

All of it was written for the project. The benchmark and the tests read it through these loaders, and the
gateway may seed the demo tenant from them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from .suggest import AgentChoice, Snippet

EVAL_DIR = Path(__file__).resolve().parent / "eval"


@dataclass(frozen=True)
class Labelled:
    """One message of the evaluation set."""

    text: str
    language: str
    topic: str
    canned: str | None  # the right canned answer's id, None when none fits


def topic_examples(per_language: int | None = None) -> dict[str, dict[str, list[str]]]:
    """{topic: {language: [examples]}}, the first `per_language` of each list when given."""
    data = yaml.safe_load((EVAL_DIR / "train_demo.yaml").read_text())["topics"]
    return {t: {lang: list(texts)[:per_language] for lang, texts in by_lang.items()} for t, by_lang in data.items()}


def flat_examples(per_language: int | None = None) -> dict[str, list[str]]:
    """{topic: [examples of every language]}: what `train_topics` takes."""
    return {t: [x for texts in by_lang.values() for x in texts] for t, by_lang in topic_examples(per_language).items()}


def snippets() -> list[Snippet]:
    """The demo canned answers."""
    data = yaml.safe_load((EVAL_DIR / "canned_demo.yaml").read_text())["canned"]
    return [Snippet(c["id"], c["language"], c["title"], c["text"], c["topic"], tuple(c["examples"])) for c in data]


def eval_set() -> list[Labelled]:
    """The labelled evaluation messages (kept apart from every training text)."""
    return [Labelled(**row) for row in _jsonl("eval.jsonl")]


def blind_set() -> list[Labelled]:
    """A second evaluation set, written by another author who saw neither the training data, the first
    evaluation set, nor the lexicon, after the lexicon was written; measured, never looked into."""
    return [Labelled(**row) for row in _jsonl("eval_blind.jsonl")]


def agent_week() -> list[AgentChoice]:
    """A simulated week of what agents sent in reply to which message, in order."""
    return [AgentChoice(row["text"], row["canned"], row["language"]) for row in _jsonl("agent_week.jsonl")]


def _jsonl(name: str) -> list[dict]:
    with (EVAL_DIR / name).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]
