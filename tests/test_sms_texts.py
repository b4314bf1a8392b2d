"""Every texter-facing text: GSM-7 and within its segment budget, rendered realistically."""

from __future__ import annotations

import pytest

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
    "plan": "Warning signs: not sleeping, skipping meals.\nWhat helps: a walk, calling my sister.\n"
    "People: my sister Ana, my friend Lee.\nPro help: EAP 1-800-555-0100.",
}
ONE_SEGMENT = {"crisis", "crisis_first", "crisis_closed", "crisis_es"}
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

    for key, text in texts.TEXTS.items():
        for word in OPT_OUT_WORDS:
            assert not re.search(rf"\b{word}\b", text.default), f"{key} mentions {word}"


def test_segment_counter_knows_gsm_extension_and_ucs2():
    assert segments.count("a" * 160).segments == 1
    assert segments.count("a" * 161).segments == 2
    assert segments.count("{" * 80).segments == 1  # extension characters take two septets
    assert segments.count("{" * 81).segments == 2
    assert segments.count("é" * 160).encoding == "GSM-7"
    assert segments.count("😔").encoding == "UCS-2"
    assert segments.count("x" * 70 + "😔").segments == 2
