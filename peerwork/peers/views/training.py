"""A peer's training: the modules, a lesson, its quiz."""

from __future__ import annotations

from math import ceil

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale

from peerwork import clock
from peerwork.access import roles_required
from peerwork.extensions import db, get_dispatcher
from peerwork.matching import eligibility, offers
from peerwork.models import Program
from peerwork.peers import forms
from peerwork.peers.views.common import (
    bp,
    current_profile,
    module_or_404,
    training_summary,
)
from peerwork.training import grading, spanish
from peerwork.training.lessons import render_lesson

# -- training ------------------------------------------------------------------------


@bp.get("/training")
@roles_required("peer")
def training():
    profile = current_profile()
    if profile.onboarded_at is None:
        return redirect(url_for("peers.onboarding"))
    now = clock.now()
    statuses, done, total, percent = training_summary(profile, now)
    return render_template(
        "peers/training.html",
        statuses=statuses,
        done=done,
        total=total,
        percent=percent,
        certified=eligibility.is_certified(db.session, profile.id, now),
        program=db.session.get(Program, profile.program_id),
    )


@bp.get("/training/<int:module_id>")
@roles_required("peer")
def lesson(module_id: int):
    profile = current_profile()
    module = module_or_404(profile, module_id)
    statuses, done, total, percent = training_summary(profile, clock.now())
    status = next((s for s in statuses if s.module_id == module.id), None)
    module = spanish.shown(module, str(get_locale()))
    return render_template(
        "peers/lesson.html",
        module=module,
        status=status,
        lesson_html=render_lesson(module.lesson_md),
        done=done,
        total=total,
        percent=percent,
    )


def _cooldown_page(module, until, now):
    statuses, done, total, percent = training_summary(current_profile(), now)
    return render_template(
        "peers/quiz_wait.html",
        module=module,
        until=until,
        minutes=max(1, ceil((until - now).total_seconds() / 60)),
        program=db.session.get(Program, module.program_id),
        done=done,
        total=total,
        percent=percent,
    )


@bp.route("/training/<int:module_id>/quiz", methods=["GET", "POST"])
@roles_required("peer")
def quiz(module_id: int):
    profile = current_profile()
    module = module_or_404(profile, module_id)
    secret = current_app.config["SECRET_KEY"]
    now = clock.now()
    form = forms.QuizForm()
    if request.method == "GET":
        until = grading.cooldown_until(
            db.session, module=module, peer_profile_id=profile.id, now=now
        )
        if until is not None:
            return _cooldown_page(module, until, now)
        try:
            draw = grading.draw_quiz(module, peer_profile_id=profile.id, secret=secret)
        except grading.QuizError as exc:
            flash(str(exc), "error")
            return redirect(url_for("peers.lesson", module_id=module.id))
        # The same questions and options, in Spanish when shown so.
        language = str(get_locale())
        return render_template(
            "peers/quiz.html",
            module=spanish.shown(module, language),
            form=form,
            draw=spanish.shown_draw(module, draw, language),
        )
    if not form.validate_on_submit():
        abort(400)
    was_certified = eligibility.is_certified(db.session, profile.id, now)
    try:
        draw = grading.load_draw(
            module, token=form.draw.data, peer_profile_id=profile.id, secret=secret
        )
        _attempt, result = grading.submit_quiz(
            db.session,
            module_id=module.id,
            peer_profile_id=profile.id,
            answers=draw.chosen(request.form),
            draw_seed=draw.seed,
            now=now,
        )
    except grading.QuizError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("peers.quiz", module_id=module.id))
    certified = eligibility.is_certified(db.session, profile.id, now)
    if certified and not was_certified and profile.available:
        offers.wake_waiting(
            db.session,
            program_id=profile.program_id,
            now=now,
            dispatcher=get_dispatcher(),
        )
    db.session.commit()
    statuses, done, total, percent = training_summary(profile, now)
    next_module = next(
        (s for s in statuses if s.required and not s.counts and s.module_id != module.id),
        None,
    )
    return render_template(
        "peers/quiz_result.html",
        module=module,
        result=result,
        wait_until=grading.cooldown_until(
            db.session, module=module, peer_profile_id=profile.id, now=now
        ),
        cooldown_minutes=int(grading.COOLDOWN.total_seconds() // 60),
        program=db.session.get(Program, profile.program_id),
        certified=certified,
        just_certified=certified and not was_certified,
        next_module=next_module,
        done=done,
        total=total,
        percent=percent,
    )
