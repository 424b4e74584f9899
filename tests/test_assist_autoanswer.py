"""Automatic answers: a threshold with ≥ 95 % measured precision, never for excluded topics, switched off on escalations."""

from __future__ import annotations

import pytest

from assist import demo
from assist.autoanswer import (
    Approval,
    Outcome,
    choose_threshold,
    decide,
    escalation_verdict,
    outcomes_for,
    threshold_from_history,
)
from assist.suggest import Suggester, Suggestion, build_suggester
from assist.topics import TopicModel, train_topics

EXCLUDED = {"cancellation", "complaint"}
SNIPPETS = {s.id: s for s in demo.snippets()}


@pytest.fixture(scope="module")
def suggester() -> Suggester:
    return build_suggester(SNIPPETS.values(), demo.agent_week())


@pytest.fixture(scope="module")
def topics() -> TopicModel:
    return train_topics(demo.flat_examples(10))


def test_the_threshold_is_the_lowest_with_95_percent_precision() -> None:
    # 20 right answers above 0.9, then a wrong one at 0.85, then a mix below
    outcomes = [Outcome(0.99 - i * 0.004, "a", "a") for i in range(20)]
    outcomes += [Outcome(0.85, "a", "b"), Outcome(0.8, "a", "a"), Outcome(0.7, "a", "b"), Outcome(0.6, "a", None)]
    choice = choose_threshold(outcomes)
    assert choice.threshold == pytest.approx(0.8)  # 21 of 22 right = 95.5 %; at 0.7 it would be 21/23 = 91 %
    assert choice.precision == pytest.approx(21 / 22) and choice.accepted == 22
    assert choice.coverage == pytest.approx(22 / 24)


def test_no_threshold_when_precision_is_never_reached_or_too_little_is_measured() -> None:
    coin = [Outcome(1 - i / 100, "a", "a" if i % 2 else "b") for i in range(40)]
    assert choose_threshold(coin).threshold is None
    few = [Outcome(0.9, "a", "a")] * 5
    choice = choose_threshold(few)
    assert choice.threshold is None and "at least 10" in choice.reason


def test_on_held_back_messages_the_chosen_threshold_is_95_percent_precise(suggester: Suggester) -> None:
    items = demo.eval_set()
    held_back = [(i.text, i.language, i.canned) for n, i in enumerate(items) if n % 2 == 0]
    outcomes = outcomes_for(SNIPPETS.values(), demo.agent_week(), held_back)
    choice = choose_threshold(outcomes)
    assert choice.threshold is not None
    sent = [o for o in outcomes if o.predicted and o.confidence >= choice.threshold]
    assert len(sent) >= 10
    assert sum(o.correct for o in sent) / len(sent) >= 0.95
    # and the decision sends exactly those held-back messages at or above it
    approvals = {cid: Approval(cid, choice.threshold) for cid in SNIPPETS}
    for text, language, _ in held_back[:60]:
        top = suggester.suggest(text, language)
        decision = decide(top, language=language, topic=None, snippets=SNIPPETS, approvals=approvals,
                          excluded_topics=set())
        assert decision.send == (top[0].confidence >= choice.threshold), decision.reason


def test_the_threshold_from_the_agents_own_history() -> None:
    choice = threshold_from_history(list(SNIPPETS.values()), demo.agent_week())
    assert choice.held_back == len(demo.agent_week()) // 5
    assert choice.threshold is not None and choice.precision >= 0.95 and choice.accepted >= 10


def test_excluded_topics_are_never_answered_automatically(suggester: Suggester, topics: TopicModel) -> None:
    approvals = {cid: Approval(cid, 0.0) for cid in SNIPPETS}  # everything approved, no confidence needed
    sent = 0
    for item in demo.eval_set():
        top = suggester.suggest(item.text, item.language)
        prediction = topics.classify(item.text)
        decision = decide(top, language=item.language, topic=prediction, snippets=SNIPPETS, approvals=approvals,
                          excluded_topics=EXCLUDED)
        if decision.send:
            sent += 1
            assert SNIPPETS[decision.canned_id or ""].topic not in EXCLUDED
            assert prediction.best not in EXCLUDED
            assert all(prediction.scores[t] < 0.2 for t in EXCLUDED)
        elif top and SNIPPETS[top[0].canned_id].topic in EXCLUDED:
            assert "excluded" in decision.reason
    assert sent > 50  # the rule does not pass by sending nothing


def test_a_cancellation_is_not_answered_even_by_a_confident_match(suggester: Suggester, topics: TopicModel) -> None:
    text = "Ich möchte mein Abo kündigen"
    top = suggester.suggest(text, "de")
    assert top[0].canned_id == "cancel-subscription-de"
    approvals = {"cancel-subscription-de": Approval("cancel-subscription-de", 0.0)}
    decision = decide(top, language="de", topic=topics.classify(text), snippets=SNIPPETS, approvals=approvals,
                      excluded_topics=EXCLUDED)
    assert (decision.send, decision.reason) == (False, "topic cancellation is excluded from automatic answers")


def test_each_missing_condition_keeps_the_answer_back(suggester: Suggester) -> None:
    top = suggester.suggest("Wo ist mein Paket?", "de")
    cid = top[0].canned_id
    assert cid == "tracking-de"

    def run(approvals: dict[str, Approval], suggestions: list[Suggestion] = top, **kw: object) -> tuple[bool, str]:
        args: dict = {"language": "de", "topic": "delivery", "snippets": SNIPPETS, "approvals": approvals,
                      "excluded_topics": EXCLUDED, **kw}
        d = decide(suggestions, **args)
        return d.send, d.reason

    ok = {cid: Approval(cid, 0.5)}
    assert run(ok)[0] is True
    assert run({}) == (False, "tracking-de is not approved for automatic answers")
    assert run({cid: Approval(cid, 0.5, enabled=False)}) == (False, "tracking-de was switched off for automatic answers")
    assert run({cid: Approval(cid, None)})[1] == "tracking-de has no threshold with 95 % measured precision"
    assert run(ok, language="en") == (False, "the answer is in de, the customer writes en")
    assert run(ok, topic="complaint") == (False, "topic complaint is excluded from automatic answers")
    assert run(ok, first_message=False)[0] is False
    assert run({cid: Approval(cid, 1.01)})[1].startswith("confidence ")
    low = [Suggestion(cid, 0.4, 0.4, "x", "example")]
    assert run(ok, suggestions=low)[0] is False
    assert run(ok, suggestions=[]) == (False, "no canned answer fits")


def test_a_snippet_customers_escalate_after_is_switched_off() -> None:
    assert escalation_verdict(5, 5, max_rate=0.2, min_samples=20).switch_off is False  # too few to judge
    verdict = escalation_verdict(40, 10, max_rate=0.2, min_samples=20)
    assert verdict.switch_off and verdict.rate == 0.25 and "10 of 40" in verdict.reason
    assert escalation_verdict(40, 8, max_rate=0.2, min_samples=20).switch_off is False  # exactly at the level
    assert escalation_verdict(0, 0, max_rate=0.2, min_samples=0).switch_off is False
    with pytest.raises(ValueError, match="counts do not fit"):
        escalation_verdict(3, 4, max_rate=0.2, min_samples=1)
    with pytest.raises(ValueError, match="max_rate"):
        escalation_verdict(3, 1, max_rate=1.5, min_samples=1)
