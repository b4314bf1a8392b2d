"""Eight weeks of made-up past activity for the demo program, made by the product itself.

Every row comes from the code paths real use goes through: texts arrive
through `inbound.receive` and the `process_inbound` job's function, peers
accept offers and reply and wrap up through `offers` and `conversations`,
check-ins go out through `schedule.send_checkin` and are answered by text,
alerts are raised by the safety code and acknowledged by the supervisor.
Only the moment is different: the clock (`peerwork.clock`) is moved to each
past moment in turn, so defaults and the code that asks the clock agree.

Jobs are not queued on Redis (a flood of sends at the first start, weeks
late): a `HistoryDispatcher` records each job and runs it itself, at its due
moment, through the same domain function its RQ entry point calls. Outbound
texts go to a transport that delivers nothing, and are marked delivered as a
carrier's status callback would (`status.apply_status`).

The people and what they write are invented: no real person, no real number
(the 555-01xx range is reserved for fiction). Randomness is seeded, so every
first start builds the same history (bar the random parts of the product itself:
texter pseudonyms, encryption).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from peerwork import clock
from peerwork.checkins import schedule
from peerwork.conversations import end_conversation, flag_for_supervisor, peer_reply, wrap_up
from peerwork.matching import offers
from peerwork.models import (
    Alert,
    CheckIn,
    Conversation,
    Offer,
    PeerProfile,
    Program,
    SupportRequest,
    Texter,
    User,
)
from peerwork.safety import escalation
from peerwork.sms import sender, status
from peerwork.texter import inbound

log = logging.getLogger(__name__)

WEEKS = 8
SEED = 15
# Fictional numbers (555-0100..0199 are reserved for fiction); 0100 and 0199 are taken.
TEXTER_NUMBERS = [f"+1585555{n:04d}" for n in range(101, 160)]


@dataclass
class Script:
    """One conversation as it went: what the texter and the peer wrote, and how it ended."""

    topic: str
    opening: str
    lines: list[tuple[str, str]]  # ("texter" | "peer", text), after they are connected
    ended_by: str  # "texter" (texts DONE) or "peer" (ends it from the web)
    outcome: str
    checkin: str  # "none", "1d", "3d", "1w"
    score: int | None  # the check-in answer; None: not answered
    flag: str | None = None  # the peer asks a supervisor to look (a reason, no content)


T, P = "texter", "peer"

SCRIPTS = [
    Script(
        "Work stress",
        "hi",
        [
            (T, "My manager moved the deadline up a week and I'm the only one on the project"),
            (P, "Hi, I'm glad you texted. That sounds like a lot to carry on your own."),
            (P, "What's weighing on you most right now?"),
            (T, "That I'll let the team down. I haven't slept properly in days"),
            (P, "Not sleeping makes everything heavier. Have you been able to tell anyone?"),
            (T, "Not yet. Everyone seems so busy"),
            (P, "That makes sense. Asking for help with scope isn't the same as not coping."),
            (T, "I could ask my manager which parts can wait"),
            (P, "That sounds like a good first step. Want to think through how you'd ask?"),
            (T, "Thanks, talking it through helped"),
        ],
        "texter",
        "listened",
        "3d",
        4,
    ),
    Script(
        "Work stress",
        "Hello, is this the peer line?",
        [
            (P, "Hi, yes, you've reached a peer. I'm here to listen. What's going on?"),
            (T, "Rough week. Two people quit and their work landed on me"),
            (P, "That's a big jump in load. How are you holding up?"),
            (T, "Tired, and grumpy with my family"),
            (P, "It sounds like the stress is following you home. That's really hard."),
            (T, "Yeah. I just needed to say it to someone"),
            (P, "I'm glad you did. Would a small break in the day help, even 10 minutes?"),
            (T, "I can try a walk at lunch"),
        ],
        "peer",
        "skills",
        "1w",
        3,
    ),
    Script(
        "Anxiety or worry",
        "hey",
        [
            (T, "I have a presentation tomorrow and my chest feels tight just thinking about it"),
            (P, "Thanks for reaching out. That tight feeling is really uncomfortable."),
            (P, "Would you like to try a slow breathing exercise together?"),
            (T, "ok"),
            (P, "Breathe in for 4, hold for 4, out for 6. Try it three times."),
            (T, "A bit calmer now, thanks"),
            (P, "That's great. What would help you feel ready for tomorrow?"),
            (T, "I'll run through the slides one more time this evening"),
            (P, "That sounds like a solid plan. You can text back anytime."),
        ],
        "texter",
        "skills",
        "1d",
        5,
    ),
    Script(
        "Anxiety or worry",
        "hi",
        [
            (T, "I keep worrying about the layoff rumours. Can't focus on anything"),
            (P, "Hi. Not knowing is so hard. It makes sense your mind keeps going there."),
            (T, "We have a mortgage, so the rumours scare me"),
            (P, "That's a real worry. What do you know for sure right now?"),
            (T, "Nothing official. Just talk in the break room"),
            (P, "Sometimes naming what's known and what isn't helps a little."),
            (T, "True. I'll ask my manager directly at our 1:1"),
            (P, "That takes courage. I'm glad you have a next step."),
        ],
        "peer",
        "resources",
        "3d",
        4,
    ),
    Script(
        "Grief and loss",
        "hi",
        [
            (T, "My dad passed away last month and today is the first day I'm back"),
            (P, "I'm so sorry about your dad. The first day back can be really hard."),
            (T, "Everyone is being nice but I feel like I'm underwater"),
            (P, "That makes sense. Grief can make ordinary things feel far away."),
            (T, "The drive home is the hardest part"),
            (P, "That sounds so painful. Would you like to tell me a bit about him?"),
            (T, "Dad could fix any car on the street"),
            (P, "He sounds like someone who showed his love by showing up."),
            (T, "Thanks for listening"),
        ],
        "texter",
        "listened",
        "1w",
        3,
    ),
    Script(
        "Grief and loss",
        "Hello",
        [
            (T, "Our dog died on the weekend. I know it's just a dog but I can't stop crying"),
            (P, "I'm really sorry. Losing a companion like that is a real loss."),
            (T, "She was with us 14 years"),
            (P, "14 years is a lifetime of mornings and walks together."),
            (T, "The house is so quiet"),
            (P, "Quiet can be the hardest part. Is anyone with you at home?"),
            (T, "A friend is coming by later"),
            (P, "I'm glad you won't be alone tonight."),
        ],
        "peer",
        "listened",
        "1d",
        4,
    ),
    Script(
        "Family and relationships",
        "hi",
        [
            (T, "My teenager won't talk to me and we had a huge fight this morning"),
            (P, "Hi. That sounds upsetting, especially carrying it into the workday."),
            (T, "I said things I regret"),
            (P, "It sounds like you care a lot about repairing it."),
            (T, "Yes. I love that kid"),
            (P, "What do you think they'd want to hear from you?"),
            (T, "That I'm sorry and I'm listening"),
            (P, "That's a kind place to start."),
            (T, "ok. I'll try tonight. thanks"),
        ],
        "texter",
        "listened",
        "3d",
        5,
    ),
    Script(
        "Family and relationships",
        "hi there",
        [
            (T, "Caring for my mom after her surgery and working full time. I'm stretched thin"),
            (P, "That's a lot to hold at once. How long has it been like this?"),
            (T, "Six weeks, mostly on my own"),
            (P, "Carrying it alone sounds exhausting and lonely."),
            (T, "It is. I feel guilty even saying that"),
            (P, "Feeling worn out doesn't mean you love her any less."),
            (T, "I needed to hear that"),
            (P, "There are caregiver resources through the program if you'd like them."),
            (T, "Yes please"),
        ],
        "peer",
        "resources",
        "1w",
        4,
        flag="Texter may need caregiver leave information; please advise",
    ),
    Script(
        "Burnout",
        "hey",
        [
            (T, "I'm just empty. I used to like this job"),
            (P, "Hi. Feeling empty about something you used to enjoy is hard."),
            (T, "Working late every night for months"),
            (P, "Months without a real break would wear anyone down."),
            (T, "My last real vacation was two years ago"),
            (P, "What used to help you recharge, before all this?"),
            (T, "Hiking. I haven't gone in a year"),
            (P, "Maybe a short one this weekend? Even an hour counts."),
            (T, "Maybe. Thanks for not telling me to just relax"),
        ],
        "texter",
        "skills",
        "1w",
        3,
    ),
    Script(
        "Burnout",
        "hi",
        [
            (T, "Overwhelmed. Night shifts plus covering days this week"),
            (P, "That's a punishing schedule. How are you sleeping?"),
            (T, "4 hours maybe"),
            (P, "That would leave anyone running on empty."),
            (T, "Everyone is short staffed so I feel bad saying anything"),
            (P, "Saying you're stretched isn't complaining. It's information."),
            (T, "Maybe I'll talk to the scheduler about next week"),
            (P, "That sounds like a good idea. I'm glad you reached out."),
        ],
        "peer",
        "listened",
        "3d",
        None,
    ),
    Script(
        "Work stress",
        "hi",
        [
            (T, "A coworker keeps taking credit for my work in meetings"),
            (P, "That sounds really frustrating. How long has it been going on?"),
            (T, "Since spring. I feel invisible"),
            (P, "Feeling unseen at work wears on you. What have you tried so far?"),
            (T, "Nothing. I hate conflict"),
            (P, "Lots of people do. Is there a small way to make your work visible?"),
            (T, "I could send a recap email after meetings"),
            (P, "That's a calm, practical idea."),
        ],
        "texter",
        "listened",
        "1d",
        4,
    ),
]

# One conversation in crisis: the texter's words set off the crisis reply and an
# alert the supervisor acknowledges; the peer stays with them.
CRISIS = Script(
    "Anxiety or worry",
    "hi",
    [
        (T, "It's all too much lately"),
        (P, "I'm here with you. Thank you for telling me. What's happening?"),
        (T, "Sometimes I think everyone would be better off without me"),
        (P, "I'm really glad you told me. You matter, and I'm staying right here."),
        (P, "A crisis counselor is available at 988 any time, and I'm with you now too."),
        (T, "ok"),
        (P, "Is there someone who could be with you tonight?"),
        (T, "Yes, my cousin lives close by"),
        (P, "Could you call them now? I'll stay here while you do."),
        (T, "I'll call my cousin now"),
        (P, "I'm really glad. You reached out tonight, and that took strength."),
        (T, "Thanks for staying with me"),
    ],
    "peer",
    "escalated",
    "1d",
    3,
)

# When people text: weekday lunch breaks and evenings mostly (program time).
HOURS = [7, 8, 12, 12, 13, 13, 17, 18, 19, 20, 20, 21, 22]
PER_WEEK = (3, 5)  # conversations a week
CRISIS_AT = 17  # which conversation of the history is the one in crisis
CHECKIN_DAYS = {"1d": 1, "3d": 3, "1w": 7}


class HistoryTransport:
    """Delivers nothing: the history's texts are already in the past."""

    name = "history"

    def __init__(self) -> None:
        self._ids = itertools.count(1)

    def send(self, *, to: str, from_: str, body: str, status_callback: str | None) -> str:
        return f"SMdemohistory{next(self._ids):019d}"

    def lookup(self, *, to: str, from_: str, body: str, since: datetime) -> list[str]:
        return []


