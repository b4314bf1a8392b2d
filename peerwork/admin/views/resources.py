"""Resources texters are sent."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from peerwork import clock
from peerwork.admin import resources
from peerwork.admin import topics as topic_menu
from peerwork.admin.defaults import LOCAL_SUGGESTIONS, SUGGESTIONS_BY_KEY
from peerwork.admin.forms import ActionForm, ResourceForm, choices
from peerwork.admin.views.common import bp, load_child, load_program, save_form, saved
from peerwork.extensions import db
from peerwork.models import Program, Resource

# -- resources --------------------------------------------------------------------------


def _resource_form(program: Program, obj=None) -> ResourceForm:
    form = ResourceForm(obj=obj)
    form.topic_ids.choices = choices((t.id, t.name) for t in topic_menu.active_topics(program))
    return form


def _resource_values(form: ResourceForm) -> dict:
    return {key: form[key].data for key in resources.FIELDS}


@bp.route("/programs/<int:program_id>/resources", methods=["GET", "POST"])
def resources_page(program_id: int):
    program = load_program(program_id)
    form = _resource_form(program)
    suggestion = SUGGESTIONS_BY_KEY.get(request.args.get("suggest", ""))
    if request.method == "GET" and suggestion is not None:
        # A picked suggestion pre-fills the form; the admin completes and saves it.
        form.name.data = suggestion.name
        form.description.data = suggestion.description
        form.phone.data = suggestion.phone
        form.url.data = suggestion.url

    def act():
        resources.add_resource(
            db.session,
            program=program,
            values=_resource_values(form),
            now=clock.now(),
            actor=current_user,
        )

    response = save_form(
        form, act, lambda _: ("Resource added.", "admin.resources_page", {"program_id": program.id})
    )
    if response is not None:
        return response
    topic_names = {t.id: t.name for t in program.topics}
    return render_template(
        "admin/resources.html",
        program=program,
        form=form,
        resources=resources.list_resources(db.session, program),
        topic_names=topic_names,
        suggestion=suggestion,
        suggestions=resources.open_suggestions(db.session, program, LOCAL_SUGGESTIONS),
        action_form=ActionForm(),
        step="resources",
    )


@bp.route("/programs/<int:program_id>/resources/<int:resource_id>", methods=["GET", "POST"])
def resource_edit(program_id: int, resource_id: int):
    program = load_program(program_id)
    resource = load_child(Resource, resource_id, program)
    form = _resource_form(program, resource)

    def act():
        resources.update_resource(
            db.session,
            program=program,
            resource=resource,
            values=_resource_values(form),
            now=clock.now(),
            actor=current_user,
        )

    response = save_form(
        form, act, lambda _: ("Resource saved.", "admin.resources_page", {"program_id": program.id})
    )
    if response is not None:
        return response
    return render_template(
        "admin/resource_edit.html", program=program, resource=resource, form=form,
        step="resources",
    )  # fmt: skip


@bp.post("/programs/<int:program_id>/resources/<int:resource_id>/<any(retire,restore):move>")
def resource_action(program_id: int, resource_id: int, move: str):
    program = load_program(program_id)
    resource = load_child(Resource, resource_id, program)
    if not ActionForm().validate_on_submit():
        abort(400)
    resources.set_retired(
        db.session,
        program=program,
        resource=resource,
        retired=move == "retire",
        now=clock.now(),
        actor=current_user,
    )
    message = "Hidden from texters." if move == "retire" else "Shown to texters again."
    return saved(message, "admin.resources_page", program_id=program.id)
