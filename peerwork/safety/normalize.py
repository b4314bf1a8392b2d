"""Message normalization shared by the phrase rules and the model.

A message becomes plain lower-case ASCII words, one space apart: case,
accents, punctuation, look-alike characters, doubled letters, spaced-out
letters, shorthand and common misspellings and risk emoji are undone, so
"I'm", "im" and "IM" are one thing and "kiiiill" is "kill". Accents are
stripped, so Spanish "suicidé" and "suicide" meet too.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from peerwork.safety.phrases import EMOJI, FUZZY_WORDS, PHRASE_SPELLINGS, SPELLINGS

__all__ = ["fix_spelling", "normalize", "squeeze", "surface"]

LEFT = "(?<![a-z0-9])"
RIGHT = "(?![a-z0-9])"

# -- normalization -------------------------------------------------------------

_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_CONTRACTIONS = [
    (re.compile(r"\b(i|you|he|she|we|they|it|that|there)'ll\b"), r"\1 will"),
    (re.compile(r"\b(you|we|they)'re\b"), r"\1 are"),
    (re.compile(r"\b(i|you|we|they)'ve\b"), r"\1 have"),
    (re.compile(r"\b(i|you|he|she|we|they)'d\b"), r"\1 would"),
    (re.compile(r"\b(he|she|it|that|there|what|who)'s\b"), r"\1 is"),
]
_INVISIBLE = re.compile("[\ufe0e\ufe0f\u200b\u200c\u200d\u2060]")
_EMOJI_RE = re.compile("|".join(re.escape(e) for e in sorted(EMOJI, key=len, reverse=True)))
_KEEP = re.compile(r"[^a-z0-9@$!|' ]+")
_INNER_BANG = re.compile(r"(?<=[a-z])[!|](?=[a-z])")
_SQUEEZE = re.compile(r"([a-z])\1+")
_SPACE = re.compile(r"\s+")


def _squeeze(text: str) -> str:
    return _SQUEEZE.sub(r"\1", text)


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _token(raw: str) -> str:
    if raw in _RAW_SPELLINGS:
        return _RAW_SPELLINGS[raw]
    if any(ch.isalpha() for ch in raw):
        raw = _INNER_BANG.sub(lambda m: "i" if m.group() == "!" else "l", raw)
        raw = raw.translate(_LEET)
    return re.sub(r"[^a-z0-9]+", " ", raw)


def _join_spelled_out(words: list[str]) -> list[str]:
    # "s u i c i d e" and "d i e": runs of three or more single letters are one word.
    out: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        out.extend(["".join(run)] if len(run) >= 3 else run)
        run = []
        if word:
            out.append(word)
    return out


def _surface(text: str) -> list[str]:
    """Lower-cased ASCII words, before spelling fixes (shared by messages and phrases)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        text = _INVISIBLE.sub("", text)
        text = _EMOJI_RE.sub(lambda m: f" {EMOJI[m.group()]} ", text)
        text = _ascii(text.translate(_APOSTROPHES))
    text = text.lower()
    if "'" in text:
        for pattern, replacement in _CONTRACTIONS:
            text = pattern.sub(replacement, text)
    text = _KEEP.sub(" ", text).replace("'", "")
    words = []
    for raw in text.split():
        if raw.isalpha():
            words.append(raw)
        else:
            words.extend(_token(raw).split())
    return _join_spelled_out(words)


def _fix_spelling(words: list[str], *, fuzzy: bool = True) -> str:
    text = _squeeze(" ".join(words))
    if _PHRASE_SPELLING_RE is not None:
        text = _PHRASE_SPELLING_RE.sub(lambda m: _PHRASE_SPELLINGS[m.group(1)], text)
    out = []
    for word in text.split():
        fixed = _SPELLINGS.get(word)
        if fixed is None:
            fixed = (_fuzzy(word) if fuzzy else None) or word
        out.append(fixed)
    return " ".join(out)


def normalize(text: str, *, fuzzy: bool = True) -> str:
    """The form phrases are matched against: plain lower-case words, one space apart."""
    return _fix_spelling(_surface(text), fuzzy=fuzzy)


# -- fuzzy words ---------------------------------------------------------------


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _build_fuzzy(words: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
    exact: dict[str, str] = {}
    by_delete: dict[str, str] = {}
    for word in words:
        canonical = _squeeze(word)
        exact[canonical] = canonical
        for variant in _deletes(canonical):
            by_delete.setdefault(variant, canonical)
    return exact, by_delete


@functools.lru_cache(maxsize=4096)
def _fuzzy(word: str) -> str | None:
    """A curated word within one typo of `word` (insert, delete, swap or replace)."""
    if len(word) < 5 or word in _FUZZY or not word.isalpha():
        return None
    if word in _FUZZY_DELETES:  # one letter missing
        return _FUZZY_DELETES[word]
    for variant in _deletes(word):
        if variant in _FUZZY:  # one letter too many
            return _FUZZY[variant]
        if variant in _FUZZY_DELETES:  # one letter replaced or two swapped
            return _FUZZY_DELETES[variant]
    return None


def _squeezed_map(mapping: dict[str, str]) -> dict[str, str]:
    return {_squeeze(k): _squeeze(v) for k, v in mapping.items()}


_RAW_SPELLINGS = {k: v for k, v in SPELLINGS.items() if not k.isalpha()}
_SPELLINGS = _squeezed_map(SPELLINGS)
_PHRASE_SPELLINGS = {
    " ".join(_squeeze(w) for w in _surface(k)): " ".join(_squeeze(w) for w in v.split())
    for k, v in PHRASE_SPELLINGS.items()
}
_PHRASE_SPELLING_RE = (
    re.compile(
        LEFT
        + "("
        + "|".join(re.escape(k) for k in sorted(_PHRASE_SPELLINGS, key=len, reverse=True))
        + ")"
        + RIGHT
    )
    if _PHRASE_SPELLINGS
    else None
)
_FUZZY, _FUZZY_DELETES = _build_fuzzy(FUZZY_WORDS)


def squeeze(text: str) -> str:
    """`text` with every run of one repeated letter cut to one letter."""
    return _squeeze(text)


def surface(text: str) -> list[str]:
    """Lower-cased ASCII words, before spelling fixes."""
    return _surface(text)


def fix_spelling(words: list[str]) -> str:
    """Surface words to the normalized text (shorthand, misspellings, one typo)."""
    return _fix_spelling(words)