@dataclass(order=True)
class _Due:
    at: datetime
    order: int
    action: Callable[[datetime], None] = field(compare=False)


class HistoryDispatcher:
    """A dispatcher that records jobs to run them itself at their moment, never on Redis."""

    def __init__(self, runner: Backfill) -> None:
        self.runner = runner

    def enqueue(self, job, *args, at=None, delay=None, **_options):
        moment = at or (clock.now() + delay if delay is not None else clock.now())
        self.runner.later(moment, lambda now: self.runner.run_job(job.__name__, args, now))
        return None

    def enqueue_periodic(self, job, *, queue: str, timeout: int = 300):
        return None


class Backfill:
    """The history's timeline: scripted moments and the jobs they cause, in time order."""

    def __init__(self, session: Session, *, program: Program, vault, supervisor: User) -> None:
        self.session = session
        self.program = program
        self.vault = vault
        self.supervisor = supervisor
        self.dispatcher = HistoryDispatcher(self)
        self.transport = HistoryTransport()
        self.timeline: list[_Due] = []
        self.order = itertools.count()
        self.sids = itertools.count(1)
        self.answers: dict[int, int | None] = {}  # check-in id -> the texter's score

    # -- the timeline --

    def later(self, moment: datetime, action: Callable[[datetime], None]) -> None:
        heapq.heappush(self.timeline, _Due(moment, next(self.order), action))

    def run_until(self, end: datetime) -> None:
        while self.timeline and self.timeline[0].at <= end:
            due = heapq.heappop(self.timeline)
            with clock.using(lambda moment=due.at: moment):
                due.action(due.at)
                self.session.commit()  # as a webhook or a job would; sends are handed on

    # -- the jobs, through the domain functions their RQ entry points call --

    def run_job(self, name: str, args: tuple, now: datetime) -> None:
        session, dispatcher = self.session, self.dispatcher
        if name == "send_message":
            result = sender.send_message(
                session,
                message_id=args[0],
                now=now,
                transport=self.transport,
                vault=self.vault,
                dispatcher=dispatcher,
            )
            if result.sid:
                status.apply_status(
                    session,
                    sid=result.sid,
                    status="delivered",
                    error_code=None,
                    now=now + timedelta(seconds=3),
                )
        elif name == "process_inbound":
            inbound.process_inbound(session, message_id=args[0], now=now, dispatcher=dispatcher)
        elif name == "expire_wave":
            offers.expire_wave(
                session, request_id=args[0], wave=args[1], now=now, dispatcher=dispatcher
            )
        elif name == "reoffer":
            offers.reoffer(session, request_id=args[0], now=now, dispatcher=dispatcher)
        elif name == "send_checkin":
            schedule.send_checkin(session, checkin_id=args[0], now=now, dispatcher=dispatcher)
            self._answer_later(args[0], now)
        elif name == "escalate_alert":
            escalation.escalate_alert(session, alert_id=args[0], now=now, dispatcher=dispatcher)
        elif name == "handle_crisis_message":
            escalation.handle_crisis_message(
                session, message_id=args[0], now=now, dispatcher=dispatcher
            )
        else:
            log.debug("demo history: job %s left out", name)

    # -- the people --

    def texts(self, phone: str, body: str, now: datetime) -> None:
        """The texter's text arrives, as through the webhook; its job runs seconds later."""
        result = inbound.receive(
            self.session,
            to=self.program.sms_number,
            from_=phone,
            body=body,
            message_sid=f"SMdemoinbound{next(self.sids):019d}",
            now=now,
            vault=self.vault,
            dispatcher=self.dispatcher,
        )
        if result.needs_processing:
            self.session.commit()
            inbound.enqueue_inbound(self.dispatcher, result.message_id, crisis=result.is_crisis)

    def accepts(self, phone: str, peer_id: int | None, now: datetime) -> None:
        """An offered peer takes the texter's request (the one named, when they were offered)."""
        texter = inbound.find_texter(
            self.session, program_id=self.program.id, phone=phone, vault=self.vault
        )
        open_offers = self.session.scalars(
            select(Offer)
            .join(SupportRequest, SupportRequest.id == Offer.request_id)
            .where(Offer.state == "open", SupportRequest.texter_id == texter.id)
            .order_by(Offer.peer_profile_id != (peer_id or 0), Offer.id)
        ).all()
        if open_offers:
            offer = open_offers[0]
            offers.accept_offer(
                self.session,
                offer_id=offer.id,
                peer_profile_id=offer.peer_profile_id,
                now=now,
                dispatcher=self.dispatcher,
            )

    def conversation_of(self, phone: str) -> Conversation | None:
        texter = inbound.find_texter(
            self.session, program_id=self.program.id, phone=phone, vault=self.vault
        )
        return self.session.scalar(
            select(Conversation)
            .where(Conversation.texter_id == texter.id)
            .order_by(Conversation.id.desc())
            .limit(1)
        )

    def peer_says(self, phone: str, body: str, now: datetime) -> None:
        conversation = self.conversation_of(phone)
        if conversation is not None and conversation.state == "active":
            peer_reply(
                self.session,
                conversation_id=conversation.id,
                peer_profile_id=conversation.peer_profile_id,
                body=body,
                now=now,
                dispatcher=self.dispatcher,
            )

    def peer_ends(self, phone: str, script: Script, now: datetime) -> None:
        conversation = self.conversation_of(phone)
        if conversation is None:
            return
        if conversation.state == "active":
            end_conversation(
                self.session,
                conversation_id=conversation.id,
                ended_by="peer",
                now=now,
                dispatcher=self.dispatcher,
                outcome=script.outcome,
                checkin_choice=script.checkin,
            )
        wrap_up(
            self.session,
            conversation_id=conversation.id,
            peer_profile_id=conversation.peer_profile_id,
            outcome=script.outcome,
            checkin_choice=script.checkin,
            now=now,
            dispatcher=self.dispatcher,
        )
        self._expect_answer(conversation.id, script.score)

    def peer_flags(self, phone: str, reason: str, now: datetime) -> None:
        conversation = self.conversation_of(phone)
        if conversation is not None and conversation.state == "active":
            alert = flag_for_supervisor(
                self.session,
                conversation_id=conversation.id,
                peer_profile_id=conversation.peer_profile_id,
                reason=reason,
                now=now,
                dispatcher=self.dispatcher,
            )
            self.later(now + timedelta(minutes=6), lambda at: self.acknowledges(alert.id, at))

    def acknowledges(self, alert_id: int, now: datetime) -> None:
        escalation.acknowledge(
            self.session,
            alert_id=alert_id,
            user_id=self.supervisor.id,
            organization_id=self.program.organization_id,
            now=now,
        )

    def acknowledge_open_alerts(self, now: datetime) -> None:
        for alert_id in self.session.scalars(
            select(Alert.id).where(
                Alert.program_id == self.program.id, Alert.state.in_(("open", "escalated"))
            )
        ).all():
            self.acknowledges(alert_id, now)

    def _expect_answer(self, conversation_id: int, score: int | None) -> None:
        checkin_id = self.session.scalar(
            select(CheckIn.id).where(
                CheckIn.conversation_id == conversation_id, CheckIn.state == "scheduled"
            )
        )
        if checkin_id is not None:
            self.answers[checkin_id] = score

    def _answer_later(self, checkin_id: int, now: datetime) -> None:
        score = self.answers.pop(checkin_id, None)
        checkin = self.session.get(CheckIn, checkin_id)
        if score is None or checkin is None or checkin.state != "sent":
            return
        texter = self.session.get(Texter, checkin.texter_id)
        phone = self.vault.decrypt(texter.phone_encrypted)
        self.later(now + timedelta(minutes=20), lambda at: self.texts(phone, str(score), at))


