"""A peer's training: the modules, a lesson, its quiz."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
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


@bp.route("/training/<int:module_id>/quiz", methods=["GET", "POST"])
@roles_required("peer")
def quiz(module_id: int):
    profile = current_profile()
    module = module_or_404(profile, module_id)
    questions = list(module.questions)
    form = forms.quiz_form(questions)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        answers = []
        for i in range(len(questions)):
            raw = request.form.get(f"q{i}", "")
            answers.append(int(raw) if raw.isdigit() else None)
        now = clock.now()
        was_certified = eligibility.is_certified(db.session, profile.id, now)
        try:
            _attempt, result = grading.submit_quiz(
                db.session,
                module_id=module.id,
                peer_profile_id=profile.id,
                answers=answers,
                now=now,
            )
        except grading.QuizError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("peers.lesson", module_id=module.id))
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
            certified=certified,
            just_certified=certified and not was_certified,
            next_module=next_module,
            done=done,
            total=total,
            percent=percent,
        )
    # The same questions, answers in the same places: in Spanish when shown so.
    module = spanish.shown(module, str(get_locale()))
    questions = list(module.questions)
    return render_template(
        "peers/quiz.html", module=module, form=forms.quiz_form(questions), questions=questions
    )
