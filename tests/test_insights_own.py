"""A peer's own figures: their conversations, their hours, their texters' answers together."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from peerwork.insights import periods
from peerwork.insights.dashboard import OUTCOME_LABELS
from peerwork.insights.own import peer_figures, weekly_hours
from peerwork.models import CheckIn, Conversation, SupportRequest, Texter
from peerwork.peers.forms import OUTCOMES
from peerwork.training.curriculum import install_default_curriculum


def _held(session, program, peer, texter, started, score=None):
    request = SupportRequest(program_id=program.id, texter_id=texter.id, state="closed",
                             created_at=started, matched_at=started, closed_at=started)  # fmt: skip
    session.add(request)
    session.flush()
    conversation = Conversation(program_id=program.id, request_id=request.id, texter_id=texter.id,
                                peer_profile_id=peer.id, state="ended", started_at=started,
                                ended_at=started + timedelta(minutes=30))  # fmt: skip
    session.add(conversation)
    session.flush()
    if score:
        session.add(CheckIn(program_id=program.id, texter_id=texter.id, conversation_id=conversation.id,
                            peer_profile_id=peer.id, state="answered", score=score,
                            due_at=started + timedelta(days=1), expires_at=started + timedelta(days=2),
                            answered_at=started + timedelta(days=1)))  # fmt: skip


def test_a_peer_sees_their_own_figures_with_small_answers_hidden(make, session, now, client):
    org = make.org()
    program = make.program(org)
    install_default_curriculum(session, program_id=program.id, now=now)
    peer = make.peer(
        program, availability={"mon": [["09:00", "17:00"]], "sat": [["10:00", "12:00"]]}
    )
    other = make.peer(program)
    monday = now - timedelta(days=16)  # in the last whole weeks
    # 7 texters answered 5, 2 answered 1; someone else's texter answered 3.
    for score in [5] * 7 + [1] * 2:
        _held(session, program, peer, make.texter(program), monday, score)
    _held(session, program, other, make.texter(program), monday, 3)
    session.commit()
    period = periods.resolve(tz=program.timezone, now=now, preset="4w")
    own = peer_figures(session, program_id=program.id, peer_profile_id=peer.id, period=period, k=5)
    assert own.conversations_total.shown == "9"
    assert own.hours_available == 10.0
    by_score = {s: f.shown for s, f in own.scores.by_key().items()}
    # The two rough days are hidden, and so are the good ones that would give them away.
    assert by_score == {1: "hidden", 2: "0", 3: "0", 4: "0", 5: "hidden"}
    assert own.scores.grand().shown == "9"

    client.login(peer.user)
    body = client.get("/peer/figures?period=4w").get_data(as_text=True)
    assert "Your figures" in body and ">9<" in body and "hidden" in body
    pseudonyms = session.scalars(select(Texter.pseudonym)).all()
    assert pseudonyms and not any(name in body for name in pseudonyms)


def test_weekly_hours_add_up_the_spans():
    assert weekly_hours({"mon": [["09:00", "17:00"]], "tue": [["22:00", "24:00"]]}) == 10.0
    assert weekly_hours(None) == 0


def test_the_reports_know_every_wrap_up_outcome():
    assert set(dict(OUTCOMES)) | {"none"} == set(OUTCOME_LABELS)
