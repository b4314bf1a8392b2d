"""The trained crisis model: Spanish end to end, words no phrase list has, safe
context, the alert's language and reason, reproducible training, one load."""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import subprocess
import sys

import pytest
from sqlalchemy import select

from peerwork.extensions import db, get_vault
from peerwork.models import Alert, EscalationContact, Message
from peerwork.safety import detect, features, train
from peerwork.safety import model as crisis_model
from peerwork.safety.detect import assess
from peerwork.sms import texts
from tests.sms_helpers import Phone
from tests.test_safety_heldout import HELDOUT, load

TEXTER_PHONE = "+17165550166"
SUPERVISOR_PHONE = "+15855550133"


@pytest.fixture
def program(make):
    program = make.program(name="Acme Peer Line", messages_per_second=30)
    vault = get_vault()
    db.session.add(
        EscalationContact(
            program_id=program.id,
            name="Dana",
            phone_encrypted=vault.encrypt(SUPERVISOR_PHONE),
            phone_hash=vault.lookup_hash(SUPERVISOR_PHONE),
            phone_last4=SUPERVISOR_PHONE[-4:],
        )
    )
    db.session.flush()
    return program


def crisis_alerts():
    return list(db.session.scalars(select(Alert).where(Alert.kind == "crisis").order_by(Alert.id)))


# -- Spanish, end to end -----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "ya no quiero vivir, estoy cansada de todo",
        "Mi esposo me pegó anoche y tengo miedo de volver a casa",
        "honestly ya no puedo más, I just want to die",
    ],
)
def test_a_spanish_crisis_text_gets_the_spanish_reply_at_once(client, program, jobs, body):
    replies = Phone(client, program, TEXTER_PHONE, jobs).sends(body, run_jobs=False)

    assert replies[0] == texts.for_program("crisis_es", program)
    assert "988 y oprima 2" in replies[0]
    assert "AYUDA" in replies[0] and "741741" in replies[0] and "911" in replies[0]


def test_an_english_crisis_text_keeps_the_english_reply(client, program, jobs):
    replies = Phone(client, program, TEXTER_PHONE, jobs).sends("I want to end my life tonight")
    # A first text: the English reply that also says a person is being found.
    assert replies[0] == texts.for_program("crisis_first", program)
    assert "oprima" not in replies[0]


def test_the_supervisor_sees_language_category_and_why_never_the_words(
    client, make, program, jobs, transport
):
    body = "le regalé mis cosas a mi hermana, ya no las voy a necesitar"
    supervisor = make.supervisor(program.organization)
    Phone(client, program, TEXTER_PHONE, jobs).sends(body)

    [alert] = crisis_alerts()
    assert alert.category == "suicide_self_harm"
    assert alert.language == "es"
    assert alert.detected_by.startswith(("phrase ", "model "))
    assert transport.bodies_to(SUPERVISOR_PHONE) == [
        texts.for_program("staff_crisis_alert", program)
    ]
    client.login(supervisor)
    page = html.unescape(client.get("/peer/supervise").get_data(as_text=True))
    assert "Suicide or self-harm" in page
    assert "Spanish" in page
    assert f"Detected by {alert.detected_by}" in page
    assert "hermana" not in page and "necesitar" not in page


# -- what the model adds to the phrase list ------------------------------------------


@pytest.mark.parametrize(
    ("body", "category"),
    [
        # indirect suicidal language: no phrase of the list
        ("I've been writing letters to the people I love, just in case", "suicide_self_harm"),
        ("I finally have enough of my pills saved up", "suicide_self_harm"),
        # present-tense self-harm
        ("I'm sitting in the bathroom cutting my arm right now", "suicide_self_harm"),
        # stated intent to hurt a named person
        ("Tomorrow I'm going to make sure Kevin from shipping never walks again", "harm_to_others"),
        # partner violence, fear at home
        ("he locked the door and took my phone, I'm scared of what he'll do", "abuse_danger"),
    ],
)
def test_risky_words_no_phrase_lists_are_caught_by_the_model(body, category):
    found = assess(body)
    assert found.is_crisis, found
    assert found.category == category, found


@pytest.mark.parametrize(
    "body",
    [
        "Our department is doing a suicide prevention workshop next Tuesday",
        "what is the policy for overdose kits in the break room?",
        "my coworker told me her cousin died by suicide, how do I support her?",
        "I used to self harm as a teenager, I've been fine for years",
    ],
)
def test_risk_words_about_a_training_someone_else_or_the_past_are_not_a_crisis(body):
    assert not assess(body).is_crisis, assess(body)


