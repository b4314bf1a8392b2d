"""Whole-message keywords: a small registry the dialog consults first.

A handler is registered with `@keyword("PLAN")` and receives the dialog's
`Turn` (program, texter, message, now, dispatcher, `reply()`). The handlers
are the dialog's built-in ones (`dialog.py`) and the check-in ones
(`checkin_answers.py`, imported by the dialog): no discovery by name.

Twilio's opt-out words belong to the opt-out handler alone: registering one
for anything else is refused, because Twilio acts on them itself. Each
language's own opt-out words (`peerwork.languages`: PARAR, CANCELAR) are
treated exactly the same; the Twilio number must list them too (README).

Other languages' words for a command are `ALIASES` of the English one: a
handler registered for "HELP" answers AYUDA too, and the turn replies in the
alias's language. Never put an opt-out word there (the registry refuses).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from peerwork.languages import LANGUAGES

TWILIO_OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
OPT_OUT_WORDS = TWILIO_OPT_OUT_WORDS | {
    word for language in LANGUAGES.values() for word in language.opt_out_words
}
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})

# Each language's words for our commands, by the English word. FIN, not LISTO, ends
# a chat: "listo" also means "ready", a likely answer to a peer's question.
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {
        "HELP": ("AYUDA",),
        "RESOURCES": ("RECURSOS",),
        "DONE": ("FIN", "TERMINAR"),
        "NEW": ("NUEVO",),
        "TALK": ("HABLAR",),
        "PLAN": ("MI PLAN",),
        "CHECKIN WEEKLY": ("CHECKIN SI", "CHECKIN SÍ"),
        "CHECKIN OFF": ("CHECKIN NO",),
    }
}


@dataclass(frozen=True)
class Keyword:
    word: str
    handler: Callable
    # Answered inside the webhook (TwiML) rather than by the inbound job.
    immediate: bool = False
    # Still acted on for a texter who opted out (only START/UNSTOP should be).
    when_opted_out: bool = False
    # The language the word is in, when not the texter's own (an alias): replies follow it.
    language: str | None = None
    # The word chooses the texter's language (ESPAÑOL, ENGLISH).
    chooses_language: bool = False


def normalize(body: str | None) -> str:
    """The message as a keyword candidate: trimmed, upper-cased, single-spaced, no end punctuation."""
    text = " ".join((body or "").split()).upper()
    return re.sub(r"[.!?]+$", "", text).strip()


class KeywordRegistry:
    def __init__(self) -> None:
        self._keywords: dict[str, Keyword] = {}

    def register(
        self,
        *words: str,
        handler: Callable,
        immediate: bool = False,
        when_opted_out: bool = False,
        language: str | None = None,
        chooses_language: bool = False,
    ) -> None:
        """Map each of `words` (whole message, any case) and their `ALIASES` to `handler`."""
        entries = [(word, language) for word in words]
        for code, aliases in ALIASES.items():
            entries += [(alias, code) for word in words for alias in aliases.get(word, ())]
        for word, word_language in entries:
            key = normalize(word)
            if key in OPT_OUT_WORDS and getattr(handler, "is_opt_out", False) is not True:
                raise ValueError(f"{key} is an opt-out word and cannot be a command")
            existing = self._keywords.get(key)
            if existing is not None and existing.handler is not handler:
                raise ValueError(f"keyword {key} is already registered")
            self._keywords[key] = Keyword(
                key, handler, immediate, when_opted_out, word_language, chooses_language
            )

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
