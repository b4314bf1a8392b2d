"""Supervisors' pages: the conversations they watch over and the alerts they acknowledge."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from peerwork import audit, clock
from peerwork.access import roles_required
from peerwork.extensions import db
from peerwork.models import Alert, Program
from peerwork.peers import forms, workspace
from peerwork.peers.views.common import bp, supervised_or_404
from peerwork.safety import escalation

# -- supervisors ------------------------------------------------------------------------


@bp.get("/supervise")
@roles_required("supervisor", "admin")
def supervise():
    org = current_user.organization_id
    return render_template(
        "peers/supervise.html",
        alerts=workspace.open_alerts(db.session, org),
        flagged=workspace.flagged_conversations(db.session, org),
        waiting_count=workspace.waiting_count(db.session, org),
        confirm=forms.ConfirmForm(formdata=None),
        now=clock.now(),
    )


@bp.get("/supervise/poll.json")
@roles_required("supervisor", "admin")
def supervise_poll():
    return jsonify(workspace.supervision_stamp(db.session, current_user.organization_id))


@bp.get("/supervise/conversations/<int:conversation_id>")
@roles_required("supervisor", "admin")
def supervise_conversation(conversation_id: int):
    conversation = supervised_or_404(conversation_id)
    # Reading a texter's words is audited: once per supervisor, conversation and hour.
    program = db.session.get(Program, conversation.program_id)
    if audit.record_once_per_window(
        db.session,
        organization_id=program.organization_id,
        program_id=program.id,
        action="supervisor.conversation_opened",
        now=clock.now(),
        actor=current_user,
        object_type="conversation",
        object_id=conversation.id,
    ):
        db.session.commit()
    return render_template(
        "peers/supervise_conversation.html",
        view=workspace.supervision_view(db.session, conversation),
        now=clock.now(),
    )


@bp.get("/supervise/conversations/<int:conversation_id>/poll.json")
@roles_required("supervisor", "admin")
def supervise_conversation_poll(conversation_id: int):
    view = workspace.supervision_view(db.session, supervised_or_404(conversation_id))
    return jsonify({"state": view.conversation.state, "last_message_id": view.last_message_id})


@bp.post("/supervise/alerts/<int:alert_id>/acknowledge")
@roles_required("supervisor", "admin")
def acknowledge(alert_id: int):
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        done = escalation.acknowledge(
            db.session,
            alert_id=alert_id,
            user_id=current_user.id,
            organization_id=current_user.organization_id,
            now=clock.now(),
        )
    except escalation.AlertNotFound:
        abort(404)
    db.session.commit()
    flash(
        "Alert acknowledged." if done else "Someone already acknowledged this alert.",
        "success" if done else "info",
    )
    # Acknowledging from the conversation page keeps the supervisor on that page.
    conversation_id = request.form.get("conversation_id", type=int)
    if conversation_id and db.session.get(Alert, alert_id).conversation_id == conversation_id:
        return redirect(url_for("peers.supervise_conversation", conversation_id=conversation_id))
    return redirect(url_for("peers.supervise"))