def _play(backfill: Backfill, script: Script, phone: str, start: datetime, rng, *, returning):
    """Put one conversation on the timeline, from the first text to the wrap-up."""
    peers = backfill.session.scalars(
        select(PeerProfile.id).where(PeerProfile.program_id == backfill.program.id)
    ).all()
    topic = next(t for t in backfill.program.topics if t.name == script.topic)
    at = start
    first = "NEW" if returning else script.opening
    backfill.later(at, lambda now: backfill.texts(phone, first, now))
    at += timedelta(seconds=rng.randint(40, 120))
    backfill.later(at, lambda now: backfill.texts(phone, str(topic.menu_number), now))
    # A peer takes it within the offer's two minutes (a crisis, at once).
    wait = timedelta(seconds=rng.randint(25, 100) if script is not CRISIS else 20)
    at += wait
    peer = rng.choice(peers)
    backfill.later(at, lambda now: backfill.accepts(phone, peer, now))
    for index, (who, text) in enumerate(script.lines):
        at += timedelta(seconds=rng.randint(45, 240))
        if who == T:
            backfill.later(at, lambda now, text=text: backfill.texts(phone, text, now))
        else:
            backfill.later(at, lambda now, text=text: backfill.peer_says(phone, text, now))
        if script is CRISIS and index == 2:
            # The supervisor on call acknowledges the crisis alert within minutes.
            backfill.later(
                at + timedelta(minutes=2), lambda now: backfill.acknowledge_open_alerts(now)
            )
        if script.flag and index == 3:
            backfill.later(
                at + timedelta(seconds=20),
                lambda now: backfill.peer_flags(phone, script.flag, now),
            )
    at += timedelta(minutes=rng.randint(1, 4))
    if script.ended_by == "texter":
        backfill.later(at, lambda now: backfill.texts(phone, "DONE", now))
        at += timedelta(minutes=rng.randint(2, 10))
    backfill.later(at, lambda now: backfill.peer_ends(phone, script, now))
    return at


