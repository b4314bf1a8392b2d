"""Crisis detection: every risky message in the corpus is caught, few ordinary ones are."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from peerwork.safety import detect
from peerwork.safety.detect import DEFAULT_PHRASES, Assessment, assess, validate_phrases
from peerwork.safety.phrases import ABUSE_DANGER, HARM_TO_OTHERS, SUICIDE_SELF_HARM

CORPUS = Path(__file__).parent / "data" / "crisis_corpus.tsv"
# Stated floor: at most about one false alarm in seven crisis replies. A false
# alarm costs a supervisor a minute; a miss is not allowed at all.
PRECISION_FLOOR = 0.85
CATEGORY_FLOOR = 0.90


def load_corpus() -> list[tuple[str, str, str]]:
    rows = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, category, message = line.split("\t")
        rows.append((label, category, message))
    return rows


def test_the_corpus_is_big_and_covers_every_category():
    rows = load_corpus()
    labels = Counter(label for label, _, _ in rows)
    categories = Counter(category for label, category, _ in rows if label == "risky")
    assert len(rows) >= 150
    assert set(labels) == {"risky", "ordinary"}
    assert labels["ordinary"] >= 60
    assert {SUICIDE_SELF_HARM, HARM_TO_OTHERS, ABUSE_DANGER} == set(categories)
    assert min(categories.values()) >= 20


def test_corpus_recall_is_total_and_precision_above_the_floor(record_property, capsys):
    missed, false_alarms, wrong_category = [], [], []
    caught = 0
    for label, category, message in load_corpus():
        found = assess(message)
        if label == "risky":
            if not found.is_crisis:
                missed.append(message)
                continue
            caught += 1
            if found.category != category:
                wrong_category.append(message)
        elif found.is_crisis:
            false_alarms.append(message)
    recall = caught / (caught + len(missed))
    precision = caught / (caught + len(false_alarms))
    category_agreement = 1 - len(wrong_category) / caught
    record_property("recall", recall)
    record_property("precision", precision)
    with capsys.disabled():
        print(
            f"\ncrisis corpus: recall {recall:.3f}, precision {precision:.3f} "
            f"(floor {PRECISION_FLOOR}), category agreement {category_agreement:.3f}, "
            f"false alarms {len(false_alarms)}"
        )
    assert missed == [], "every risky message must get the crisis reply"
    assert recall == 1.0
    assert precision >= PRECISION_FLOOR, false_alarms
    assert category_agreement >= CATEGORY_FLOOR, wrong_category


@pytest.mark.parametrize(
    "message",
    [
        "this deadline is killing me",
        "I could murder a pizza",
        "my phone died",
        "dying to know what they decided",
        "this traffic will be the death of me",
        "kill the lights on your way out",
        "you killed it today!!",
        "can you shoot me an email",
        "I have to jump off the call early",
        "hit me up later",
        "I had a panic attack in front of them",
        "I'm burning myself out",
        "2",
        "DONE",
        "",
    ],
)
def test_ordinary_idioms_are_not_a_crisis(message):
    assert not assess(message).is_crisis


@pytest.mark.parametrize(
    ("message", "category"),
    [
        ("I want to kill myself", SUICIDE_SELF_HARM),
        ("I WANT TO KILL MYSELF!!!", SUICIDE_SELF_HARM),
        ("i want to kiiiiiilll myselfff", SUICIDE_SELF_HARM),
        ("k1ll mys3lf", SUICIDE_SELF_HARM),
        ("s.u.i.c.i.d.e", SUICIDE_SELF_HARM),
        ("s u i c i d e", SUICIDE_SELF_HARM),
        ("I\u2019m suicidal", SUICIDE_SELF_HARM),
        ("im so sucidal", SUICIDE_SELF_HARM),
        ("suicdal thoughts again", SUICIDE_SELF_HARM),
        ("I'm thinking about sewerslide", SUICIDE_SELF_HARM),
        ("kms", SUICIDE_SELF_HARM),
        ("wanna unalive myself", SUICIDE_SELF_HARM),
        ("i want to d i e", SUICIDE_SELF_HARM),
        ("\U0001f48a\U0001f48a\U0001f48a tonight", SUICIDE_SELF_HARM),
        ("i want to \U0001f480", SUICIDE_SELF_HARM),
        ("\U0001faa2", SUICIDE_SELF_HARM),
        ("Suicidé", SUICIDE_SELF_HARM),
        ("I'm going to \U0001f52b my boss", HARM_TO_OTHERS),
        ("gonna k!ll him", HARM_TO_OTHERS),
        ("My hubby hits me", ABUSE_DANGER),
        ("my bf keeps hitting me", ABUSE_DANGER),
        ("he's gonna kill me", ABUSE_DANGER),
        ("I\u2019m not safe at home", ABUSE_DANGER),
    ],
)
def test_spelling_slang_repeats_and_emoji_do_not_hide_risk(message, category):
    found = assess(message)
    assert found.is_crisis
    assert found.category == category
    assert found.phrase


def test_no_two_spellings_collapse_to_the_same_word():
    # Doubled letters are squeezed before the map is read: "bff" would shadow "bf".
    from peerwork.safety.phrases import SPELLINGS

    squeezed: dict[str, str] = {}
    for written, meant in SPELLINGS.items():
        key = detect._squeeze(written)
        assert squeezed.setdefault(key, meant) == meant, (written, squeezed[key], meant)


def test_an_idiom_does_not_hide_a_risky_phrase_beside_it():
    assert assess("this deadline is killing me and I want to die").is_crisis
    assert assess("my phone died and honestly I want to kill myself").is_crisis


def test_a_program_can_add_its_own_phrases_and_categories():
    phrases = {
        "suicide_self_harm": ["walk into the lake"],
        "workplace_threat": ["bring|brought a bat"],
    }
    assert assess("I might walk into the lake", phrases).category == SUICIDE_SELF_HARM
    assert assess("he brought a bat to work", phrases).category == "workplace_threat"
    # Its suicide list replaces the default phrases; a category it leaves out keeps them.
    assert assess("my husband hits me", phrases).rule.startswith("abuse_danger#")
    # No list can switch detection off: the model still reads every message.
    replaced = assess("I want to kill myself", phrases)
    assert replaced.category == SUICIDE_SELF_HARM
    assert replaced.rule is None and replaced.reason.startswith("model ")


def test_phrase_syntax_prefix_alternatives_gap_and_regex():
    phrases = {
        "test": ["jump* off|from ... tower", "re:\\bcode ?red\\b", "bring_a_bat|brought_a_bat"]
    }
    assert assess("I'll jump off the old tower", phrases).category == "test"
    assert assess("jumping from the old water tower", phrases).category == "test"
    assert assess("CODE RED", phrases).category == "test"
    assert assess("he brought a bat", phrases).category == "test"
    # "..." spans at most three words: the program's phrase does not match here
    # (the model may still read "jump off the ... tower" as risky, rightly).
    assert assess("jump off the tall old stone tower", phrases).category != "test"


@pytest.mark.parametrize(
    "phrases",
    [
        {"suicide_self_harm": ["re:("]},
        {"suicide_self_harm": [None, 3, "", "   ", "!!!"]},
        {"suicide_self_harm": "kill myself"},
        {"x": [{"nested": "dict"}]},
        ["not", "a", "dict"],
        "garbage",
    ],
)
def test_a_broken_program_list_never_breaks_detection(phrases):
    assert assess("I want to kill myself", phrases).category == SUICIDE_SELF_HARM
    assert not assess("see you at the standup", phrases).is_crisis


@pytest.mark.parametrize("text", [None, 42, b"kill myself", "\x00\x01", "\U0001f600" * 3000])
def test_odd_input_never_raises(text):
    assert isinstance(assess(text), Assessment)


def test_validate_phrases_explains_what_will_not_compile():
    assert validate_phrases(DEFAULT_PHRASES) == []
    problems = validate_phrases({"suicide_self_harm": ["re:(", "", "ok phrase"]})
    assert len(problems) == 2
    assert validate_phrases("nope")


def test_detection_compiles_each_list_once():
    # Speed is measured in benchmarks/crisis.py, never timed here: a loaded
    # machine made the old 1 s bound fail with nothing wrong.
    message = (
        "Hi, sorry to bother you. Work has been really hard this month, my manager keeps "
        "piling things on and I haven't slept properly in days. Can we talk tonight?"
    )
    phrases = {"test": ["code red"]}
    assess(message, phrases)
    compiled_before = detect._compile.cache_info().misses
    for n in range(200):
        assess(f"{message} {n}", phrases)
    assert detect._compile.cache_info().misses == compiled_before