def test_function_words_are_told_apart_from_the_words_that_carry_risk():
    # What STOP_SCALE (off in the shipped model) would penalize: function words
    # alone, pairs of two of them, and their whole-word character n-grams.
    assert train.is_stop_feature("w he") and train.is_stop_feature("b de mi")
    assert train.is_stop_feature("w ben")  # "been", as the model reads it
    assert train.is_stop_feature("c  he ") and not train.is_stop_feature("c  he")
    assert not train.is_stop_feature("w tonight") and not train.is_stop_feature("b kill myself")
    assert not train.is_stop_feature("g other")


def test_a_risky_sentence_inside_a_long_message_is_not_diluted():
    ordinary = (
        "Work has been a lot lately, the schedule changed again and my manager keeps "
        "adding shifts without asking, and the commute takes an hour each way. "
    )
    body = ordinary * 6 + "I've decided tonight is the night I end it. " + ordinary * 4
    assert len(body) <= 1600
    assert assess(body).is_crisis
    assert not assess(ordinary * 10).is_crisis


def test_window_scoring_equals_the_training_path():
    model = crisis_model.load()
    short = "i have been giving away my things"
    cut, hit = train.model_text(short)
    score = model.score(cut, extra=detect.rule_groups(hit))
    assert score.risk == pytest.approx(model.risk_of(train.featurize(short)))
    # A long text's windows are scored exactly as the same words on their own.
    _, normalized = features.parts(("the shift swap is fine with me " * 20).strip())
    words = normalized.split()
    score = model.score(normalized)
    alone = [
        model.risk_of(features.scaled(features.counts(" ".join(words[w.first_word : w.last_word]))))
        for w in features.windows(len(words))
    ]
    assert score.risk == pytest.approx(max(alone))


# -- the program's own phrases still work beside the model -----------------------------


def test_a_program_phrase_fires_whatever_the_model_says():
    phrases = {"workplace_threat": ["brought|bring a bat"]}
    found = assess("our team brought a bat to the softball training", phrases)
    assert found.category == "workplace_threat"
    assert found.rule == "program:workplace_threat#0"


# -- the model file ---------------------------------------------------------------


def test_the_model_is_read_once_and_scoring_needs_no_numpy():
    assess("warming up")
    reads = crisis_model.load.cache_info().misses
    for n in range(50):
        assess(f"checking in {n}")
    assert crisis_model.load.cache_info().misses == reads <= 1
    code = (
        "import sys; from peerwork.safety.detect import assess; "
        "assert assess('I want to kill myself').is_crisis; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'sklearn', 'scipy')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_shipped_model_was_trained_on_the_shipped_data():
    data = json.loads(gzip.decompress(crisis_model.MODEL_PATH.read_bytes()))
    files = train.training_files()
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    assert data["trained_on"]["files"] == [p.name for p in files]
    assert data["trained_on"]["sha256"] == digest.hexdigest()
    assert 0 < data["threshold"] < 1


def test_training_twice_writes_the_same_model(tmp_path):
    sample = tmp_path / "sample.jsonl"
    lines = []
    for path in train.training_files():
        lines.extend(path.read_text(encoding="utf-8").splitlines()[::12])
    sample.write_text("\n".join(lines), encoding="utf-8")
    first, second = tmp_path / "first.json.gz", tmp_path / "second.json.gz"
    train.train([sample], first, report=lambda line: None)
    train.train([sample], second, report=lambda line: None)
    assert first.read_bytes() == second.read_bytes()
    model = crisis_model.read(first)
    assert model.score("i want to kill myself").risk > model.score("see you at lunch").risk


# The crisis replies the webhook may give, by where the texter is and their language.
CRISIS_REPLY_KEYS = ("crisis", "crisis_first", "crisis_closed", "crisis_es")


# -- the webhook decides exactly as offline assess on the held-out set ----------------


def test_the_webhook_gives_the_offline_decision_for_every_heldout_text(client, program, jobs):
    rows = load(HELDOUT)
    crisis_replies = {texts.for_program(key, program) for key in CRISIS_REPLY_KEYS}
    spanish = texts.for_program("crisis_es", program)
    disagreements = []
    for number, row in enumerate(rows):
        expected = assess(row["text"], program.crisis_phrases)
        phone = Phone(client, program, f"+1716556{number:04d}")
        replies = phone.sends(row["text"], run_jobs=False)
        got = bool(replies) and replies[0] in crisis_replies
        in_spanish = got and replies[0] == spanish
        if got != expected.is_crisis or (got and in_spanish != (expected.language == "es")):
            disagreements.append((number, expected.is_crisis, replies[:1]))
    stored = db.session.scalars(
        select(Message.is_crisis).where(Message.direction == "inbound").order_by(Message.id)
    ).all()
    assert disagreements == []
    assert list(stored) == [assess(row["text"], program.crisis_phrases).is_crisis for row in rows]