def backfill(
    session: Session,
    *,
    program: Program,
    supervisor: User,
    vault,
    start: datetime,
    end: datetime,
) -> int:
    """Play `WEEKS` weeks of texters, peers, check-ins and alerts from `start`; returns how many
    conversations. Everything due up to `end` happens; nothing is left for a real queue."""
    rng = random.Random(SEED)
    zone = ZoneInfo(program.timezone)
    history = Backfill(session, program=program, vault=vault, supervisor=supervisor)
    numbers = list(TEXTER_NUMBERS)
    rng.shuffle(numbers)
    regulars: list[str] = []
    free_from: dict[str, datetime] = {}  # a texter's next conversation starts after this
    played = 0
    local_start = start.astimezone(zone)
    for week in range(WEEKS):
        count = rng.randint(*PER_WEEK)
        days = sorted(rng.choices(range(7), weights=[3, 3, 3, 3, 2, 1, 1], k=count))
        for day in days:
            moment = (local_start + timedelta(weeks=week, days=day)).replace(
                hour=rng.choice(HOURS), minute=rng.randint(0, 59), second=rng.randint(0, 59)
            )
            when = moment.astimezone(start.tzinfo)
            script = CRISIS if played == CRISIS_AT else rng.choice(SCRIPTS)
            free = [phone for phone in regulars if free_from[phone] < when]
            returning = bool(free) and rng.random() < 0.25
            phone = rng.choice(free) if returning else numbers.pop()
            if not returning:
                regulars.append(phone)
            # A check-in that would not be answered by the end of the history is left out.
            if when + timedelta(days=CHECKIN_DAYS.get(script.checkin, 0) + 1) > end:
                script = _without_checkin(script)
            ended = _play(history, script, phone, when, rng, returning=returning)
            free_from[phone] = ended + timedelta(days=CHECKIN_DAYS.get(script.checkin, 0) + 1)
            played += 1
    with _quiet():
        history.run_until(end)
    return played


@contextmanager
def _quiet() -> Iterator[None]:
    """No log lines for the replayed past: a "crisis message received" from weeks ago, printed
    at the first start, would alarm the person starting the demo."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)


def _without_checkin(script: Script) -> Script:
    return Script(
        script.topic,
        script.opening,
        script.lines,
        script.ended_by,
        script.outcome,
        "none",
        None,
        script.flag,
    )
