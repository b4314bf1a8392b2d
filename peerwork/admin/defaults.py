"""The local resources directory a new program starts with.

Taken from the resources the seed article names. Phone numbers and web
addresses are filled in only where they are certain (988 and Crisis Text
Line); the admin completes the rest with their local details.
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
        "Finger Lakes Community Action",
        "Community action agency offering local peer support and help connecting to services.",
    ),
    DefaultResource(
        "AspireHope",
        "Peer support groups and one-to-one peer mentoring for people facing mental health "
        "challenges.",
    ),
    DefaultResource(
        "Venture Forthe",
        "Peer-run recovery support: people with lived experience helping others move forward.",
    ),
    DefaultResource(
        "Compeer",
        "Matches people living with mental health challenges with supportive volunteer friends "
        "and mentors.",
    ),
    DefaultResource(
        "Mental Health America: peer support programs",
        "A national list of peer support programs, to find one near you or for a specific need.",
        url="https://mhanational.org",
    ),
)
