"""Every texter-facing text: GSM-7 and within its segment budget, rendered realistically."""

from __future__ import annotations

import string

import pytest

from peerwork import languages
from peerwork.sms import segments, texts

# Realistic, long-ish values for each placeholder.
SAMPLE = {
    "program": "Northwind Logistics Peer Line",
    "alias": "Jordan R.",
    "menu": "\n".join(
        f"{n} {name}"
        for n, name in enumerate(
            [
                "Work stress",
                "Anxiety",
                "Grief and loss",
                "Family and caregiving",
                "Money worries",
                "Conflict at work",
                "Substance use",
                "Something else",
            ],
            start=1,
        )
    ),
    "hours": "Mon-Fri 8:30am-6pm; Sat 10am-2pm",
    "next_step": texts.TEXTS["closed_choose_topic"].default,
    "opens": "Mon Dec 14 at 8:30am",
    "resources": "EAP (24/7) - 1-800-555-0100\nCity mental health line - 1-800-555-0199\n"
    "Financial counseling - https://example.org/money\nGrief support group - 585-555-0142",
    "topic": "Family and caregiving",
    "what": "a texter has waited 10 minutes",
    "switch": texts.SPANISH["language_hint"],
    "plan": "Warning signs: not sleeping, skipping meals.\nWhat helps: a walk, calling my sister.\n"
    "People: my sister Ana, my friend Lee.\nPro help: EAP 1-800-555-0100.",
}
ONE_SEGMENT = {"crisis", "crisis_first", "crisis_closed", "crisis_es", "language_set"}
# Replies to HELP/INFO, START, DONE, NEW and RESOURCES (an empty directory).
KEYWORD_REPLIES = {
    "help",
    "help_connected",
    "plan_none_connected",
    "opted_in",
    "request_cancelled",
    "ended_by_texter",
    "not_connected",
    "waiting_reminder",
    "resources_none",
}


@pytest.mark.parametrize("key", sorted(texts.TEXTS))
def test_text_is_gsm7_and_within_budget(key):
    text = texts.TEXTS[key]
    rendered = texts.render(key, **{name: SAMPLE[name] for name in text.placeholders})
    info = segments.count(rendered)
    assert info.is_gsm7, f"{key} has a character outside GSM-7"
    assert info.segments <= text.max_segments, f"{key}: {info.segments} segments"
    assert "{" not in rendered


@pytest.mark.parametrize("key", sorted((ONE_SEGMENT | KEYWORD_REPLIES) & set(texts.TEXTS)))
def test_crisis_and_keyword_replies_fit_one_segment(key):
    text = texts.TEXTS[key]
    assert text.max_segments == 1
    rendered = texts.render(key, **{name: SAMPLE[name] for name in text.placeholders})
    assert segments.segments(rendered) == 1


def test_crisis_lines_are_in_every_text_a_texter_may_need_them():
    for key in (
        "welcome",
        "welcome_closed",
        "waiting",
        "help",
        "closed_hours",
        "paused",
        "crisis",
        "crisis_first",
        "crisis_closed",
        "crisis_es",
    ):
        rendered = texts.render(key, **SAMPLE)
        assert "988" in rendered and "911" in rendered


def test_no_text_uses_an_opt_out_word_as_a_command():
    import re

    from peerwork.texter.keywords import OPT_OUT_WORDS

    wordings = [(key, text.default) for key, text in texts.TEXTS.items()]
    wordings += [
        (f"{key} ({lang})", w) for lang, t in texts.TRANSLATIONS.items() for key, w in t.items()
    ]
    for key, wording in wordings:
        for word in OPT_OUT_WORDS:
            assert not re.search(rf"\b{word}\b", wording), f"{key} mentions {word}"


# -- every text in every language ----------------------------------------------------

OTHER_LANGUAGES = sorted(set(languages.LANGUAGES) - {languages.DEFAULT})
EVERY_VERSION = [(key, lang) for key in sorted(texts.TEXTS) for lang in OTHER_LANGUAGES]


def test_every_language_has_a_column_of_texts():
    assert set(texts.TRANSLATIONS) == set(OTHER_LANGUAGES)


@pytest.mark.parametrize(("key", "lang"), EVERY_VERSION)
def test_every_text_has_a_version_in_every_language(key, lang):
    own = texts.STAND_INS.get(lang, {}).get(key, key)
    if texts.TEXTS[own].language == lang:
        return  # written in that language (crisis_es): it is its own version
    assert own in texts.TRANSLATIONS[lang], f"{key} has no {languages.name(lang)} version"
    assert texts.TRANSLATIONS[lang][own] != texts.TEXTS[own].default


@pytest.mark.parametrize(("key", "lang"), EVERY_VERSION)
def test_translated_text_keeps_placeholders_budget_and_encoding(key, lang):
    text = texts.TEXTS[key]
    wording = texts.template_for(key, language=lang)
    names = {name for _, name, _, _ in string.Formatter().parse(wording) if name}
    assert names == texts.TEXTS[texts.STAND_INS.get(lang, {}).get(key, key)].placeholders
    rendered = texts.render(key, language=lang, **{name: SAMPLE[name] for name in names})
    info = segments.count(rendered)
    # UCS-2 only where chosen (texts.UCS2): one "á" would triple the cost silently.
    assert info.is_gsm7 == ((key, lang) not in texts.UCS2), f"{key} ({lang}) is {info.encoding}"
    assert info.segments <= text.max_segments, f"{key} ({lang}): {info.segments} segments"
    if key in ONE_SEGMENT | KEYWORD_REPLIES:
        assert info.segments == 1


def test_translations_name_only_texts_that_exist():
    for lang, column in texts.TRANSLATIONS.items():
        assert set(column) <= set(texts.TEXTS), lang


def test_a_missing_version_is_caught(monkeypatch):
    monkeypatch.setitem(
        texts.TRANSLATIONS, "es", {k: v for k, v in texts.SPANISH.items() if k != "help"}
    )
    with pytest.raises(AssertionError, match="help has no Spanish version"):
        test_every_text_has_a_version_in_every_language("help", "es")


def test_spanish_texter_hears_the_spanish_crisis_reply_and_admin_wording_stays_per_language():
    overrides = {"crisis_es": "Usted importa. Llame al 988 y oprima 2.", "help": "Our own help"}
    assert texts.render("crisis_first", overrides, language="es") == overrides["crisis_es"]
    assert texts.render("crisis_first", overrides) == texts.TEXTS["crisis_first"].default
    assert texts.render("help", overrides, program="X") == "Our own help"
    assert texts.render("help", overrides, language="es", program="X").startswith("X: apoyo")


def test_spanish_crisis_lines_are_in_every_spanish_text_that_needs_them():
    for key in ("welcome", "welcome_closed", "waiting", "closed_hours", "paused", "resources_none"):
        rendered = texts.render(key, language="es", **SAMPLE)
        assert "988" in rendered and "911" in rendered and "AYUDA" in rendered


def test_segment_counter_knows_gsm_extension_and_ucs2():
    assert segments.count("a" * 160).segments == 1
    assert segments.count("a" * 161).segments == 2
    assert segments.count("{" * 80).segments == 1  # extension characters take two septets
    assert segments.count("{" * 81).segments == 2
    assert segments.count("é" * 160).encoding == "GSM-7"
    assert segments.count("😔").encoding == "UCS-2"
    assert segments.count("x" * 70 + "😔").segments == 2
