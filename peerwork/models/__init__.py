"""Typed SQLAlchemy models, one module per area; import them from here.

May import: db, clock (nothing else from peerwork: every layer imports it).
"""

from peerwork.models.care import CheckIn, CrisisPlan, Resource, SkillCard
from peerwork.models.org import (
    CHECKIN_CHOICES,
    WAIT_ALERT_MINUTES,
    WEEKDAYS,
    Organization,
    Program,
    Topic,
)
from peerwork.models.people import Invite, Membership, PeerProfile, User, peer_topics
from peerwork.models.reports import ReportWeek
from peerwork.models.safety import Alert, AuditEvent, EscalationContact, SupervisorNote
from peerwork.models.texting import Conversation, Message, Offer, SupportRequest, Texter
from peerwork.models.training import TrainingAttempt, TrainingModule, TrainingQuestion

__all__ = [
    "CHECKIN_CHOICES",
    "WAIT_ALERT_MINUTES",
    "WEEKDAYS",
    "Alert",
    "AuditEvent",
    "CheckIn",
    "Conversation",
    "CrisisPlan",
    "EscalationContact",
    "Invite",
    "Membership",
    "Message",
    "Offer",
    "Organization",
    "PeerProfile",
    "Program",
    "ReportWeek",
    "Resource",
    "SkillCard",
    "SupervisorNote",
    "SupportRequest",
    "Texter",
    "Topic",
    "TrainingAttempt",
    "TrainingModule",
    "TrainingQuestion",
    "User",
    "peer_topics",
]
