"""What a new program starts with, and the local groups it may add.

A new program's directory holds only national lines, each with a phone number
or web address we are sure of, because RESOURCES texts the directory to
employees wherever they are. Local groups depend on where the employer is:
they are offered as suggestions the admin picks and completes with a way to
reach them (`LOCAL_SUGGESTIONS`); the seed article's Rochester and Finger
Lakes groups are among them, labelled with their region.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DefaultResource:
    name: str
    description: str
    phone: str | None = None
    url: str | None = None


DEFAULT_RESOURCES: tuple[DefaultResource, ...] = (
    DefaultResource(
        "988 Suicide & Crisis Lifeline",
        "Free, confidential support for anyone in suicidal crisis or emotional distress, "
        "24 hours a day. Call or text.",
        phone="988",
        url="https://988lifeline.org",
    ),
    DefaultResource(
        "Crisis Text Line",
        "Text HOME to 741741 to reach a trained crisis counselor, any time of day or night.",
        phone="741741",
        url="https://www.crisistextline.org",
    ),
    DefaultResource(
        "Mental Health America: peer support programs",
        "A national list of peer support programs, to find one near you or for a specific need.",
        url="https://mhanational.org",
    ),
)


@dataclass(frozen=True)
class LocalSuggestion:
    """A kind of local group an admin may add; they complete it before it is texted."""

    key: str
    name: str
    description: str
    region: str = ""  # empty: a kind of group found almost anywhere
    phone: str | None = None
    url: str | None = None


LOCAL_SUGGESTIONS: tuple[LocalSuggestion, ...] = (
    LocalSuggestion(
        "eap",
        "Employee Assistance Program (EAP)",
        "Free, confidential counseling sessions for employees and their families, paid for by "
        "the employer.",
    ),
    LocalSuggestion(
        "211",
        "211",
        "Free help finding local services: housing, food, bills, counseling and more. "
        "Call or text 211.",
        phone="211",
        url="https://www.211.org",
    ),
    LocalSuggestion(
        "nami",
        "Local NAMI affiliate",
        "Free support groups and classes, led by people with lived experience and their families.",
    ),
    LocalSuggestion(
        "peer-center",
        "Peer-run recovery center",
        "Drop-in support from people with lived experience of mental health or substance use "
        "challenges.",
    ),
    LocalSuggestion(
        "finger-lakes-community-action",
        "Finger Lakes Community Action",
        "Community action agency offering local peer support and help connecting to services.",
        region="Rochester and the Finger Lakes, New York",
    ),
    LocalSuggestion(
        "aspirehope",
        "AspireHope",
        "Peer support groups and one-to-one peer mentoring for people facing mental health "
        "challenges.",
        region="Rochester and the Finger Lakes, New York",
    ),
    LocalSuggestion(
        "venture-forthe",
        "Venture Forthe",
        "Peer-run recovery support: people with lived experience helping others move forward.",
        region="Rochester and the Finger Lakes, New York",
    ),
    LocalSuggestion(
        "compeer",
        "Compeer",
        "Matches people living with mental health challenges with supportive volunteer friends "
        "and mentors.",
        region="Rochester and the Finger Lakes, New York",
    ),
)

SUGGESTIONS_BY_KEY = {s.key: s for s in LOCAL_SUGGESTIONS}

# What the quick start sets up so a program can launch without visiting every page.
DEFAULT_TOPICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Work stress", ("stress", "burnout", "workload", "overwhelmed")),
    ("Family and relationships", ("family", "partner", "relationship", "kids")),
    ("Grief and loss", ("grief", "loss", "died", "death")),
    ("Something else", ("lonely", "vent", "listen")),
)
