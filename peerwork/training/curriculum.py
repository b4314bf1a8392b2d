"""The default curriculum shipped with peerwork, and copying it into a program.

Lessons live in `content/NN-<slug>.md`; quizzes live here so that each
question, its one right answer and the explanation stay side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from peerwork.models import TrainingModule, TrainingQuestion


@dataclass(frozen=True)
class Question:
    prompt: str
    choices: tuple[str, ...]
    correct_index: int
    explanation: str


@dataclass(frozen=True)
class ModuleSpec:
    slug: str
    title: str
    questions: tuple[Question, ...]
    required: bool = True
    pass_mark: int = 80

    @property
    def lesson_md(self) -> str:
        return lesson_text(self.slug)


def _q(prompt: str, choices: list[str], correct_index: int, explanation: str) -> Question:
    return Question(prompt, tuple(choices), correct_index, explanation)


DEFAULT_MODULES: tuple[ModuleSpec, ...] = (
    ModuleSpec(
        "what-a-peer-supporter-is",
        "What a peer supporter is",
        (
            _q(
                "What is the main thing a peer supporter brings to a conversation?",
                [
                    "A clinical diagnosis of what the texter is going through",
                    "Their own lived experience of getting through hard times",
                    "Authority to change the texter's treatment",
                    "Legal advice about workplace problems",
                ],
                1,
                "Peers bring lived experience. Diagnosis and treatment belong to professionals.",
            ),
            _q(
                "How does peer support relate to professional care?",
                [
                    "It replaces therapy for people with mild problems",
                    "It is only for people who cannot afford therapy",
                    "It complements professional care and never replaces it",
                    "It should be avoided by anyone already in treatment",
                ],
                2,
                "Peer support sits alongside therapy, medication and other care; it never "
                "takes their place.",
            ),
            _q(
                "Which of these is one of the forms peer support can take?",
                [
                    "Prescribing medication",
                    "Helping someone create a crisis plan or recovery roadmap",
                    "Deciding whether someone should keep their job",
                    "Writing a medical note for time off",
                ],
                1,
                "Crisis plans and recovery roadmaps are listed forms of peer support, with "
                "skill-building, emotional support, encouragement, sharing experience and "
                "connecting with resources.",
            ),
            _q(
                "Roughly how many adults experience a mental health problem in a given year?",
                ["Nearly 1 in 4", "About 1 in 100", "About 1 in 1,000", "Almost everyone"],
                0,
                "Nearly 1 in 4 adults do, which is why easy, stigma-free support matters.",
            ),
            _q(
                "A colleague says peer support is only for severe mental illness. What is true?",
                [
                    "They are right: it is only for diagnosed conditions",
                    "It helps with everyday stress, grief, life changes and more",
                    "It is only for people in hospital",
                    "It is only for people with no other support",
                ],
                1,
                "That is a myth: peer support helps with a wide range of challenges.",
            ),
        ),
    ),
    ModuleSpec(
        "active-listening",
        "Active listening and validation",
        (
            _q(
                "Which reply best shows active listening?",
                [
                    "You should try going to bed earlier.",
                    "It sounds like the new deadlines are piling on top of a hard month.",
                    "At least you still have a job.",
                    "I had a much worse week, honestly.",
                ],
                1,
                "Reflecting back what you heard shows you understood. The others advise, "
                "minimize or compare.",
            ),
            _q(
                "Which is an open question?",
                [
                    "Are you stressed?",
                    "Did you sleep last night?",
                    "What has this week been like for you?",
                    "Is it your manager?",
                ],
                2,
                "An open question cannot be answered with yes or no, so the texter leads.",
            ),
            _q(
                "What does validation mean?",
                [
                    "Agreeing with every decision the person makes",
                    "Accepting that their feelings make sense given what they are living through",
                    "Checking whether their story is true",
                    "Telling them how they should feel",
                ],
                1,
                "Validation accepts the feeling; it does not require agreeing with every "
                "conclusion.",
            ),
            _q(
                "You are not sure what to say. What is a good response?",
                [
                    "Say nothing until you think of advice",
                    "Change the subject to something lighter",
                    "Say honestly that you are not sure what to say, but you are here",
                    "End the conversation",
                ],
                2,
                "Honesty and presence are often exactly what someone needs.",
            ),
        ),
    ),
    ModuleSpec(
        "sharing-your-story",
        "Sharing your own story with purpose",
        (
            _q(
                "What is a good reason to share part of your own story?",
                [
                    "To fill a silence",
                    "To offer hope that change is possible",
                    "To show your experience was harder",
                    "Because it is on your mind today",
                ],
                1,
                "Share with purpose: to offer hope or show understanding, keeping the focus "
                "on the texter.",
            ),
            _q(
                "How long should a shared story usually be?",
                [
                    "A sentence or two, then hand the conversation back",
                    "As long as it takes to tell the whole story",
                    "Several messages with all the details",
                    "It does not matter",
                ],
                0,
                "Keep it short and return the focus: the conversation is about them.",
            ),
            _q(
                "Which part of your story is best to share?",
                [
                    "A wound you are still struggling with today",
                    "Graphic details of your worst moment",
                    "Something you have worked through, focused on what helped",
                    "Details that show where you work and live",
                ],
                2,
                "Share what you are steady with and focus on the path forward; never share "
                "identifying details.",
            ),
        ),
    ),
    ModuleSpec(
        "coping-skills",
        "Teaching coping skills",
        (
            _q(
                "What makes a coping skill a good fit for a text conversation?",
                [
                    "It needs special equipment",
                    "It is small enough to try today, and the texter chooses to try it",
                    "It replaces the need for any other help",
                    "It takes weeks of practice before it helps",
                ],
                1,
                "Small, practical skills the texter opts into work best.",
            ),
            _q(
                "How should you introduce a coping skill?",
                [
                    "Tell them they must do it now",
                    "Ask first whether they would like to hear about something that helps some people",
                    "Send a list of ten skills at once",
                    "Only after they ask for a diagnosis",
                ],
                1,
                "Offer, do not prescribe: asking first keeps the texter in charge.",
            ),
            _q(
                "A texter describes symptoms that have disrupted daily life for months. What fits best?",
                [
                    "Coping skills alone will fix it",
                    "Tell them it is nothing to worry about",
                    "Offer support and encourage them to also talk with a professional",
                    "Suggest they stop their current treatment",
                ],
                2,
                "Coping skills help with hard moments; ongoing symptoms deserve professional care too.",
            ),
        ),
    ),
    ModuleSpec(
        "connecting-with-resources",
        "Connecting people with resources",
        (
            _q(
                "Where should you point a texter for local services?",
                [
                    "Your own personal contacts",
                    "The program's resource directory and public numbers",
                    "A random website you found",
                    "Nowhere: resources are not part of peer support",
                ],
                1,
                "Use the program's directory; never share personal contacts.",
            ),
            _q(
                "Which of these is a local peer support organization named in the program's materials?",
                ["Compeer", "The Weather Service", "A private messaging app", "A gym chain"],
                0,
                "Compeer, AspireHope, Venture Forthe and Finger Lakes Community Action are "
                "local peer support organizations.",
            ),
            _q(
                "What makes a referral more likely to help?",
                [
                    "Saying only 'you should get help'",
                    "Promising exactly what the service will do for them",
                    "Asking first, then giving a specific name and how to reach it",
                    "Sending every resource in the directory at once",
                ],
                2,
                "Specific, consented referrals lower the barrier; do not promise outcomes.",
            ),
            _q(
                "Someone lives far from your area. Where can they look for peer support programs?",
                [
                    "Mental Health America's list of peer support programs",
                    "Only their employer's HR file",
                    "There is nowhere to look",
                    "A stranger's personal phone",
                ],
                0,
                "Mental Health America keeps a list of peer support programs; a search for "
                "'[city or county] peer support program' also helps.",
            ),
        ),
    ),
    ModuleSpec(
        "crisis-protocol",
        "Recognizing a crisis and the crisis protocol",
        (
            _q(
                "A texter writes that everyone would be better off without them. What do you do first?",
                [
                    "Change the subject to something positive",
                    "Stay with them and ask directly and kindly whether they are thinking about suicide",
                    "End the conversation and hope they text again",
                    "Wait a few hours to see if it passes",
                ],
                1,
                "That is a warning sign. Asking directly is safe and opens the door to help.",
            ),
            _q(
                "Which crisis lines does the program share?",
                [
                    "Call or text 988, or text HOME to 741741",
                    "Your personal cell number",
                    "The HR main line",
                    "There are no crisis lines",
                ],
                0,
                "988 is the Suicide & Crisis Lifeline; HOME to 741741 reaches the Crisis Text Line.",
            ),
            _q(
                "Someone is in immediate danger right now. What should they do?",
                [
                    "Wait for the next check-in",
                    "Call 911",
                    "Email their manager",
                    "Text the program again tomorrow",
                ],
                1,
                "Immediate danger means 911.",
            ),
            _q(
                "During a crisis conversation, when do you involve a supervisor?",
                [
                    "Never; handle it alone",
                    "Only after the conversation has ended",
                    "Straight away, with the 'Ask a supervisor' button",
                    "Only if the texter agrees in writing",
                ],
                2,
                "Escalate to a supervisor at once; they are alerted immediately.",
            ),
            _q(
                "A texter in crisis asks you to promise to tell no one. What do you do?",
                [
                    "Promise, so they keep talking",
                    "Explain kindly that you will bring in a supervisor when safety is at risk",
                    "End the conversation",
                    "Ignore the request",
                ],
                1,
                "Never promise secrecy that could put someone in danger; be honest and kind.",
            ),
        ),
    ),
    ModuleSpec(
        "crisis-plans-and-roadmaps",
        "Helping draft a crisis plan or recovery roadmap",
        (
            _q(
                "Whose plan is a crisis plan?",
                [
                    "The peer's",
                    "The texter's, in their own words",
                    "The employer's",
                    "The supervisor's",
                ],
                1,
                "The plan belongs to the texter; you ask, suggest and let them decide.",
            ),
            _q(
                "Which item usually belongs in a crisis plan?",
                [
                    "The texter's own warning signs",
                    "The peer's home address",
                    "A list of the texter's coworkers' mistakes",
                    "A promise never to feel bad again",
                ],
                0,
                "Warning signs, coping steps, people, services and reasons for living are "
                "the usual parts.",
            ),
            _q(
                "Someone is in crisis right now and wants to write a plan. What comes first?",
                [
                    "Finish every section of the plan",
                    "Follow the crisis protocol; return to the plan when they are safe",
                    "Tell them plans do not work",
                    "Send them a template and end the chat",
                ],
                1,
                "Safety first: the protocol, then the plan on a calmer day.",
            ),
        ),
    ),
    ModuleSpec(
        "boundaries-and-self-care",
        "Boundaries and self-care",
        (
            _q(
                "A texter asks to continue on your personal phone. What do you do?",
                [
                    "Share your number to be helpful",
                    "Kindly keep the conversation on the platform",
                    "Suggest meeting in person instead",
                    "Give them your social media handle",
                ],
                1,
                "Stay on the platform: it protects both of you and keeps the supervisor in reach.",
            ),
            _q(
                "You feel drained after several heavy conversations. What is a healthy step?",
                [
                    "Keep accepting offers so no one waits",
                    "Switch 'available now' off and debrief with your supervisor",
                    "Hide how you feel",
                    "Lower your standards for listening",
                ],
                1,
                "Rest and debriefing are part of the job; others can pick up.",
            ),
            _q(
                "What are you responsible for in a conversation?",
                [
                    "Fixing the texter's life",
                    "Being kind and honest and following the protocol",
                    "Making sure they never need help again",
                    "Deciding what treatment they need",
                ],
                1,
                "You are not a rescuer; presence, honesty and the protocol are your part.",
            ),
        ),
    ),
    ModuleSpec(
        "anonymity-and-confidentiality",
        "Anonymity and confidentiality on this platform",
        (
            _q(
                "What do you see about a texter?",
                [
                    "Their phone number",
                    "Their name and department",
                    "A pseudonym only",
                    "Their email address",
                ],
                2,
                "Texters appear only by pseudonym; their number is never shown.",
            ),
            _q(
                "Which alias is the best choice?",
                [
                    "Your full real name",
                    "Your first name and team",
                    "A name that is not your real name",
                    "Your work email",
                ],
                2,
                "Your alias protects you; do not use your real name.",
            ),
            _q(
                "You think you recognize a texter. What do you do?",
                [
                    "Ask them to confirm who they are",
                    "Tell your supervisor so the conversation can go to someone else",
                    "Look them up in the company directory",
                    "Mention it to a colleague",
                ],
                1,
                "Never try to identify a texter; a supervisor can reassign the conversation.",
            ),
            _q(
                "When does confidentiality have a limit?",
                [
                    "Never",
                    "When someone's life or safety is at risk",
                    "When a colleague asks about it",
                    "When the conversation is boring",
                ],
                1,
                "Safety comes before secrecy: follow the crisis protocol and involve a supervisor.",
            ),
        ),
    ),
)


def lesson_text(slug: str) -> str:
    """The shipped Markdown lesson for `slug`."""
    folder = resources.files("peerwork.training") / "content"
    for entry in folder.iterdir():
        if entry.name.endswith(f"-{slug}.md"):
            return entry.read_text(encoding="utf-8")
    raise KeyError(slug)


def install_default_curriculum(
    session: Session, *, program_id: int, now: datetime
) -> list[TrainingModule]:
    """Copy the default modules into a program; slugs already there are left alone."""
    existing = set(
        session.scalars(
            select(TrainingModule.slug).where(TrainingModule.program_id == program_id)
        ).all()
    )
    created = []
    for position, spec in enumerate(DEFAULT_MODULES, start=1):
        if spec.slug in existing:
            continue
        module = TrainingModule(
            program_id=program_id,
            slug=spec.slug,
            title=spec.title,
            lesson_md=spec.lesson_md,
            position=position,
            required=spec.required,
            pass_mark=spec.pass_mark,
            version=1,
            version_published_at=now,
            created_at=now,
        )
        module.questions = [
            TrainingQuestion(
                position=i,
                prompt=q.prompt,
                choices=list(q.choices),
                correct_index=q.correct_index,
                explanation=q.explanation,
            )
            for i, q in enumerate(spec.questions)
        ]
        session.add(module)
        created.append(module)
    session.flush()
    return created
