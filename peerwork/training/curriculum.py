"""The default curriculum shipped with peerwork, and copying it into a program.

Lessons live in `content/NN-<slug>.md`; quizzes live here so that each
question, its one right answer and the explanation stay side by side. Each
module's pool holds more questions than one attempt asks (see
`grading.QUESTIONS_PER_ATTEMPT`), so a retake is not the same quiz. An
explanation states the principle: it is shown after a wrong answer, and never
names the right option.
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
                "A peer's strength is relating from the inside, not expertise from a textbook; "
                "diagnosis, treatment and legal advice belong to professionals.",
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
                "Peer support covers listening, encouragement, sharing experience, building "
                "skills, planning ahead together and connecting with resources; decisions about "
                "medicine or someone's job are never part of it.",
            ),
            _q(
                "Roughly how many adults experience a mental health problem in a given year?",
                ["Nearly 1 in 4", "About 1 in 100", "About 1 in 1,000", "Almost everyone"],
                0,
                "Mental health problems are common: a large share of adults meet one every year (the "
                "lesson gives the figure), which is why easy, stigma-free support matters.",
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
            _q(
                "A texter is coping with a chronic illness, not a mental health condition. Can peer support help?",
                [
                    "No: peer support is only for mental illness",
                    "Yes: it also helps with chronic illness, addiction recovery, grief and life changes",
                    "Only if a doctor refers them",
                    "Only after they finish treatment",
                ],
                1,
                "Peer support reaches well beyond mental health: anyone facing a hard stretch of life can gain from someone who walked a similar path.",
            ),
            _q(
                "What is the cornerstone of a peer supporter's role?",
                [
                    "A professional license",
                    "Their own journey through a hard time",
                    "Years of management experience",
                    "Knowing the company's policies by heart",
                ],
                1,
                "Some peers have training or certification, but what they offer rests on having lived through something similar.",
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
                "Active listening puts what you heard into your own words; advice, silver "
                "linings and comparisons pull the focus away.",
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
            _q(
                "A texter pauses for several minutes. What is usually best?",
                [
                    "Send three more questions to keep it going",
                    "Give them room, then check in gently if the silence goes on",
                    "End the conversation",
                    "Fill the gap with your own news",
                ],
                1,
                "People often need time to type or gather themselves; room to think is part of listening.",
            ),
            _q(
                "Which reply minimizes the texter's feelings?",
                [
                    "That sounds exhausting.",
                    "At least it is not worse.",
                    "What has been the hardest part?",
                    "Thank you for telling me.",
                ],
                1,
                "Silver linings offered too early tell a person their feeling is out of proportion, which shuts the conversation down.",
            ),
            _q(
                "How many questions should you usually ask in one message?",
                [
                    "One",
                    "As many as you can think of",
                    "At least five",
                    "None: never ask questions",
                ],
                0,
                "A wall of questions feels like an interview; let the texter answer before you ask "
                "the next thing.",
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
            _q(
                "A texter asks a personal question about your past. What helps most?",
                [
                    "Share every detail they ask about",
                    "Answer briefly if you are comfortable, then turn back to them",
                    "Refuse and end the chat",
                    "Make something up",
                ],
                1,
                "You choose what to share; a short honest answer and a return to the texter keeps the focus where it belongs.",
            ),
            _q(
                "Why should you leave out details like your workplace, team or town?",
                [
                    "They are boring",
                    "They could identify you, and the platform keeps both people anonymous",
                    "Texters are not allowed to know anything about you",
                    "Because the story is made up",
                ],
                1,
                "Anonymity protects peers and texters alike; a story helps without identifying details.",
            ),
            _q(
                "Your story differs from what the texter is going through. What should you avoid?",
                [
                    "Listening more than you talk",
                    "Saying their situation is just like yours",
                    "Asking how it feels for them",
                    "Staying curious about their experience",
                ],
                1,
                "Every path is different: claiming it is the same takes the conversation away from them.",
            ),
            _q(
                "What is the main purpose of sharing lived experience?",
                [
                    "To inspire hope and show that recovery is possible",
                    "To prove you are an expert",
                    "To get support for yourself",
                    "To compare whose story is harder",
                ],
                0,
                "Lived experience is shared for the texter's sake: to offer hope and a sense of not being alone.",
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
            _q(
                "Which is an example of a simple coping skill to offer over text?",
                [
                    "A breathing exercise they can try for two minutes",
                    "A new medication",
                    "Quitting their job today",
                    "A long reading list",
                ],
                0,
                "Small, concrete steps someone can try right away fit a text conversation best.",
            ),
            _q(
                "A texter tried a skill you suggested and says it did not help. What now?",
                [
                    "Insist they try again harder",
                    "Thank them for trying and explore what else might fit",
                    "Tell them nothing will work",
                    "End the conversation",
                ],
                1,
                "Skills are experiments, not tests the texter can fail; staying curious keeps them in charge.",
            ),
            _q(
                "What is a trigger?",
                [
                    "A situation or feeling that tends to set off distress",
                    "A button in the app",
                    "A type of medication",
                    "A formal diagnosis",
                ],
                0,
                "Noticing what sets off distress helps a person plan how to respond, which builds resilience.",
            ),
            _q(
                "Why share the program's skill cards instead of your own advice?",
                [
                    "They are tested, short and consistent for every texter",
                    "Because your advice is never useful",
                    "They replace the conversation",
                    "So that you do not need to listen",
                ],
                0,
                "Shared cards are reviewed by the program and read well on a phone; they sit alongside your listening.",
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
                "The lesson on resources names the local peer support organizations; the program's "
                "directory holds how to reach them.",
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
                "National mental health organizations keep lists of peer support programs, and a "
                "search for '[city or county] peer support program' also helps.",
            ),
            _q(
                "A texter asks for a therapist recommendation. What fits your role?",
                [
                    "Name your own therapist",
                    "Point them to the program's directory and public services",
                    "Tell them therapy is not needed",
                    "Diagnose them first",
                ],
                1,
                "Peers connect people with services; they do not recommend clinicians personally or diagnose.",
            ),
            _q(
                "What is a gentle way to check a referral helped?",
                [
                    "Ask later, if they agree to a check-in, whether they were able to reach the service",
                    "Call the service yourself to ask about them",
                    "Ask their manager",
                    "Do nothing ever again",
                ],
                0,
                "Following up with the texter's consent respects them; never contact services or employers about someone.",
            ),
            _q(
                "There are no in-person groups near a texter. What else can they try?",
                [
                    "Online peer support communities",
                    "Nothing: only in-person help counts",
                    "Waiting until a group opens nearby",
                    "Asking coworkers to diagnose them",
                ],
                0,
                "Online communities and groups connect people when in-person options are out of reach.",
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
                "The program shares national crisis lines that answer day and night, never personal or "
                "workplace numbers.",
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
                "When a life is in danger right now, emergency services come first.",
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
                "In a crisis you never carry it alone and you do not wait: supervisors are "
                "alerted the moment you ask.",
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
            _q(
                "Does asking someone directly about suicide put the idea in their head?",
                [
                    "Yes, so you should never ask",
                    "No: asking directly and kindly is safe and can open the way to help",
                    "Only if they are young",
                    "Only by text",
                ],
                1,
                "Research and crisis services agree that a direct, caring question does not cause harm; it shows you can hear the answer.",
            ),
            _q(
                "A texter stops replying after saying they have a plan to end their life. What do you do?",
                [
                    "Wait until tomorrow",
                    "Alert a supervisor at once through the platform",
                    "Post about it on social media",
                    "Close the conversation quietly",
                ],
                1,
                "Crisis signs are never left waiting: the protocol puts a supervisor on it straight away.",
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
            _q(
                "What is a recovery roadmap?",
                [
                    "A step-by-step plan of goals and supports the person chooses",
                    "A map of local hospitals",
                    "A performance review",
                    "A list of rules the peer sets",
                ],
                0,
                "A roadmap is the person's own route forward: small goals, people and supports they pick.",
            ),
            _q(
                "Which question helps someone find their warning signs?",
                [
                    "What tends to happen just before things get really hard for you?",
                    "Why do you always feel this way?",
                    "Have you tried not worrying?",
                    "Do you want me to decide for you?",
                ],
                0,
                "Open, curious questions help the person notice their own patterns.",
            ),
            _q(
                "Where should a texter keep their plan?",
                [
                    "Somewhere they can reach it quickly when they need it",
                    "Only in the peer's notes",
                    "With their manager",
                    "Nowhere: plans should be memorized",
                ],
                0,
                "A plan helps only if it is at hand in a hard moment; the texter decides where that is.",
            ),
            _q(
                "A texter wants to add professional contacts to the plan. How do you respond?",
                [
                    "Encourage it: professional care belongs alongside peer support",
                    "Discourage it",
                    "Remove peer support from the plan",
                    "Tell them professionals will not help",
                ],
                0,
                "Peer support complements professional care, and a good plan includes both.",
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
            _q(
                "A conversation reminds you painfully of your own past. What do you do?",
                [
                    "Push through without telling anyone",
                    "Ask your supervisor to help, or hand it back so another peer can take it",
                    "Share your whole story to cope",
                    "Stop replying without a word",
                ],
                1,
                "Looking after yourself protects the texter too; handing back or asking for help is part of the role.",
            ),
            _q(
                "A texter asks you to lend them money. What do you do?",
                [
                    "Lend a small amount",
                    "Kindly say it is outside what peers do and point to resources",
                    "Ask your team to chip in",
                    "Ignore the message",
                ],
                1,
                "Clear, kind limits keep the relationship safe; resources exist for practical needs.",
            ),
            _q(
                "How many conversations should you hold at once?",
                [
                    "As many as are offered",
                    "No more than you can give real attention to, as set in your capacity",
                    "Always the program maximum",
                    "Only one ever",
                ],
                1,
                "Capacity is yours to set; quality of attention matters more than numbers.",
            ),
            _q(
                "What helps you come back steady after a hard conversation?",
                [
                    "Something that restores you, and a debrief if you need it",
                    "Taking the next offer straight away",
                    "Reading the conversation again and again",
                    "Telling friends the details",
                ],
                0,
                "Rest and a debrief keep you well; details stay confidential.",
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
                "Anonymity is built in: peers never see anything that could identify a texter.",
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
                "Your alias is there to protect you, so it should not point back to who you are.",
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
            _q(
                "Can you write down a texter's story to share with friends if you leave out the name?",
                [
                    "Yes, without the name it is fine",
                    "No: what texters share stays within the program",
                    "Only on social media",
                    "Only after a week",
                ],
                1,
                "Confidentiality covers the whole story, not just the name; details alone can identify someone.",
            ),
            _q(
                "Who can see a conversation besides you?",
                [
                    "Anyone at the company",
                    "The texter's manager",
                    "Supervisors of the program when needed for safety and support",
                    "Nobody, not even in a crisis",
                ],
                2,
                "Supervisors support peers and step in for safety; managers and colleagues never see conversations.",
            ),
            _q(
                "A texter sends their full name and department. What do you do?",
                [
                    "Save it in case you need it",
                    "Do not use or record it, and gently remind them they can stay anonymous",
                    "Look them up",
                    "Share it with your supervisor's manager",
                ],
                1,
                "Anonymity belongs to the texter; peers never act on identifying details.",
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
