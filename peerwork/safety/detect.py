"""Crisis detection over every inbound message: phrase rules plus a trained model.

`assess(text, phrases)` runs inside the SMS webhook, before anything else, so
it is pure, fast (well under 5 ms for a 1,600-character text) and never
raises. A message is normalized once (`normalize.py`) and read two ways:

- the rules: the categories' phrases (`phrases.py`, plus a program's own
  list) are matched in order, after unmistakably ordinary idioms are cut out;
- the model (`model.py`): a logistic regression over words, word pairs,
  character n-grams and context groups, trained on labelled English and
  Spanish texts by `peerwork safety train`; it carries detection to words no
  list has ("I've written letters to everyone", "ya no quiero estar aqui").

The decision: a shipped phrase hit is a crisis unless the message is
visibly about something else (someone else, a training or a policy, the
past, a question: `features.GROUPS`); then, as for every message without a
hit, the model decides: its risk at or above the trained threshold is a
crisis. The model knows whether a phrase fired (a feature like any other),
so it learns how far to trust a phrase in each context. The threshold was
chosen on cross-validated training data for recall first. A program's own
phrases always fire. An `Assessment` says the category, the language
("en"/"es") and why it fired (a phrase id and/or the model's score), never
the message.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from dataclasses import dataclass

from peerwork.safety import features
from peerwork.safety import model as crisis_model
from peerwork.safety.normalize import normalize
from peerwork.safety.normalize import squeeze as _squeeze
from peerwork.safety.normalize import surface as _surface
from peerwork.safety.phrases import CATEGORY_LABELS, DEFAULT_PHRASES, SAFE_IDIOMS

__all__ = [
    "CATEGORY_LABELS",
    "DEFAULT_PHRASES",
    "Assessment",
    "assess",
    "category_label",
    "language_name",
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
# Context groups that hand a shipped phrase's hit to the model (see the docstring).
SAFE_CONTEXT = frozenset({"other", "topic", "past", "question"})


@dataclass(frozen=True)
class Assessment:
    """What detection found: never the message, only what it means for the reply."""

    category: str | None
    phrase: str | None = None  # the list entry that fired (a rule), not the message
    language: str = "en"  # "en" or "es": the language of the crisis reply
    rule: str | None = None  # "suicide_self_harm#3", or "program:<category>#0"
    score: float | None = None  # the model's risk, 0..1 (None when the model is unavailable)

    @property
    def is_crisis(self) -> bool:
        return self.category is not None

    @property
    def reason(self) -> str:
        """Why it fired, for staff: a phrase id and/or the model's score."""
        if not self.is_crisis:
            return ""
        score = f"model {self.score:.2f}" if self.score is not None else ""
        if self.rule:
            return f"phrase {self.rule}" + (f", {score}" if score else "")
        return score


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
    shipped: tuple[bool, ...]  # per category: the shipped list (True) or a program's own
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
    shipped: list[bool] = []
    entries: list = []
    for name, items in _merged(phrases).items():
        compiled = _compile_entries(len(names), name, items)
        is_shipped = items is DEFAULT_PHRASES.get(name)
        if not compiled and name in DEFAULT_PHRASES:
            compiled = _compile_entries(len(names), name, DEFAULT_PHRASES[name])
            is_shipped = True
        if compiled:
            names.append(name)
            shipped.append(is_shipped)
            entries.extend(compiled)
    safe = _compile_entries(0, "safe idioms", SAFE_IDIOMS)
    return _Compiled(tuple(names), tuple(shipped), _Matcher(entries), _Matcher(safe))


def _key(phrases) -> str:
    if not phrases:
        return ""
    try:
        return json.dumps(phrases, ensure_ascii=False)
    except (TypeError, ValueError):
        return ""


# -- the public API ------------------------------------------------------------


def assess(text: str, phrases: dict[str, list[str]] | None = None) -> Assessment:
    """Decide whether `text` is a crisis: category, language and the reason."""
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


def _model() -> crisis_model.CrisisModel | None:
    try:
        return crisis_model.load()
    except Exception:
        # A missing or broken model file must not silence the rules.
        log.exception("crisis model could not be loaded; phrase rules only")
        return None


def _assess(text: str, compiled: _Compiled) -> Assessment:
    if not text or not isinstance(text, str):
        return Assessment(None)
    text = text[:MAX_CHARS]
    surface_words, normalized = features.parts(text)
    language = features.language(surface_words, text)
    question = "?" in text
    # Rules and model both read the text with ordinary idioms cut out.
    cut = compiled.safe.cut(normalized, _BARRIER)
    found = compiled.phrases.first(cut)
    hit = None
    if found is not None:
        rank, number, entry = found
        name, shipped = compiled.categories[rank], compiled.shipped[rank]
        rule = f"{name}#{number}" if shipped else f"program:{name}#{number}"
        hit = (name, entry, rule, shipped)
    model = _model()
    extra = rule_groups(hit[0] if hit and hit[3] else None)
    score = model.score(cut, question=question, extra=extra) if model is not None else None
    risk = score.risk if score is not None else None
    if hit is not None:
        name, entry, rule, shipped = hit
        about_else = not SAFE_CONTEXT.isdisjoint(_context(normalized, question))
        if not shipped or not about_else or model is None or risk >= model.threshold:
            return Assessment(name, entry, language, rule, risk)
    if model is not None and risk >= model.threshold:
        category = model.category(score.window, question=question, extra=extra)
        return Assessment(category, None, language, None, risk)
    return Assessment(None, None, language, None, risk)


def rule_groups(category: str | None) -> tuple[str, ...]:
    """The context groups a shipped phrase hit adds to the model's reading."""
    return ("rule", f"rule {category}") if category else ()


def _context(normalized: str, question: bool) -> list[str]:
    present = features.groups(normalized.split())
    return [*present, "question"] if question else present


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


LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}


def language_name(language: str | None) -> str:
    """A human name for a detected message language ("" when unknown)."""
    return LANGUAGE_NAMES.get(language or "", language or "")
