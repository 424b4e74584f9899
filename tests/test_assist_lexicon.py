"""The contact-centre lexicon: synonyms become shared concepts, and those carry a topic to words no example has."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assist import lexicon
from assist.features import normalise, terms, words
from assist.linear import DEFAULT_PARAMS
from assist.topics import train_topics


def concepts(text: str) -> set[str]:
    return set(lexicon.shipped().concepts(words(text), normalise(text)))


@pytest.mark.parametrize(("text", "concept"), [
    ("Ihr habt schon wieder abgebucht", "payment"),  # prefix "abbuch*" / whole word "abgebucht"
    ("Die Lastschrift ist geplatzt", "payment"),
    ("Wo ist meine Monatsrechnung?", "invoice"),  # a part inside a German compound
    ("PW weg", "login"),
    ("2FA code never arrives", "login"),  # digits normalised like the features do ("0fa")
    ("How do I set up the camera?", "setup"),  # a phrase of two words
    ("wi-fi keeps dropping", "network"),  # a phrase across a hyphen
    ("STRASSE falsch, Adresse ändern", "address"),  # case-folded
    ("unverschämt!!", "anger"),  # signs only: matched in the text
])
def test_words_customers_use_name_their_concept(text: str, concept: str) -> None:
    assert concept in concepts(text)


def test_a_word_counts_once_per_concept_and_unknown_words_name_none() -> None:
    assert concepts("xqzvw blorp") == set()
    bag = terms("Rechnung Rechnung Rechnung")
    assert bag["@invoice"] == 3  # three words of the concept
    assert not [t for t in terms("xqzvw") if t.startswith("@")]


def test_a_malformed_lexicon_is_refused() -> None:
    with pytest.raises(ValueError):
        lexicon.parse({"concepts": {"money": "geld"}})  # not a list
    with pytest.raises(ValueError):
        lexicon.parse(["geld"])
    assert lexicon.parse({"concepts": {"money": ["geld*"]}}).concepts(["geldautomat"], "geldautomat") == {"money": 1}


def test_a_synonym_no_example_has_reaches_the_topic_through_its_concept() -> None:
    """Trained on "Lastschrift" for billing only, a message saying "abgebucht" shares no word with any example:
    with the lexicon it goes to billing, with the concepts weighted 0 it does not."""
    examples = {
        "billing": ["Die Lastschrift ist zurückgegangen", "Frage zur Lastschrift", "Lastschrift falsch"],
        "delivery": ["Wo bleibt mein Paket?", "Paket nicht angekommen", "Sendung verfolgen"],
        "tech": ["Die App stürzt ab", "Kamera offline", "App startet nicht"],
    }
    text = "Ihr habt zu viel abgebucht"
    assert train_topics(examples).classify(text).best == "billing"
    without = train_topics(examples, params=replace(DEFAULT_PARAMS, concept_weight=0.0)).classify(text)
    assert without.best != "billing" or without.confidence < 0.5


@pytest.mark.parametrize("text", ["ok", "danke", "hallo"])
def test_a_word_or_two_without_a_concept_is_not_routed(text: str) -> None:
    from assist import demo
    assert train_topics(demo.flat_examples(10)).classify(text).abstained
