"""The volunteer peer's workspace: dashboard, profile, the switch, offers and
conversations. A peer's training and the supervisors' pages are in
`peerwork.peers.views`, on the same blueprint.

Every URL that names an offer, a conversation, a module or an alert looks it
up through the caller's own peer profile or organization: anything else is a
404, never a 403, so ids of other people's work reveal nothing.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import abort, flash, jsonify, redirect, render_template, request, url_for

from peerwork import clock, conversations, languages
from peerwork.access import found_or_404, roles_required
from peerwork.extensions import db, get_dispatcher, get_vault
from peerwork.hours import DAY_NAMES
from peerwork.matching import eligibility, offers
from peerwork.models import WEEKDAYS, PeerProfile, Program, Texter
from peerwork.peers import forms, workspace
from peerwork.peers import profile as profiles
from peerwork.peers.views import (  # noqa: F401  (registers their pages)
    figures,
    queue,
    supervise,
    training,
)
from peerwork.peers.views.common import bp, current_profile, training_summary
from peerwork.safety import supervision

__all__ = ["bp"]


# -- helpers -------------------------------------------------------------------


def _conversation_or_404(profile: PeerProfile, conversation_id: int):
    return found_or_404(workspace.own_conversation(db.session, conversation_id, profile.id))


# -- dashboard -------------------------------------------------------------------


@bp.get("/")
@roles_required("peer")
def dashboard():
    profile = current_profile()
    now = clock.now()
    if profile.onboarded_at is None or not profile.profile_complete:
        return redirect(url_for("peers.onboarding"))
    if not eligibility.is_certified(db.session, profile.id, now):
        return redirect(url_for("peers.training"))
    program = db.session.get(Program, profile.program_id)
    local = now.astimezone(_zone(program))
    return render_template(
        "peers/dashboard.html",
        profile=profile,
        program=program,
        now=now,
        offers=workspace.open_offers(db.session, profile.id, now),
        active=workspace.active_conversations(db.session, profile.id),
        recent=workspace.recent_conversations(db.session, profile.id),
        wrap_ups=workspace.wrap_ups_due(db.session, profile.id),
        in_hours=eligibility.within_weekly_hours(profile.availability, local),
        at_capacity=profile.active_conversations >= profile.capacity,
        training=training_summary(profile, now),
        switch=forms.AvailableForm(formdata=None),
        confirm=forms.ConfirmForm(formdata=None),
    )


def _zone(program: Program) -> ZoneInfo:
    return ZoneInfo(program.timezone or "UTC")


@bp.get("/poll.json")
@roles_required("peer")
def poll():
    profile = current_profile()
    return jsonify(workspace.live_stamp(db.session, profile.id, clock.now()))


# -- onboarding and profile --------------------------------------------------------


def _fill_profile_form(form: forms.ProfileForm, profile: PeerProfile) -> None:
    form.alias.data = profile.alias
    form.topics.data = [t.id for t in profile.topics]
    form.any_topic.data = profile.accepts_any_topic
    form.capacity.data = profile.capacity
    form.sms_alerts.data = profile.sms_alerts
    form.languages.data = languages.parse_list(profile.languages)
    form.locale.data = profile.user.locale or ""
    for row in profiles.availability_rows(profile):
        getattr(form, f"{row.day}_on").data = row.on
        getattr(form, f"{row.day}_start").data = row.start
        getattr(form, f"{row.day}_end").data = row.end


@bp.route("/onboarding", methods=["GET", "POST"], endpoint="onboarding")
@bp.route("/profile", methods=["GET", "POST"])
@roles_required("peer")
def profile():
    profile = current_profile()
    program = db.session.get(Program, profile.program_id)
    onboarding = profile.onboarded_at is None
    form = forms.ProfileForm()
    form.topics.choices = forms.choices((t.id, t.name) for t in program.topics if t.active)
    if request.method == "GET":
        _fill_profile_form(form, profile)
    elif form.validate_on_submit():
        try:
            availability = profiles.parse_availability(
                [
                    profiles.DayHours(
                        day,
                        getattr(form, f"{day}_on").data,
                        (getattr(form, f"{day}_start").data or "").strip(),
                        (getattr(form, f"{day}_end").data or "").strip(),
                    )
                    for day in WEEKDAYS
                ]
            )
            profiles.save_profile(
                db.session,
                peer_profile_id=profile.id,
                alias=form.alias.data,
                topic_ids=form.topics.data or [],
                any_topic=form.any_topic.data,
                capacity=form.capacity.data,
                availability=availability,
                alert_phone=form.alert_phone.data,
                sms_alerts=form.sms_alerts.data,
                now=clock.now(),
                vault=get_vault(),
                # None keeps them: a form without the boxes (or all unticked) is no answer.
                spoken=form.languages.data or None,
                locale=form.locale.data or "",
            )
        except profiles.ProfileError as exc:
            db.session.rollback()
            target = getattr(form, exc.field, None) or form.alias
            target.errors = [*target.errors, exc.message]
        else:
            db.session.commit()
            if onboarding:
                flash("Profile saved. Next: your training.", "success")
                return redirect(url_for("peers.training"))
            flash("Profile saved.", "success")
            return redirect(url_for("peers.dashboard"))
    # Never echo a phone number into a page, even the peer's own on a refused save.
    form.alert_phone.data = ""
    status = 400 if request.method == "POST" else 200
    return render_template(
        "peers/profile.html",
        form=form,
        program=program,
        profile=profile,
        onboarding=onboarding,
        days=WEEKDAYS,
        day_names=DAY_NAMES,
        has_phone=profile.alert_phone_encrypted is not None,
        any_topic_hint=eligibility.ANY_TOPIC_HINT,
    ), status


# -- the switch and offers -------------------------------------------------------------


@bp.post("/available")
@roles_required("peer")
def available():
    profile = current_profile()
    form = forms.AvailableForm()
    if not form.validate_on_submit():
        abort(400)
    on = form.available.data == "1"
    try:
        profiles.set_available(
            db.session,
            peer_profile_id=profile.id,
            available=on,
            now=clock.now(),
            dispatcher=get_dispatcher(),
        )
    except profiles.ProfileError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(
            "You are available. New requests will appear here."
            if on
            else "You are switched off. No new offers will come to you.",
            "success" if on else "info",
        )
    return redirect(url_for("peers.dashboard"))


def _offer_or_404(profile: PeerProfile, offer_id: int):
    return found_or_404(workspace.own_offer(db.session, offer_id, profile.id))


@bp.post("/offers/<int:offer_id>/accept")
@roles_required("peer")
def accept(offer_id: int):
    profile = current_profile()
    offer = _offer_or_404(profile, offer_id)
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        conversation = offers.accept_offer(
            db.session,
            offer_id=offer.id,
            peer_profile_id=profile.id,
            now=clock.now(),
            dispatcher=get_dispatcher(),
        )
    except offers.OfferUnavailable as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return redirect(url_for("peers.dashboard"))
    db.session.commit()
    return redirect(url_for("peers.conversation", conversation_id=conversation.id))


@bp.post("/offers/<int:offer_id>/decline")
@roles_required("peer")
def decline(offer_id: int):
    profile = current_profile()
    offer = _offer_or_404(profile, offer_id)
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    offers.decline_offer(
        db.session,
        offer_id=offer.id,
        peer_profile_id=profile.id,
        now=clock.now(),
        dispatcher=get_dispatcher(),
    )
    db.session.commit()
    flash("Offer declined. Another peer will be asked.", "info")
    return redirect(url_for("peers.dashboard"))


# -- conversations ---------------------------------------------------------------------


def _render_conversation(profile, conversation, *, reply=None, flag=None, status=200):
    texter = db.session.get(Texter, conversation.texter_id)
    program = db.session.get(Program, conversation.program_id)
    resources = workspace.resources_for(db.session, conversation)
    cards = workspace.skill_cards_for(db.session, conversation.program_id)
    reply = reply or forms.ReplyForm(formdata=None)
    insert = request.args.get("insert", "")
    if not reply.body.data and insert:
        kind, _, raw_id = insert.partition("-")
        if kind == "resource":
            chosen = next((r for r in resources if str(r.id) == raw_id), None)
            reply.body.data = workspace.resource_text(chosen) if chosen else None
        elif kind == "card":
            chosen = next((c for c in cards if str(c.id) == raw_id), None)
            reply.body.data = chosen.body if chosen else None
    topic = next((t for t in program.topics if t.id == conversation.topic_id), None)
    messages = workspace.thread(db.session, conversation)
    return render_template(
        "peers/conversation.html",
        conversation=conversation,
        pseudonym=texter.pseudonym,
        texter_language=texter.language,
        topic=topic,
        program=program,
        profile=profile,
        messages=messages,
        resources=[(r, workspace.resource_text(r)) for r in resources],
        cards=cards,
        reply=reply,
        flag=flag or forms.FlagForm(formdata=None),
        last_message_id=max((m.id for m in messages), default=0),
        notes=supervision.notes_on(db.session, conversation.id),
        last_note_id=supervision.last_note_id(db.session, conversation.id),
        own_words=None if topic else workspace.own_words(messages),
        needs_wrap_up=conversations.needs_wrap_up(conversation),
        checkin_label=forms.CHECKIN_LABELS.get(conversation.checkin_choice)
        if conversation.checkin_choice != "none"
        else None,
    ), status


@bp.get("/conversations/<int:conversation_id>")
@roles_required("peer")
def conversation(conversation_id: int):
    profile = current_profile()
    conversation = _conversation_or_404(profile, conversation_id)
    if conversation.state == "active":
        conversations.mark_read(
            db.session,
            conversation_id=conversation.id,
            peer_profile_id=profile.id,
            now=clock.now(),
        )
        db.session.commit()
    return _render_conversation(profile, conversation)


@bp.get("/conversations/<int:conversation_id>/poll.json")
@roles_required("peer")
def conversation_poll(conversation_id: int):
    profile = current_profile()
    conversation = _conversation_or_404(profile, conversation_id)
    messages = workspace.thread(db.session, conversation)
    return jsonify(
        {
            "state": conversation.state,
            "last_message_id": max((m.id for m in messages), default=0),
            "is_crisis": conversation.is_crisis,
            # A supervisor's note or arrival refreshes the page as a message does.
            "last_note_id": supervision.last_note_id(db.session, conversation.id),
        }
    )


def _act_on_conversation(conversation_id: int, form, form_name: str, field: str, act):
    """Run a peer's form action on their conversation and commit.

    Returns the conversation and None, or the conversation and the page
    re-rendered with the form's error when the form or the action refuses.
    """
    profile = current_profile()
    conversation = _conversation_or_404(profile, conversation_id)
    if form.validate_on_submit():
        try:
            act(
                db.session,
                conversation_id=conversation.id,
                peer_profile_id=profile.id,
                now=clock.now(),
                dispatcher=get_dispatcher(),
                **{field: form[field].data},
            )
        except conversations.ConversationError as exc:
            db.session.rollback()
            form[field].errors = [exc.message]
        else:
            db.session.commit()
            return conversation, None
    return conversation, _render_conversation(
        profile, conversation, status=400, **{form_name: form}
    )


@bp.post("/conversations/<int:conversation_id>/reply")
@roles_required("peer")
def reply(conversation_id: int):
    conversation, refused = _act_on_conversation(
        conversation_id, forms.ReplyForm(), "reply", "body", conversations.peer_reply
    )
    if refused is not None:
        return refused
    return redirect(url_for("peers.conversation", conversation_id=conversation.id) + "#reply")


@bp.post("/conversations/<int:conversation_id>/flag")
@roles_required("peer")
def flag(conversation_id: int):
    conversation, refused = _act_on_conversation(
        conversation_id,
        forms.FlagForm(),
        "flag",
        "reason",
        conversations.flag_for_supervisor,
    )
    if refused is not None:
        return refused
    flash("A supervisor has been alerted and will look at this conversation.", "success")
    return redirect(url_for("peers.conversation", conversation_id=conversation.id))


@bp.route("/conversations/<int:conversation_id>/end", methods=["GET", "POST"])
@roles_required("peer")
def end(conversation_id: int):
    """End a conversation with a wrap-up, or wrap up one the texter ended."""
    profile = current_profile()
    conversation = _conversation_or_404(profile, conversation_id)
    program = db.session.get(Program, conversation.program_id)
    if conversation.state != "active" and not conversations.needs_wrap_up(conversation):
        flash("This conversation has already ended and been wrapped up.", "info")
        return redirect(url_for("peers.conversation", conversation_id=conversation.id))
    form = forms.WrapUpForm()
    form.topic_id.choices = forms.choices(
        [(0, "No particular topic")]
        + [(t.id, t.name) for t in program.topics if t.active or t.id == conversation.topic_id]
    )
    if request.method == "GET":
        form.topic_id.data = conversation.topic_id or 0
        form.checkin_choice.data = (
            program.checkin_default
            if conversation.state == "active"
            else conversation.checkin_choice
        )
    elif form.validate_on_submit():
        now = clock.now()
        wrap_up = {
            "outcome": form.outcome.data,
            "checkin_choice": form.checkin_choice.data,
            "topic_id": form.topic_id.data or None,
        }
        ending = conversation.state == "active"
        if ending:
            conversations.end_conversation(
                db.session,
                conversation_id=conversation.id,
                ended_by="peer",
                now=now,
                dispatcher=get_dispatcher(),
                **wrap_up,
            )
        # Also when the texter's DONE got there first: the wrap-up is kept either way.
        conversations.wrap_up(
            db.session,
            conversation_id=conversation.id,
            peer_profile_id=profile.id,
            now=now,
            dispatcher=get_dispatcher(),
            **wrap_up,
        )
        db.session.commit()
        flash(
            "Conversation ended. Thank you for being there."
            if ending
            else "Wrap-up saved. Thank you for being there.",
            "success",
        )
        return redirect(url_for("peers.dashboard"))
    texter = db.session.get(Texter, conversation.texter_id)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "peers/end.html",
        form=form,
        conversation=conversation,
        pseudonym=texter.pseudonym,
        program=program,
        default_label=forms.CHECKIN_LABELS.get(conversation.checkin_choice),
    ), status
