"""`states.transition`: one conditional UPDATE, its state machine the guard.

The usual move (one row by id, plain values) runs a statement built once per
shape; these tests hold it to the same rules as the general one.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, select

from peerwork.models import Message, states


def _outbound(make, session, now, status="queued"):
    program = make.program()
    texter = make.texter(program, state="waiting")
    message = Message(
        program_id=program.id,
        direction="outbound",
        author="system",
        kind="system",
        recipient="texter",
        texter_id=texter.id,
        body="Thanks for reaching out.",
        status=status,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def _status(session, message_id):
    return session.execute(
        select(Message.status, Message.twilio_sid, Message.sent_at, Message.error_code).where(
            Message.id == message_id
        )
    ).one()


def _move(session, message, new, **options):
    """Move an outbound message along the delivery machine (not synchronized with the session)."""
    return states.transition(
        session,
        Message,
        message.id,
        states.DELIVERY,
        new,
        attr="status",
        synchronize_session=False,
        **options,
    )


def test_a_legal_move_sets_the_state_and_its_values(make, session, now):
    message = _outbound(make, session, now, status="sending")

    moved = _move(
        session,
        message,
        "sent",
        twilio_sid="SM" + "a" * 32,
        sent_at=now,
    )

    assert moved == 1
    assert tuple(_status(session, message.id)) == ("sent", "SM" + "a" * 32, now, None)


def test_an_illegal_move_changes_nothing(make, session, now):
    message = _outbound(make, session, now, status="delivered")

    moved = _move(
        session,
        message,
        "sending",
        sent_at=now,
    )

    assert moved == 0
    assert _status(session, message.id).status == "delivered"


def test_the_same_shape_with_other_values_and_rows_moves_each_its_own(make, session, now):
    first = _outbound(make, session, now, status="sending")
    second = _outbound(make, session, now, status="sending")
    later = now + timedelta(minutes=3)

    for message, sid, at in ((first, "SM" + "1" * 32, now), (second, "SM" + "2" * 32, later)):
        assert (
            _move(
                session,
                message,
                "sent",
                twilio_sid=sid,
                sent_at=at,
            )
            == 1
        )

    assert tuple(_status(session, first.id))[:3] == ("sent", "SM" + "1" * 32, now)
    assert tuple(_status(session, second.id))[:3] == ("sent", "SM" + "2" * 32, later)


def test_a_failed_move_keeps_its_error_code_and_a_none_value_is_written(make, session, now):
    message = _outbound(make, session, now, status="sending")

    _move(
        session,
        message,
        "failed",
        error_code=30007,
    )
    assert _status(session, message.id).error_code == 30007

    queued = _outbound(make, session, now, status="sending")
    _move(
        session,
        queued,
        "queued",
        error_code=None,
    )
    assert tuple(_status(session, queued.id)) == ("queued", None, None, None)


def test_a_move_with_an_expression_or_extra_condition_still_works(make, session, now):
    message = _outbound(make, session, now)

    moved = _move(
        session,
        message,
        "sending",
        where=(Message.body.is_not(None),),
        attempts=Message.attempts + 1,
    )

    assert moved == 1
    assert session.scalar(select(Message.attempts).where(Message.id == message.id)) == 1


def test_the_orm_object_follows_a_move_by_default(make, session, now):
    message = _outbound(make, session, now, status="sending")

    states.transition(
        session, Message, message.id, states.DELIVERY, "sent", attr="status", sent_at=now
    )

    assert message.status == "sent"  # synchronize_session="fetch": the session sees it


def test_a_named_shape_is_built_once_and_binds_its_condition_on_each_call(make, session, now):
    first = _outbound(make, session, now)
    second = _outbound(make, session, now)
    only_if = (Message.body == bindparam("wanted_body"),)

    def claim(message, wanted):
        return _move(
            session,
            message,
            "sending",
            where=only_if,
            shape="by-body",
            params={"wanted_body": wanted},
            attempts=Message.attempts + 1,
            status_updated_at=now,
        )

    assert claim(first, "Thanks for reaching out.") == 1
    assert claim(second, "Some other words") == 0  # its own value, not the first call's
    assert claim(second, "Thanks for reaching out.") == 1
    assert claim(second, "Thanks for reaching out.") == 0  # sending -> sending: not a move
    attempts = session.scalars(
        select(Message.attempts).where(Message.id.in_((first.id, second.id))).order_by(Message.id)
    ).all()
    assert attempts == [1, 1]
