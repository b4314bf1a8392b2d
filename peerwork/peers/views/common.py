"""What the peer pages share: the blueprint, the signed-in peer's profile, lookups or 404."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from peerwork.access import found_or_404, in_program_or_404
from peerwork.extensions import db
from peerwork.matching import eligibility
from peerwork.models import Conversation, PeerProfile, TrainingModule
from peerwork.peers import workspace

bp = Blueprint("peers", __name__)


def current_profile() -> PeerProfile:
    """The signed-in peer's profile in their organization (the first, if several)."""
    return found_or_404(workspace.current_profile(db.session, current_user))


def supervised_or_404(conversation_id: int) -> Conversation:
    """A conversation a supervisor of the caller's organization may watch over, else 404."""
    return found_or_404(
        workspace.supervised_conversation(db.session, conversation_id, current_user.organization_id)
    )


def module_or_404(profile: PeerProfile, module_id: int) -> TrainingModule:
    module = in_program_or_404(TrainingModule, module_id, profile.program_id)
    if module.retired_at:
        abort(404)
    return module


def training_summary(profile: PeerProfile, now):
    statuses = eligibility.training_status(db.session, profile.id, now)
    required = [s for s in statuses if s.required]
    done = sum(1 for s in required if s.counts)
    percent = round(100 * done / len(required)) if required else 100
    return statuses, done, len(required), percent
