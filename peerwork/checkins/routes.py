"""Pages for check-ins, crisis plans and skill cards.

Peers reach a crisis plan only through a conversation they hold, and see
check-in answers only for their own conversations; admins manage the skill
cards of their own organization's programs. Anything else is a 404.
"""

from __future__ import annotations

import functools

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from peerwork import clock
from peerwork.access import in_program_or_404, program_or_404, roles_required
from peerwork.checkins import cards, forms, plans, schedule
from peerwork.extensions import db, get_dispatcher, get_vault
from peerwork.models import Conversation, PeerProfile, Program, SkillCard, Texter
from peerwork.peers import workspace

bp = Blueprint("care", __name__)


# -- helpers -------------------------------------------------------------------


def _peer_profile() -> PeerProfile:
    """The signed-in peer's profile in their organization."""
    profile = workspace.current_profile(db.session, current_user)
    if profile is None:
        abort(404)
    return profile


def _own_conversation(profile: PeerProfile, conversation_id: int) -> Conversation:
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or conversation.peer_profile_id != profile.id:
        abort(404)
    return conversation


def _card(program: Program, card_id: int) -> SkillCard:
    return in_program_or_404(SkillCard, card_id, program.id)


# -- peers: check-in answers and crisis plans -------------------------------------------


@bp.get("/checkins")
@roles_required("peer")
def checkins():
    profile = _peer_profile()
    program = db.session.get(Program, profile.program_id)
    answers = schedule.answers_for_peer(db.session, peer_profile_id=profile.id)
    return render_template("care/checkins.html", answers=answers, program=program)


@bp.route("/conversations/<int:conversation_id>/plan", methods=["GET", "POST"])
@roles_required("peer")
def plan(conversation_id: int):
    profile = _peer_profile()
    conversation = _own_conversation(profile, conversation_id)
    program = db.session.get(Program, conversation.program_id)
    texter = db.session.get(Texter, conversation.texter_id)
    form = forms.PlanForm()
    status, error = 200, None
    if form.validate_on_submit():
        try:
            plans.save(
                db.session,
                conversation_id=conversation.id,
                peer_profile_id=profile.id,
                sections=form.sections(),
                now=clock.now(),
                dispatcher=get_dispatcher(),
                vault=get_vault(),
                send_now=form.send_now.data,
            )
        except plans.PlanError as refused:
            db.session.rollback()
            status, error = 422, refused.message
        else:
            db.session.commit()
            flash(
                "Plan saved and texted to them."
                if form.send_now.data
                else "Plan saved. They can text PLAN to get it.",
                "success",
            )
            return redirect(url_for("care.plan", conversation_id=conversation.id))
    elif form.is_submitted():
        status = 422
    else:
        saved = plans.load(db.session, texter_id=texter.id, vault=get_vault())
        for key, value in (saved or {}).items():
            getattr(form, key).data = value
    return (
        render_template(
            "care/plan.html",
            form=form,
            conversation=conversation,
            program=program,
            pseudonym=texter.pseudonym,
            sections=plans.SECTIONS,
            max_chars=plans.SECTION_MAX_CHARS,
            error=error,
        ),
        status,
    )


# -- admins: skill cards ------------------------------------------------------------------


def _save_card(program: Program, form, save, done: str):
    """Save a submitted skill-card form through `save`.

    Returns a redirect to the card list once saved, else None and the status
    to show the form again with (200 before a submit, 422 when refused).
    """
    if not form.validate_on_submit():
        return None, 422 if form.is_submitted() else 200
    try:
        save(
            db.session,
            program=program,
            title=form.title.data,
            body=form.body.data,
            now=clock.now(),
            actor=current_user,
        )
    except cards.CardError as error:
        db.session.rollback()
        form.body.errors.append(error.message)
        return None, 422
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("care.skill_cards", program_id=program.id)), None


@bp.route("/programs/<int:program_id>/skill-cards", methods=["GET", "POST"])
@roles_required("admin")
def skill_cards(program_id: int):
    program = program_or_404(program_id)
    form = forms.SkillCardForm()
    saved, status = _save_card(program, form, cards.add_card, "Skill card added.")
    if saved is not None:
        return saved
    return (
        render_template(
            "care/skill_cards.html",
            program=program,
            form=form,
            cards=cards.program_cards(db.session, program.id),
            step="skills",
            max_segments=cards.MAX_SEGMENTS,
        ),
        status,
    )


@bp.route("/programs/<int:program_id>/skill-cards/<int:card_id>", methods=["GET", "POST"])
@roles_required("admin")
def skill_card_edit(program_id: int, card_id: int):
    program = program_or_404(program_id)
    card = _card(program, card_id)
    form = forms.SkillCardForm(obj=card)
    saved, status = _save_card(
        program, form, functools.partial(cards.edit_card, card=card), "Skill card saved."
    )
    if saved is not None:
        return saved
    return (
        render_template(
            "care/skill_card_edit.html",
            program=program,
            card=card,
            form=form,
            step="skills",
            max_segments=cards.MAX_SEGMENTS,
        ),
        status,
    )


@bp.post("/programs/<int:program_id>/skill-cards/<int:card_id>/<any(retire, restore):move>")
@roles_required("admin")
def skill_card_retire(program_id: int, card_id: int, move: str):
    program = program_or_404(program_id)
    card = _card(program, card_id)
    # CSRFProtect has checked the token of this button-only form.
    cards.set_retired(
        db.session,
        program=program,
        card=card,
        retired=move == "retire",
        now=clock.now(),
        actor=current_user,
    )
    db.session.commit()
    flash(
        "Card hidden from peers." if move == "retire" else "Card shown to peers again.", "success"
    )
    return redirect(url_for("care.skill_cards", program_id=program.id))
