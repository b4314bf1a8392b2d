"""The languages a program's line can speak: one table, read by every part that cares.

English is always offered; a program adds others (Spanish today) in its
settings (`Program.languages`). Adding a language is adding a row here and
its column of texts in `peerwork.sms.texts` (a test fails while a text lacks
it), its keyword aliases in `peerwork.texter.keywords`, and a catalog under
`peerwork/translations/` for the web pages: no code branches on a language.

A language's `choose_words` are whole-message keywords that switch the
texter's language; `opt_out_words` are that language's words for STOP, which
the Twilio number's Advanced Opt-Out must list too (README, "Spanish").

May import: nothing of peerwork (the ground layer).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT = "en"


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1, as stored on texters, peers, requests and programs
    name: str  # in English, for staff pages and logs
    native: str  # in the language itself, for pickers
    choose_words: tuple[str, ...]
    opt_out_words: tuple[str, ...] = ()


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("en", "English", "English", ("ENGLISH", "INGLES", "INGLÉS")),
        Language(
            "es",
            "Spanish",
            "Español",
            ("ESPAÑOL", "ESPANOL", "SPANISH"),
            # Twilio's own list is English only; these must be added to the number's
            # Advanced Opt-Out keywords so Twilio blocks sending exactly as for STOP.
            opt_out_words=("PARAR", "CANCELAR"),
        ),
    )
}

# The program settings field: what the line does when no peer shares the texter's language.
FALLBACKS = {
    "anyone": "Offer the texter to any peer, with a note saying which language they write in",
    "wait": "Wait for a peer who speaks the texter's language",
}


def known(code: str | None) -> str:
    """`code` when it is a language we have, else the default."""
    return code if code in LANGUAGES else DEFAULT


def name(code: str | None) -> str:
    """The English name of a language code ("" for none)."""
    return LANGUAGES[code].name if code in LANGUAGES else ""


def parse_list(value: str | None) -> list[str]:
    """A stored comma list ("en,es") as known codes in table order, English if empty."""
    codes = {c.strip() for c in (value or "").split(",")}
    return [code for code in LANGUAGES if code in codes] or [DEFAULT]


def join_list(codes) -> str:
    """Codes as stored: known ones, table order, comma-separated."""
    return ",".join(parse_list(",".join(codes)))
