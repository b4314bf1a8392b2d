"""The topic menu a texter chooses from."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from peerwork import clock
from peerwork.admin import programs
from peerwork.admin import topics as topic_menu
from peerwork.admin.forms import ActionForm, TopicForm
from peerwork.admin.views.common import bp, load_child, load_program, save_form, saved
from peerwork.extensions import db
from peerwork.models import Topic

# -- topics ---------------------------------------------------------------------------


@bp.route("/programs/<int:program_id>/topics", methods=["GET", "POST"])
def topics(program_id: int):
    program = load_program(program_id)
    form = TopicForm()

    def act():
        topic_menu.add_topic(
            db.session,
            program=program,
            name=form.name.data,
            keywords=topic_menu.parse_keywords(form.keywords.data),
            description=form.description.data,
            now=clock.now(),
            actor=current_user,
        )

    def on_error(error):
        db.session.refresh(program)

    response = save_form(
        form,
        act,
        lambda _: (
            f"Topic “{form.name.data.strip()}” added.",
            "admin.topics",
            {"program_id": program.id},
        ),
        on_error=on_error,
    )
    if response is not None:
        return response
    return render_template(
        "admin/topics.html", program=program, form=form, action_form=ActionForm(), step="topics"
    )


@bp.route("/programs/<int:program_id>/topics/<int:topic_id>", methods=["GET", "POST"])
def topic_edit(program_id: int, topic_id: int):
    program = load_program(program_id)
    topic = load_child(Topic, topic_id, program)
    form = TopicForm(obj=topic)
    if request.method == "GET":
        form.keywords.data = ", ".join(topic.keywords or [])

    def act():
        topic_menu.update_topic(
            db.session,
            topic=topic,
            name=form.name.data,
            keywords=topic_menu.parse_keywords(form.keywords.data),
            description=form.description.data,
            now=clock.now(),
            actor=current_user,
        )

    response = save_form(
        form, act, lambda _: ("Topic saved.", "admin.topics", {"program_id": program.id})
    )
    if response is not None:
        return response
    return render_template(
        "admin/topic_edit.html", program=program, topic=topic, form=form, step="topics"
    )


@bp.post("/programs/<int:program_id>/topics/<int:topic_id>/<any(up,down,retire,restore):move>")
def topic_action(program_id: int, topic_id: int, move: str):
    program = load_program(program_id)
    topic = load_child(Topic, topic_id, program)
    if not ActionForm().validate_on_submit():
        abort(400)
    now = clock.now()
    try:
        if move in ("up", "down"):
            topic_menu.move_topic(
                db.session, topic=topic, offset=-1 if move == "up" else 1, now=now,
                actor=current_user,
            )  # fmt: skip
            message = "Menu order saved."
        elif move == "retire":
            topic_menu.retire_topic(db.session, topic=topic, now=now, actor=current_user)
            message = f"“{topic.name}” is off the menu."
        else:
            topic_menu.restore_topic(db.session, topic=topic, now=now, actor=current_user)
            message = f"“{topic.name}” is back on the menu."
    except programs.SetupError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("admin.topics", program_id=program.id))
    return saved(message, "admin.topics", program_id=program.id)
