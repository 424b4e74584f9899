"""Language of a customer's message: restricted to the tenant's languages, hints as priors, sticky conversations."""

from __future__ import annotations

import pytest

from assist.language import detect_language

LANGS = ["de", "en"]
GREETINGS = ["Hallo", "Hi", "hi!", "ok", "OK.", "danke", "Danke!", "Thanks", "hello", "Hey", "ja", "yes", "👍"]


@pytest.mark.parametrize("current", LANGS)
@pytest.mark.parametrize("greeting", GREETINGS)
def test_a_short_greeting_never_flips_the_conversation(greeting: str, current: str) -> None:
    guess = detect_language(greeting, LANGS, current=current)
    assert (guess.language, guess.changed) == (current, False)


def test_a_confident_message_in_another_language_changes_the_conversation() -> None:
    guess = detect_language("Sorry, could you please answer in English? I do not speak German.", LANGS, current="de")
    assert (guess.language, guess.changed) == ("en", True)
    assert guess.confidence >= 0.9
    back = detect_language("Ich habe doch noch eine Frage zu meiner Rechnung vom März", LANGS, current="en")
    assert (back.language, back.changed) == ("de", True)


def test_a_short_message_in_another_language_does_not_change_it() -> None:
    # clearly English, but too short to be confident evidence for a switch
    assert detect_language("my invoice?", LANGS, current="de").language == "de"
    assert detect_language("Rechnung falsch", LANGS, current="en").language == "en"


def test_the_message_itself_decides_when_nothing_is_known() -> None:
    assert detect_language("Wo ist mein Paket? Ich warte seit einer Woche.", LANGS).language == "de"
    assert detect_language("Where is my parcel? I have been waiting for a week.", LANGS).language == "en"
    # a mixed message goes by its dominant language
    assert detect_language("Hallo, my package is late and the tracking shows nothing", LANGS).language == "en"


def test_a_hint_decides_what_the_text_cannot() -> None:
    assert detect_language("Hi", LANGS, hint="en-GB").language == "en"
    assert detect_language("Hi", LANGS, hint="de_AT").language == "de"
    assert detect_language("ok", LANGS, hint="de").language == "de"
    assert detect_language("Hallo", LANGS, hint="en").language == "en"  # Telegram said en: "Hallo" does not undo it
    assert detect_language("Hallo", LANGS).language == "de"
    unsure = detect_language("ok", LANGS)
    assert unsure.confidence <= 0.5 + 1e-9  # nothing to go by: no confidence claimed


def test_a_clear_message_outweighs_a_wrong_hint() -> None:
    guess = detect_language("Meine Rechnung wurde doppelt abgebucht, bitte erstatten Sie den Betrag", LANGS, hint="en")
    assert guess.language == "de"
    assert guess.changed is False  # a hint is not a conversation language


def test_only_the_tenants_languages_come_out() -> None:
    # French text among de/en: the answer is still one of the tenant's languages
    assert detect_language("Bonjour, où est mon colis ? Je l'attends depuis une semaine.", LANGS).language in LANGS
    assert detect_language("Bonjour, où est mon colis ?", ["fr", "de"]).language == "fr"
    assert detect_language("anything", ["de"]).language == "de"


def test_bad_language_lists_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="no languages"):
        detect_language("Hallo", [])
    with pytest.raises(ValueError, match="does not know xx"):
        detect_language("Hallo Welt, wie geht es", ["de", "xx"])
