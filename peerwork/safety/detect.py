"""Crisis detection over every inbound message.

`assess(text, phrases)` runs inside the SMS webhook, before anything else, so
it is pure, fast and never raises. A message is normalized (case, accents,
punctuation, look-alike characters, doubled letters, spaced-out letters,
shorthand and common misspellings, risk emoji), ordinary idioms from
`phrases.SAFE_IDIOMS` are cut out, and the categories' phrases are matched
in order. Compiled patterns are cached per phrase list.

The design prefers a false alarm to a miss: see `phrases.py` for the list and
its syntax, and `tests/test_safety_detect.py` for the corpus figures.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from peerwork.safety.phrases import (
    CATEGORY_LABELS,
    DEFAULT_PHRASES,
    EMOJI,
    FUZZY_WORDS,
    PHRASE_SPELLINGS,
    SAFE_IDIOMS,
    SPELLINGS,
)

__all__ = [
    "CATEGORY_LABELS",
    "DEFAULT_PHRASES",
    "Assessment",
    "assess",
    "category_label",
    "normalize",
    "validate_phrases",
]

log = logging.getLogger(__name__)

MAX_CHARS = 2000  # a concatenated SMS tops out at 1,600; longer input is not a text
_BARRIER = " # "  # cut-out idioms leave this: no phrase or gap can match across it
_WORD = "[a-z0-9]+"
_GAP = f"(?:{_WORD} ){{0,3}}"
_LEFT = "(?<![a-z0-9])"
_RIGHT = "(?![a-z0-9])"


@dataclass(frozen=True)
class Assessment:
    category: str | None
    phrase: str | None = None

    @property
    def is_crisis(self) -> bool:
        return self.category is not None


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
        _LEFT
        + "("
        + "|".join(re.escape(k) for k in sorted(_PHRASE_SPELLINGS, key=len, reverse=True))
        + ")"
        + _RIGHT
    )
    if _PHRASE_SPELLINGS
    else None
)
_FUZZY, _FUZZY_DELETES = _build_fuzzy(FUZZY_WORDS)


# -- phrase compilation --------------------------------------------------------


class PhraseError(ValueError):
    """An entry of a phrase list that cannot be compiled."""


_ALWAYS = ""  # index key of entries that must be tried at every word


def _key_of(word: str) -> str:
    return word[:3]


def _alternative(text: str) -> tuple[str, str]:
    """(regex, index key of its first word) for one alternative of a position."""
    prefix = text.endswith("*")
    # A stem is matched as written: spelling fixes would turn "suicid*" into "suicide*".
    if prefix:
        words = _squeeze(" ".join(_surface(text.rstrip("*"))))
    else:
        words = normalize(text, fuzzy=False)
    if not words:
        raise PhraseError("an alternative has no letters or digits")
    first = words.split()[0]
    if prefix and " " not in words and len(first) < 3:
        key = _ALWAYS
    else:
        key = _key_of(first)
    pattern = re.escape(words) + ("[a-z0-9]*" if prefix else "")
    return pattern, key


def _parse(entry: str) -> tuple[str, frozenset[str]]:
    """The regex (over normalized text) for one list entry, and its index keys."""
    entry = entry.strip()
    if entry.startswith("re:"):
        source = entry[3:].strip()
        if not source:
            raise PhraseError("an empty regular expression")
        re.compile(source)
        return f"(?:{source})", frozenset({_ALWAYS})
    pieces: list[str] = []
    keys: frozenset[str] = frozenset()
    gap = False
    for position in entry.split():
        if position == "...":
            gap = True
            continue
        choices = [c for c in position.split("|") if c]
        if not choices:
            raise PhraseError("an empty word position")
        alternatives = [_alternative(c) for c in choices]
        if pieces:
            pieces.append(" " + _GAP if gap else " ")
        else:
            keys = frozenset(key for _, key in alternatives)
        pieces.append("(?:" + "|".join(p for p, _ in alternatives) + ")")
        gap = False
    if not pieces:
        raise PhraseError("an entry has no words")
    return _LEFT + "".join(pieces) + _RIGHT, keys


def phrase_pattern(entry: str) -> str:
    """The regular expression (over normalized text) for one list entry."""
    return _parse(entry)[0]


class _Matcher:
    """Entries indexed by the first letters of their first word.

    Only entries that can start at a word are tried there, which keeps a
    few hundred phrases at well under a millisecond per message.
    """

    def __init__(self, entries: list[tuple[int, int, str, re.Pattern, frozenset[str]]]) -> None:
        self.index: dict[str, list[tuple[int, int, str, re.Pattern]]] = {}
        self.always: list[tuple[int, int, str, re.Pattern]] = []
        for rank, number, entry, pattern, keys in entries:
            item = (rank, number, entry, pattern)
            for key in keys:
                if key == _ALWAYS:
                    self.always.append(item)
                else:
                    self.index.setdefault(key, []).append(item)
        for items in self.index.values():
            items.sort(key=lambda item: item[:2])
        self.always.sort(key=lambda item: item[:2])

    def _starts(self, text: str):
        start = 0
        for word in text.split(" "):
            yield start, word
            start += len(word) + 1

    def first(self, text: str) -> tuple[int, int, str] | None:
        """The entry found earliest in `text` (ties: best ranked): (rank, number, entry)."""
        found: list[tuple[int, int, int, str]] = []
        for rank, number, entry, pattern in self.always:
            hit = pattern.search(text)
            if hit:
                found.append((hit.start(), rank, number, entry))
        for start, word in self._starts(text):
            if found and start > min(found)[0]:
                break
            for rank, number, entry, pattern in self.index.get(_key_of(word), ()):
                if pattern.match(text, start):
                    found.append((start, rank, number, entry))
                    break
        if not found:
            return None
        _, rank, number, entry = min(found)
        return rank, number, entry

    def cut(self, text: str, barrier: str) -> str:
        """`text` with every matched span replaced by `barrier`."""
        spans: list[tuple[int, int]] = []
        for _, _, _, pattern in self.always:
            spans.extend(m.span() for m in pattern.finditer(text))
        for start, word in self._starts(text):
            for _, _, _, pattern in self.index.get(_key_of(word), ()):
                found = pattern.match(text, start)
                if found:
                    spans.append(found.span())
        if not spans:
            return text
        out, last = [], 0
        for start, end in sorted(spans):
            if start < last:
                last = max(last, end)
                continue
            out.append(text[last:start])
            out.append(barrier)
            last = end
        out.append(text[last:])
        return "".join(out)


@dataclass(frozen=True)
class _Compiled:
    categories: tuple[str, ...]
    phrases: _Matcher
    safe: _Matcher


def _compile_entries(rank: int, name: str, entries) -> list:
    compiled = []
    for number, entry in enumerate(entries):
        if not isinstance(entry, str) or not entry.strip():
            continue
        try:
            pattern, keys = _parse(entry)
            compiled.append((rank, number, entry, re.compile(pattern), keys))
        except (PhraseError, re.error):
            # An admin's phrase, not a message; still, keep the log line bare.
            log.warning("crisis phrase %s[%d] does not compile; skipped", name, number)
    return compiled


def _merged(phrases) -> dict[str, list]:
    # A program's list replaces the default per category it names; a category
    # it leaves out keeps the shipped phrases, so no edit can switch one off.
    merged: dict[str, list] = dict(DEFAULT_PHRASES)
    if isinstance(phrases, dict):
        for name, entries in phrases.items():
            if isinstance(name, str) and isinstance(entries, list | tuple) and entries:
                merged[name] = list(entries)
    return merged


@functools.lru_cache(maxsize=64)
def _compile(key: str) -> _Compiled:
    phrases = json.loads(key) if key else None
    names: list[str] = []
    entries: list = []
    for name, items in _merged(phrases).items():
        compiled = _compile_entries(len(names), name, items)
        if not compiled and name in DEFAULT_PHRASES:
            compiled = _compile_entries(len(names), name, DEFAULT_PHRASES[name])
        if compiled:
            names.append(name)
            entries.extend(compiled)
    safe = _compile_entries(0, "safe idioms", SAFE_IDIOMS)
    return _Compiled(tuple(names), _Matcher(entries), _Matcher(safe))


def _key(phrases) -> str:
    if not phrases:
        return ""
    try:
        return json.dumps(phrases, ensure_ascii=False)
    except (TypeError, ValueError):
        return ""


# -- the public API ------------------------------------------------------------


def assess(text: str, phrases: dict[str, list[str]] | None = None) -> Assessment:
    """Return the crisis category (and list entry) of the earliest risky phrase in `text`."""
    try:
        return _assess(text, _compile(_key(phrases)))
    except Exception:
        # Never let detection break the webhook; fall back to the shipped list.
        log.exception("crisis detection failed on a program list; using the default list")
        try:
            return _assess(text, _compile(""))
        except Exception:
            log.exception("crisis detection failed")
            return Assessment(None)


def _assess(text: str, compiled: _Compiled) -> Assessment:
    if not text or not isinstance(text, str):
        return Assessment(None)
    normalized = compiled.safe.cut(normalize(text[:MAX_CHARS]), _BARRIER)
    found = compiled.phrases.first(normalized)
    if found is None:
        return Assessment(None)
    rank, _, entry = found
    return Assessment(compiled.categories[rank], entry)


def validate_phrases(phrases: dict[str, list[str]]) -> list[str]:
    """Problems with a program's phrase list, as sentences for the admin form."""
    if not isinstance(phrases, dict):
        return ["The phrase list must map categories to lists of phrases."]
    problems = []
    for name, entries in phrases.items():
        if not isinstance(entries, list):
            problems.append(f"{name}: give a list of phrases.")
            continue
        for number, entry in enumerate(entries, start=1):
            if not isinstance(entry, str) or not entry.strip():
                problems.append(f"{name}, phrase {number}: empty.")
                continue
            try:
                phrase_pattern(entry)
            except (PhraseError, re.error) as exc:
                problems.append(f"{name}, phrase {number} ({entry[:40]}): {exc}.")
    return problems


def category_label(category: str | None) -> str:
    """A human name for a crisis category (supervisors see this, never the text)."""
    if not category:
        return ""
    return CATEGORY_LABELS.get(category, category.replace("_", " ").capitalize())
