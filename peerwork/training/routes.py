"""Admin authoring of the training curriculum."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from peerwork import clock
from peerwork.access import program_or_404, roles_required
from peerwork.extensions import db
from peerwork.models import Program, TrainingModule
from peerwork.training import authoring, grading
from peerwork.training.forms import (
    ConfirmForm,
    ModuleForm,
    NewModuleForm,
    PublishForm,
    QuestionForm,
)
from peerwork.training.lessons import render_lesson

bp = Blueprint("training", __name__)


def _module_or_404(module_id: int) -> tuple[TrainingModule, Program]:
    module = db.session.get(TrainingModule, module_id)
    if module is None:
        abort(404)
    return module, program_or_404(module.program_id)


@bp.get("/")
@roles_required("admin")
def index():
    programs = db.session.scalars(
        select(Program)
        .where(Program.organization_id == current_user.organization_id)
        .order_by(Program.name)
    ).all()
    if len(programs) == 1:
        return redirect(url_for("training.program", program_id=programs[0].id))
    return render_template("training/index.html", programs=programs)


@bp.route("/program/<int:program_id>", methods=["GET", "POST"])
@roles_required("admin")
def program(program_id: int):
    program = program_or_404(program_id)
    form = NewModuleForm()
    if form.validate_on_submit():
        try:
            module = authoring.add_module(
                db.session,
                program_id=program.id,
                title=form.title.data,
                lesson_md=form.lesson_md.data or "",
                now=clock.now(),
                actor=current_user,
            )
        except authoring.AuthoringError as exc:
            db.session.rollback()
            form.title.errors = [str(exc)]
        else:
            db.session.commit()
            flash("Module added. Write its lesson and quiz, then mark it required.", "success")
            return redirect(url_for("training.module", module_id=module.id))
    modules = db.session.scalars(
        select(TrainingModule)
        .where(TrainingModule.program_id == program.id)
        .order_by(TrainingModule.retired_at.is_not(None), TrainingModule.position)
    ).all()
    status = 400 if request.method == "POST" else 200
    return render_template(
        "training/program.html",
        program=program,
        modules=modules,
        form=form,
        problems={m.id: authoring.module_problems(m) for m in modules},
        step="training",
    ), status


@bp.post("/program/<int:program_id>/publish")
@roles_required("admin")
def publish_training(program_id: int):
    program = program_or_404(program_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        published = authoring.publish_training(
            db.session, program_id=program.id, now=clock.now(), actor=current_user
        )
    except authoring.AuthoringError as exc:
        db.session.rollback()
        flash(f"Training not published. {exc}", "error")
        return redirect(url_for("training.program", program_id=program.id))
    db.session.commit()
    if published:
        flash(
            "Training published. Volunteers who pass every required module are certified.",
            "success",
        )
    else:
        flash("This training was already published.", "success")
    return redirect(url_for("training.program", program_id=program.id))


def _question_forms(module: TrainingModule) -> dict[int, QuestionForm]:
    forms = {}
    for question in module.questions:
        form = QuestionForm(prefix=f"q{question.id}", formdata=None)
        form.prompt.data = question.prompt
        form.choices.data = "\n".join(question.choices)
        form.correct.data = question.correct_index + 1
        form.explanation.data = question.explanation
        forms[question.id] = form
    return forms


def _render_module(module, program, *, status=200, **forms):
    module_form = forms.get("module_form") or ModuleForm(obj=module, formdata=None)
    question_forms = _question_forms(module)
    if "edited" in forms:
        question_forms[forms["edited"][0]] = forms["edited"][1]
    return render_template(
        "training/module.html",
        module=module,
        program=program,
        module_form=module_form,
        question_forms=question_forms,
        new_question=forms.get("new_question") or QuestionForm(prefix="new", formdata=None),
        publish_form=forms.get("publish_form")
        or PublishForm(formdata=None, data={"grace_days": program.retrain_grace_days}),
        confirm=ConfirmForm(),
        lesson_html=render_lesson(module.lesson_md),
        problems=authoring.module_problems(module),
        per_attempt=grading.attempt_size(len(module.questions)),
        cooldown_minutes=int(grading.COOLDOWN.total_seconds() // 60),
        step="training",
    ), status


@bp.route("/module/<int:module_id>", methods=["GET", "POST"])
@roles_required("admin")
def module(module_id: int):
    module, program = _module_or_404(module_id)
    form = ModuleForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            authoring.update_module(
                db.session,
                module=module,
                title=form.title.data,
                lesson_md=form.lesson_md.data,
                pass_mark=form.pass_mark.data,
                required=form.required.data,
                now=clock.now(),
                actor=current_user,
            )
        except authoring.AuthoringError as exc:
            db.session.rollback()
            form.required.errors = [str(exc)]
            return _render_module(module, program, status=400, module_form=form)
        db.session.commit()
        flash("Module saved. Peers see the change now.", "success")
        return redirect(url_for("training.module", module_id=module.id))
    if request.method == "POST":
        return _render_module(module, program, status=400, module_form=form)
    return _render_module(module, program)


@bp.post("/module/<int:module_id>/questions")
@roles_required("admin")
def add_question(module_id: int):
    module, program = _module_or_404(module_id)
    return _save_question(module, program, QuestionForm(prefix="new"), None)


@bp.post("/module/<int:module_id>/questions/<int:question_id>")
@roles_required("admin")
def edit_question(module_id: int, question_id: int):
    module, program = _module_or_404(module_id)
    if question_id not in {q.id for q in module.questions}:
        abort(404)
    return _save_question(module, program, QuestionForm(prefix=f"q{question_id}"), question_id)


def _save_question(module, program, form: QuestionForm, question_id: int | None):
    def again():
        if question_id is None:
            return _render_module(module, program, status=400, new_question=form)
        return _render_module(module, program, status=400, edited=(question_id, form))

    if not form.validate_on_submit():
        return again()
    try:
        authoring.save_question(
            db.session,
            module=module,
            question_id=question_id,
            prompt=form.prompt.data,
            choices=form.choice_list(),
            correct_index=form.correct.data - 1,
            explanation=form.explanation.data or "",
            now=clock.now(),
            actor=current_user,
        )
    except authoring.AuthoringError as exc:
        db.session.rollback()
        db.session.refresh(module)
        form.choices.errors = [str(exc)]
        return again()
    db.session.commit()
    flash("Question saved.", "success")
    return redirect(url_for("training.module", module_id=module.id) + "#quiz")


@bp.post("/module/<int:module_id>/questions/<int:question_id>/delete")
@roles_required("admin")
def delete_question(module_id: int, question_id: int):
    module, _program = _module_or_404(module_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        authoring.delete_question(
            db.session, module=module, question_id=question_id, now=clock.now(), actor=current_user
        )
    except authoring.AuthoringError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("Question removed.", "success")
    return redirect(url_for("training.module", module_id=module.id) + "#quiz")


@bp.post("/module/<int:module_id>/publish")
@roles_required("admin")
def publish(module_id: int):
    module, program = _module_or_404(module_id)
    form = PublishForm()
    if not form.validate_on_submit():
        return _render_module(module, program, status=400, publish_form=form)
    try:
        authoring.publish_version(
            db.session,
            module=module,
            grace_days=form.grace_days.data,
            now=clock.now(),
            actor=current_user,
        )
    except authoring.AuthoringError as exc:
        db.session.rollback()
        form.grace_days.errors = [str(exc)]
        return _render_module(module, program, status=400, publish_form=form)
    db.session.commit()
    flash(
        f"Version {module.version} published. Peers re-pass it within "
        f"{form.grace_days.data} days to stay matchable.",
        "success",
    )
    return redirect(url_for("training.module", module_id=module.id))


@bp.post("/module/<int:module_id>/retire")
@roles_required("admin")
def retire(module_id: int):
    module, _program = _module_or_404(module_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if module.retired_at is None:
        authoring.retire_module(db.session, module=module, now=clock.now(), actor=current_user)
        flash("Module retired: it no longer counts for certification.", "success")
    else:
        authoring.restore_module(db.session, module=module, now=clock.now(), actor=current_user)
        flash("Module restored.", "success")
    db.session.commit()
    return redirect(url_for("training.module", module_id=module.id))
