"""Supervisors' live queue of waiting texters, and their hand on a conversation.

Each action: the request (or conversation) looked up in the caller's
organization (404 otherwise), one domain function in `safety.supervision`,
commit, redirect with a message. A request matched meanwhile is a message,
not an error.
"""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user

from peerwork import clock
from peerwork.access import found_or_404, roles_required
from peerwork.extensions import db, get_dispatcher
from peerwork.peers import forms
from peerwork.peers.views.common import bp, supervised_or_404
from peerwork.safety import supervision


def _request_or_404(request_id: int):
    return found_or_404(
        supervision.request_in_org(db.session, request_id, current_user.organization_id)
    )


@bp.get("/supervise/queue")
@roles_required("supervisor", "admin")
def queue():
    now = clock.now()
    waiting = supervision.waiting_queue(db.session, user=current_user, now=now)
    return render_template(
        "peers/queue.html",
        waiting=waiting,
        choose=forms.OfferToPeerForm(formdata=None),
        now=now,
    )


@bp.get("/supervise/queue/poll.json")
@roles_required("supervisor", "admin")
def queue_poll():
    now = clock.now()
    waiting = supervision.waiting_queue(db.session, user=current_user, now=now)
    return jsonify(
        {
            "waiting": [
                [w.request_id, w.state, w.offers_so_far, [p.id for p in w.free_peers]]
                for w in waiting
            ]
        }
    )


def _queue_action(request_id: int, form, act, **details):
    """Run one `supervision` action on a request of the caller's organization and commit.

    `act` is called with the session, the request, the caller, now and the
    dispatcher, plus `details`. Returns (True, the action's result), or
    (False, None) after flashing why not.
    """
    _request_or_404(request_id)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash("Choose a peer first.", "error")
        return False, None
    try:
        result = act(
            db.session,
            request_id=request_id,
            actor=current_user,
            now=clock.now(),
            dispatcher=get_dispatcher(),
            **details,
        )
    except supervision.SupervisionRefused as refused:
        db.session.rollback()
        flash(refused.message, "info")
        return False, None
    db.session.commit()
    return True, result


@bp.post("/supervise/queue/<int:request_id>/offer")
@roles_required("supervisor", "admin")
def queue_offer(request_id: int):
    form = forms.OfferToPeerForm()
    done, alias = _queue_action(
        request_id, form, supervision.offer_to_peer, peer_profile_id=form.peer_profile_id.data
    )
    if done:
        flash(f"Offered to {alias}. They have it on their screen now.", "success")
    return redirect(url_for("peers.queue"))


@bp.post("/supervise/queue/<int:request_id>/reoffer")
@roles_required("supervisor", "admin")
def queue_reoffer(request_id: int):
    done, asked = _queue_action(request_id, forms.ConfirmForm(), supervision.reoffer_to_everyone)
    if done:
        flash(
            f"Offered again to {asked} peer{'s' if asked != 1 else ''} free right now.", "success"
        )
    return redirect(url_for("peers.queue"))


@bp.post("/supervise/queue/<int:request_id>/take")
@roles_required("supervisor", "admin")
def queue_take(request_id: int):
    done, conversation = _queue_action(request_id, forms.ConfirmForm(), supervision.take_request)
    if not done:
        return redirect(url_for("peers.queue"))
    flash("You're connected. The texter has been told your alias.", "success")
    return redirect(url_for("peers.conversation", conversation_id=conversation.id))


@bp.post("/supervise/queue/<int:request_id>/update")
@roles_required("supervisor", "admin")
def queue_update(request_id: int):
    done, _ = _queue_action(request_id, forms.ConfirmForm(), supervision.update_texter)
    if done:
        flash("Update sent: they know a supervisor is finding them a peer.", "success")
    return redirect(url_for("peers.queue"))


# -- on a conversation -------------------------------------------------------------------


@bp.post("/supervise/conversations/<int:conversation_id>/join")
@roles_required("supervisor", "admin")
def join_conversation(conversation_id: int):
    conversation = supervised_or_404(conversation_id)
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    supervision.join(db.session, conversation=conversation, actor=current_user, now=clock.now())
    db.session.commit()
    flash("You've joined: the peer can see you're here.", "success")
    return redirect(url_for("peers.supervise_conversation", conversation_id=conversation.id))


@bp.post("/supervise/conversations/<int:conversation_id>/note")
@roles_required("supervisor", "admin")
def note_to_peer(conversation_id: int):
    conversation = supervised_or_404(conversation_id)
    form = forms.NoteToPeerForm()
    if not form.validate_on_submit():
        flash(" ".join(form.body.errors) or "Write a note for the peer first.", "error")
        return redirect(url_for("peers.supervise_conversation", conversation_id=conversation.id))
    try:
        supervision.note_to_peer(
            db.session,
            conversation=conversation,
            actor=current_user,
            body=form.body.data,
            now=clock.now(),
        )
    except supervision.SupervisionRefused as refused:
        db.session.rollback()
        flash(refused.message, "info")
    else:
        db.session.commit()
        flash("Note sent to the peer. The texter does not see it.", "success")
    return redirect(
        url_for("peers.supervise_conversation", conversation_id=conversation.id) + "#notes"
    )
