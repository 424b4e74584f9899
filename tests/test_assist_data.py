"""The shipped assist data: big enough, consistent, and the evaluation set kept apart from all training text."""

from __future__ import annotations

import re
from collections import Counter

from assist import demo

LANGS = {"de", "en"}
TOPICS = {"billing", "tech", "sales", "delivery", "cancellation", "complaint"}


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text.casefold()).strip()


def test_the_eval_set_shares_no_text_with_anything_trained_on() -> None:
    training = {_key(t) for by_lang in demo.topic_examples().values() for texts in by_lang.values() for t in texts}
    training |= {_key(e) for s in demo.snippets() for e in (*s.examples, s.title, s.text)}
    training |= {_key(c.text) for c in demo.agent_week()}
    for items in (demo.eval_set(), demo.blind_set()):
        evaluation = [_key(i.text) for i in items]
        assert sorted(set(evaluation) & training) == []
        assert len(evaluation) == len(set(evaluation))  # no duplicates inside it either
    assert not {_key(i.text) for i in demo.eval_set()} & {_key(i.text) for i in demo.blind_set()}


def test_the_blind_set_covers_every_topic_and_language_alike() -> None:
    per = Counter((i.topic, i.language) for i in demo.blind_set())
    # 20 each as written; 3 that matched a training text word for word were dropped
    assert set(per) == {(t, lang) for t in TOPICS for lang in LANGS} and min(per.values()) >= 19


def test_the_eval_set_is_big_and_varied_enough() -> None:
    items = demo.eval_set()
    assert len(items) >= 300
    per = Counter((i.topic, i.language) for i in items)
    assert {t for t, _ in per} == TOPICS and {lang for _, lang in per} == LANGS
    assert min(per.values()) >= 15
    assert sum(len(i.text) < 20 for i in items) >= 30 and sum(len(i.text) >= 100 for i in items) >= 10
    assert sum(i.canned is None for i in items) >= 50  # messages no canned answer fits


def test_every_label_names_something_that_exists() -> None:
    snippets = {s.id: s for s in demo.snippets()}
    for item in [*demo.eval_set(), *demo.blind_set()]:
        assert item.language in LANGS and item.topic in TOPICS, item
        if item.canned:
            assert snippets[item.canned].language == item.language, item
            assert snippets[item.canned].topic == item.topic, item
    for choice in demo.agent_week():
        assert choice.canned_id is None or snippets[choice.canned_id].language == choice.language, choice


def test_training_examples_and_canned_answers_meet_the_minimums() -> None:
    examples = demo.topic_examples()
    assert set(examples) == TOPICS
    for topic, by_lang in examples.items():
        assert set(by_lang) == LANGS
        assert all(len(texts) >= 10 for texts in by_lang.values()), topic
    snippets = demo.snippets()
    assert len({s.id for s in snippets}) == len(snippets)
    per_language = Counter(s.language for s in snippets)
    assert per_language["de"] >= 12 and per_language["en"] >= 12
    assert all(2 <= len(s.examples) <= 3 and s.title and s.text and s.topic in TOPICS for s in snippets)
    assert {s.topic for s in snippets} == TOPICS
    assert len(demo.agent_week()) >= 100
