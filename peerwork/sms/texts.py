"""Every SMS text a person receives, in one place.

Each text has a key, a default wording, a segment budget, and whether a
program admin may reword it. `render()` applies a program's own wording (if
any) and fills the placeholders. `tests/test_sms_texts.py` checks every text
for GSM-7 and its segment budget; keep wording plain ASCII (straight quotes,
no emoji) so it stays GSM-7 and cheap, and keep the crisis text to one segment.

Never make a Twilio opt-out word (STOP, END, QUIT, CANCEL, UNSUBSCRIBE,
STOPALL, REVOKE, OPTOUT) a command of ours: Twilio acts on those itself.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

CRISIS_LINES = "Call or text 988, or text HOME to 741741. In danger now? Call 911."


@dataclass(frozen=True)
class SmsText:
    key: str
    default: str
    max_segments: int = 1
    editable: bool = False
    description: str = ""

    @property
    def placeholders(self) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(self.default) if name}


_ALL = [
    # -- first contact and the menu ------------------------------------
    SmsText(
        "welcome",
        "Hi, you've reached {program}'s peer support line. A trained colleague will listen. "
        "You stay anonymous and it's confidential. Peers are not counselors. " + CRISIS_LINES,
        max_segments=2,
        editable=True,
        description="First reply to a new texter: who we are, confidentiality, crisis lines.",
    ),
    SmsText(
        "menu",
        "What would you like to talk about? Reply with a number:\n{menu}\nOr tell us in a few words.",
        max_segments=3,
        description="The topic menu (the list is built from the program's topics).",
    ),
    SmsText(
        "topic_unclear",
        "Sorry, we didn't catch that. Reply with a number from the list, or a few words about "
        "what's on your mind.",
        description="A reply to the menu we could not match.",
    ),
    SmsText(
        "waiting",
        "Thanks. We're finding a peer for you now; it usually takes a few minutes. "
        "Text DONE to cancel. " + CRISIS_LINES,
        max_segments=2,
        editable=True,
        description="After a topic is chosen, while offers go out.",
    ),
    SmsText(
        "still_waiting",
        "We're still looking for a peer; everyone is busy right now. We have not forgotten you. "
        "If you need help now: " + CRISIS_LINES,
        max_segments=2,
        editable=True,
        description="Honest update when a request waits past the program's threshold "
        "and no peer is available.",
    ),
    SmsText(
        "still_asking",
        "We're still reaching out to peers for you; it's taking longer than usual. "
        "We have not forgotten you. If you need help now: " + CRISIS_LINES,
        max_segments=2,
        editable=True,
        description="Update when a request waits past the threshold while peers are "
        "switched on but have not answered yet.",
    ),
    SmsText(
        "supervisor_update",
        "A supervisor on our team has seen that you're waiting and is finding a peer for you "
        "now. We have not forgotten you. If you need help now: " + CRISIS_LINES,
        max_segments=2,
        editable=True,
        description="Sent when a supervisor chooses to update a texter who is waiting: "
        "a person is on it.",
    ),
    SmsText(
        "waiting_reminder",
        "You're in the queue and a peer will text you here soon. Text DONE to cancel.",
        description="Reply to a texter who writes while their request is waiting.",
    ),
    SmsText(
        "connected",
        "You're now connected with {alias}, a trained peer. Whatever you text here goes to them. "
        "Text DONE when you're finished.",
        description="When a peer accepts.",
    ),
    # -- endings ---------------------------------------------------------
    SmsText(
        "ended_by_texter",
        "Thank you for reaching out. This conversation has ended. Text NEW anytime to talk again.",
        description="After the texter texts DONE.",
    ),
    SmsText(
        "ended_by_peer",
        "{alias} has ended the conversation. Thank you for talking. Text NEW anytime to talk again.",
        description="After the peer ends with a wrap-up.",
    ),
    SmsText(
        "request_cancelled",
        "OK, we've cancelled your request. Text NEW anytime to talk with a peer.",
        description="DONE while still waiting for a peer.",
    ),
    SmsText(
        "peer_stepped_away",
        "Your peer had to step away. We're connecting you with someone else now.",
        description="A peer was deactivated mid-conversation; the request goes back to matching.",
    ),
    SmsText(
        "not_connected",
        "You're not in a conversation right now. Text NEW to talk with a peer, or HELP for info.",
        description="A message from a texter with nothing open.",
    ),
    # -- keywords ----------------------------------------------------------
    SmsText(
        "help",
        # Keyword replies stay in one segment.
        "{program}: anonymous peer support by text. NEW starts, DONE ends, RESOURCES for "
        "local help. Crisis? Call/text 988 or call 911.",
        max_segments=1,
        editable=True,
        description="Reply to HELP or INFO.",
    ),
    SmsText(
        "help_connected",
        "{program}: you're talking with a peer; what you text goes to them. DONE ends, "
        "RESOURCES for local help. Crisis? Call/text 988 or call 911.",
        max_segments=1,
        editable=True,
        description="Reply to HELP or INFO during a conversation.",
    ),
    SmsText(
        "opted_in",
        "You're subscribed again to {program}'s peer support line. Text NEW to talk with a peer.",
        description="Reply to START or UNSTOP.",
    ),
    SmsText(
        "resources",
        "Local support:\n{resources}\n" + CRISIS_LINES,
        max_segments=6,
        description="Reply to RESOURCES: the program's directory.",
    ),
    SmsText(
        "resources_none",
        "We don't have a local list yet. For support now: " + CRISIS_LINES,
        description="RESOURCES when the directory is empty.",
    ),
    # -- hours and program state ----------------------------------------
    SmsText(
        "welcome_closed",
        "Hi, you've reached {program}'s peer support line. You stay anonymous and it's "
        "confidential. We're closed now: peers are available {hours}, and we open {opens}. "
        "{next_step} " + CRISIS_LINES,
        max_segments=3,
        editable=True,
        description="First reply to a new texter while the line is closed (before any topic).",
    ),
    SmsText(
        "closed_hours",
        "We're closed now. Our peers are available {hours}; we open {opens}. {next_step} "
        "If you need help now: " + CRISIS_LINES,
        max_segments=2,
        editable=True,
        description="A text outside hours of operation.",
    ),
    SmsText(
        "closed_kept",
        "We'll connect you with a peer when we open.",
        description="Inserted into closed_hours when requests are kept for opening time.",
    ),
    SmsText(
        "closed_choose_topic",
        "Reply with a topic below and a peer will text you when we open.",
        description="Inserted into the closed texts when the menu follows and requests are kept.",
    ),
    SmsText(
        "waiting_after_hours",
        "We've closed for now, but you keep your place: a peer still on may answer, or we'll "
        "connect you when we open {opens}. Text DONE to cancel.",
        description="A texter writes after closing time while their request is still waiting.",
    ),
    SmsText(
        "closed_not_kept",
        "Please text us again then.",
        description="Inserted into closed_hours when requests are not kept.",
    ),
    SmsText(
        "paused",
        "The {program} peer line is paused right now and no peers are on duty. If you need help: "
        + CRISIS_LINES,
        max_segments=2,
        editable=True,
        description="A text while the program is paused or closed.",
    ),
    # -- safety ------------------------------------------------------------
    SmsText(
        "crisis",
        "You matter. If you're in danger now, call 911. Call or text 988, or text HOME to 741741. "
        "We're alerting a person on our team.",
        max_segments=1,
        editable=True,
        description="Sent at once, in the webhook reply, when a message shows risk.",
    ),
    SmsText(
        "crisis_first",
        "You matter. If you're in danger now, call 911. Call or text 988, or text HOME to 741741. "
        "We're finding a person for you now.",
        max_segments=1,
        editable=True,
        description="The crisis reply to someone not yet talking with a peer: one is sought at once.",
    ),
    SmsText(
        "crisis_closed",
        "You matter. No peer is on right now: call or text 988, or text HOME to 741741. "
        "In danger now? Call 911. We've told a person on our team.",
        max_segments=1,
        editable=True,
        description="The crisis reply while the line is closed: the on-call contacts are alerted.",
    ),
    SmsText(
        "crisis_es",
        # Spanish, one segment like the English one: no accents outside GSM-7
        # (a single "í" would make it UCS-2 and three segments). 988 answers in
        # Spanish on option 2; Crisis Text Line answers AYUDA at 741741.
        "Usted importa. Si corre peligro ahora, llame al 911. Llame al 988 y oprima 2, "
        "o mande AYUDA por texto al 741741. Estamos avisando a una persona del equipo.",
        max_segments=1,
        editable=True,
        description="The crisis reply when the risky message is in Spanish (or mostly so).",
    ),
    SmsText(
        "unanswered_followup",
        "Sorry we haven't replied yet. A person on our team has been told. If you need help now: "
        + CRISIS_LINES,
        max_segments=2,
        description="When no person has answered a texter within the program's threshold.",
    ),
    # -- check-ins, plans ------------------------------------------------------
    SmsText(
        "checkin",
        "Hi, it's the {program} peer line checking in. How are you doing, from 1 (rough) to "
        "5 (good)? Text TALK to reach a peer.",
        editable=True,
        description="A scheduled check-in after a conversation.",
    ),
    SmsText(
        "checkin_thanks",
        "Thank you for letting us know. Text TALK or NEW anytime to reach a peer.",
        description="Reply to a check-in score of 3 to 5.",
    ),
    SmsText(
        "checkin_reconnect",
        "Thank you for telling us. We're finding a peer for you now. " + CRISIS_LINES,
        max_segments=2,
        description="Reply to a check-in score of 1 or 2, or TALK.",
    ),
    SmsText(
        "checkin_weekly_on",
        "OK, we'll check in once a week. Text CHECKIN OFF anytime to turn that off.",
        description="Reply to CHECKIN WEEKLY.",
    ),
    SmsText(
        "checkin_weekly_off",
        "OK, no more weekly check-ins. Text CHECKIN WEEKLY to turn them back on.",
        description="Reply to CHECKIN OFF.",
    ),
    SmsText(
        "checkin_options",
        "Text CHECKIN WEEKLY for a short check-in once a week, or CHECKIN OFF to stop them. "
        "TALK reaches a peer.",
        description="Reply to CHECKIN on its own.",
    ),
    SmsText(
        "plan",
        "Your plan:\n{plan}",
        max_segments=10,
        description="Reply to PLAN: the texter's crisis plan.",
    ),
    SmsText(
        "plan_none",
        "You don't have a saved plan yet. A peer can help you make one: text NEW to talk.",
        description="PLAN when no plan is saved.",
    ),
    SmsText(
        "plan_none_connected",
        "You don't have a saved plan yet. Your peer can help you make one now, if you like.",
        description="PLAN during a conversation when no plan is saved.",
    ),
    # -- to peers and staff (never message content) ------------------------
    SmsText(
        "peer_offer_alert",
        "peerwork: someone is waiting to talk ({topic}). Open your workspace to accept.",
        description="To a peer's own phone when an offer arrives (opt-in).",
    ),
    SmsText(
        "peer_message_alert",
        "peerwork: you have a new message in a conversation. Open your workspace to reply.",
        description="To a peer's own phone when their texter writes (opt-in).",
    ),
    SmsText(
        "staff_crisis_alert",
        "peerwork: a crisis alert needs a supervisor in {program}. Please open the alerts page now.",
        description="To escalation contacts when a crisis is detected.",
    ),
    SmsText(
        "staff_backup_alert",
        "peerwork backup alert: no supervisor has answered {what} in {program}. "
        "Please open the alerts page now.",
        description="To backup contacts when no supervisor acknowledged an alert in time.",
    ),
    SmsText(
        "staff_alert",
        "peerwork: {what} in {program}. Please open the alerts page.",
        description="To escalation contacts for waits, unanswered texts and flags.",
    ),
    SmsText(
        "test_sms",
        "peerwork test message for {program}. If you can read this, outbound SMS works.",
        description="The admin's 'send test SMS' action.",
    ),
]

TEXTS: dict[str, SmsText] = {t.key: t for t in _ALL}
EDITABLE = {k: t for k, t in TEXTS.items() if t.editable}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def template_for(key: str, overrides: dict[str, str] | None = None) -> str:
    """The wording in force: a program's override, or the default."""
    text = TEXTS[key]
    custom = (overrides or {}).get(key) if text.editable else None
    return custom or text.default


def render(key: str, overrides: dict[str, str] | None = None, **values: object) -> str:
    """Fill `key`'s wording; unknown placeholders in admin text become blank."""
    return string.Formatter().vformat(template_for(key, overrides), (), _Blank(values))


def for_program(key: str, program, **values: object) -> str:
    """Render `key` with a program's overrides and its name."""
    values.setdefault("program", program.name)
    return render(key, program.texts or {}, **values)
