"""Crisis detection over every inbound message.

A first version: normalized whole-word phrase matching against a default list.
The categories, the list and the normalization are refined in the safety work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_PHRASES: dict[str, list[str]] = {
    "suicide_self_harm": [
        "kill myself",
        "end my life",
        "suicide",
        "suicidal",
        "want to die",
        "hurt myself",
        "self harm",
        "cut myself",
    ],
    "harm_to_others": ["kill him", "kill her", "kill them", "hurt someone"],
    "abuse_danger": ["he hits me", "she hits me", "not safe at home", "being abused"],
}


@dataclass(frozen=True)
class Assessment:
    category: str | None
    phrase: str | None = None

    @property
    def is_crisis(self) -> bool:
        return self.category is not None


def normalize(text: str) -> str:
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def assess(text: str, phrases: dict[str, list[str]] | None = None) -> Assessment:
    """Return the first crisis category whose phrase appears in `text`."""
    normalized = f" {normalize(text)} "
    for category, items in (phrases or DEFAULT_PHRASES).items():
        for phrase in items:
            if f" {normalize(phrase)} " in normalized:
                return Assessment(category, phrase)
    return Assessment(None)
