"""Texter keywords for support after a conversation: PLAN, TALK, CHECKIN.

None of these is a Twilio opt-out word; turning check-ins off is CHECKIN OFF.
"""

from __future__ import annotations

from peerwork.checkins import plans, schedule
from peerwork.extensions import get_vault
from peerwork.sms.keywords import keyword


@keyword("PLAN", "MY PLAN")
def plan_keyword(turn) -> None:
    """Text the texter their saved crisis plan again."""
    from peerwork.sms import dialog

    connected = dialog.is_connected(turn)
    plan = plans.load(turn.session, texter_id=turn.texter.id, vault=get_vault())
    if plan is None or not any(plan.values()):
        # Mid-conversation, "text NEW to talk" would send them away from their peer.
        turn.reply("plan_none_connected" if connected else "plan_none")
        if connected:
            dialog.note_for_peer(turn, dialog.PEER_NOTES["PLAN_NONE"])
        return
    turn.reply("plan", kind="plan", plan=plans.render(plan))
    if connected:
        dialog.note_for_peer(turn, dialog.PEER_NOTES["PLAN"])


@keyword("TALK")
def talk_keyword(turn) -> None:
    """Reach a peer again, preferring the one from the last conversation."""
    from peerwork.sms import dialog

    texter = turn.texter
    if texter.dialog_state == "connected":
        dialog.relay(turn)  # mid-conversation, "talk" is just words for the peer
        return
    if schedule.has_open_request(turn.session, texter.id):
        turn.reply("waiting_reminder")
        return
    checkin = schedule.answerable(turn.session, texter_id=texter.id, now=turn.now)
    if checkin is not None:
        schedule.answer(turn, checkin, None)
        return
    last = schedule.last_conversation(turn.session, texter.id)
    if last is None:
        # Never talked with anyone: the same start as NEW.
        if turn.program.status != "live":
            turn.reply("paused")
            return
        if texter.dialog_state != "choosing_topic":
            turn.move("choosing_topic")
        dialog.send_menu(turn)
        return
    schedule.reconnect(
        turn, preferred_peer_id=last.peer_profile_id, topic_id=last.topic_id, source="texter"
    )


@keyword("CHECKIN WEEKLY", "CHECKIN ON", "CHECK IN WEEKLY", "CHECK IN ON")
def checkin_weekly_keyword(turn) -> None:
    """Opt in to a weekly check-in."""
    schedule.set_recurring(
        turn.session,
        texter_id=turn.texter.id,
        choice="weekly",
        now=turn.now,
        dispatcher=turn.dispatcher,
    )
    turn.reply("checkin_weekly_on")


@keyword("CHECKIN OFF", "CHECK IN OFF")
def checkin_off_keyword(turn) -> None:
    """Opt out of weekly check-ins (messages from the line still work)."""
    schedule.set_recurring(
        turn.session,
        texter_id=turn.texter.id,
        choice="off",
        now=turn.now,
        dispatcher=turn.dispatcher,
    )
    turn.reply("checkin_weekly_off")


@keyword("CHECKIN", "CHECK IN")
def checkin_keyword(turn) -> None:
    """Explain the CHECKIN keywords."""
    turn.reply("checkin_options")
