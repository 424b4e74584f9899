"""Canned-answer suggestions: in the customer's language, with why, and learning from what agents send."""

from __future__ import annotations

import pytest

from assist import demo
from assist.suggest import AgentChoice, Snippet, Suggester, build_suggester


@pytest.fixture(scope="module")
def fresh() -> Suggester:
    return build_suggester(demo.snippets())


def test_three_suggestions_in_the_customers_language_with_why(fresh: Suggester) -> None:
    german = fresh.suggest("Ich habe mein Passwort vergessen!", "de")
    english = fresh.suggest("I forgot my password!", "en")
    assert [s.canned_id for s in german][:1] == ["password-reset-de"]
    assert [s.canned_id for s in english][:1] == ["password-reset-en"]
    assert len(german) == len(english) == 3
    assert all(s.canned_id.endswith("-de") for s in german)
    assert all(s.canned_id.endswith("-en") for s in english)
    assert german[0].why == "Ich habe mein Passwort vergessen" and german[0].why_kind == "example"
    assert german[0].score >= german[1].score >= german[2].score > 0
    assert 0 < german[0].confidence <= 1


def test_a_language_without_canned_answers_gets_none(fresh: Suggester) -> None:
    assert fresh.suggest("Je ne trouve pas ma facture", "fr") == []
    assert fresh.suggest("   ", "de") == []


def test_learning_from_agents_moves_the_right_answer_into_the_top_three(fresh: Suggester) -> None:
    # slang the snippet and its examples never use: only agents' choices can teach it
    message = "Meine Flimmerkiste spinnt schon wieder"
    assert "app-crash-de" not in [s.canned_id for s in fresh.suggest(message, "de")]
    taught = build_suggester(demo.snippets(), [
        AgentChoice("Flimmerkiste spinnt", "app-crash-de"),
        AgentChoice("die Flimmerkiste spinnt total, was tun", "app-crash-de"),
        AgentChoice("Flimmerkiste zeigt nix mehr an", "app-crash-de"),
    ])
    top = taught.suggest(message, "de")
    assert top[0].canned_id == "app-crash-de"
    assert top[0].why_kind == "agent" and "Flimmerkiste" in top[0].why
    assert taught.learned("de") == 3 and taught.learned("en") == 0


def test_the_simulated_week_improves_the_eval_hit_rate(fresh: Suggester) -> None:
    learned = build_suggester(demo.snippets(), demo.agent_week())
    answerable = [item for item in demo.eval_set() if item.canned]

    def top1(s: Suggester) -> int:
        return sum(s.suggest(item.text, item.language, k=1)[0].canned_id == item.canned for item in answerable)

    assert top1(learned) > top1(fresh)


def test_choices_for_unknown_answers_and_free_text_are_not_learned() -> None:
    s = build_suggester(demo.snippets(), [AgentChoice("hallo", "gone-de"), AgentChoice("danke", None, "de")])
    assert s.learned("de") == 0


def test_bad_snippets_are_refused_clearly() -> None:
    one = Snippet("a", "de", "A", "Text", "billing", ("x",))
    with pytest.raises(ValueError, match="'a' appears twice"):
        build_suggester([one, one])
    with pytest.raises(ValueError, match="language 'fr' is not de or en"):
        build_suggester([Snippet("b", "fr", "B", "Texte")])


def test_a_single_snippet_without_examples_still_suggests_by_its_text() -> None:
    s = build_suggester([Snippet("hours-en", "en", "Opening hours", "We are open Monday to Friday, 9 to 5.")])
    top = s.suggest("when are you open on friday?", "en")
    assert [x.canned_id for x in top] == ["hours-en"]
    assert top[0].why == "Opening hours" and top[0].why_kind == "snippet"
