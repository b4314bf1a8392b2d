"""Whole-message keywords: a small registry the dialog consults first.

A handler is registered with `@keyword("PLAN")` and receives the dialog's
`Turn` (program, texter, message, now, dispatcher, `reply()`). The handlers
are the dialog's built-in ones (`dialog.py`) and the check-in ones
(`checkin_answers.py`, imported by the dialog): no discovery by name.

Twilio's opt-out words belong to the opt-out handler alone: registering one
for anything else is refused, because Twilio acts on them itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})


@dataclass(frozen=True)
class Keyword:
    word: str
    handler: Callable
    # Answered inside the webhook (TwiML) rather than by the inbound job.
    immediate: bool = False
    # Still acted on for a texter who opted out (only START/UNSTOP should be).
    when_opted_out: bool = False


def normalize(body: str | None) -> str:
    """The message as a keyword candidate: trimmed, upper-cased, single-spaced, no end punctuation."""
    text = " ".join((body or "").split()).upper()
    return re.sub(r"[.!?]+$", "", text).strip()


class KeywordRegistry:
    def __init__(self) -> None:
        self._keywords: dict[str, Keyword] = {}

    def register(
        self, *words: str, handler: Callable, immediate: bool = False, when_opted_out: bool = False
    ) -> None:
        """Map each of `words` (whole message, any case) to `handler`."""
        for word in words:
            key = normalize(word)
            if key in OPT_OUT_WORDS and getattr(handler, "is_opt_out", False) is not True:
                raise ValueError(f"{key} is a Twilio opt-out word and cannot be a command")
            existing = self._keywords.get(key)
            if existing is not None and existing.handler is not handler:
                raise ValueError(f"keyword {key} is already registered")
            self._keywords[key] = Keyword(key, handler, immediate, when_opted_out)

    def match(self, body: str | None) -> Keyword | None:
        """The keyword this whole message is, if any."""
        return self._keywords.get(normalize(body))

    def words(self) -> set[str]:
        """Every registered keyword."""
        return set(self._keywords)


REGISTRY = KeywordRegistry()


def keyword(*words: str, immediate: bool = False, when_opted_out: bool = False):
    """Decorator: register a handler for whole-message keywords."""

    def decorate(handler: Callable) -> Callable:
        REGISTRY.register(
            *words, handler=handler, immediate=immediate, when_opted_out=when_opted_out
        )
        return handler

    return decorate
