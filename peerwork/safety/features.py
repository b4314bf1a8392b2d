"""What the crisis model sees in a message, and which language it is in.

Shared by training (`peerwork.safety.train`) and the webhook
(`peerwork.safety.model`), so both read a message the same way. Pure Python:
no numpy at run time.

A message is normalized (`normalize.py`) and read as four kinds of feature:
- `w` word unigrams and `b` word bigrams of the normalized text;
- `c` character 3- to 5-grams of the normalized text (with a space at each
  end), which carry a model across spellings, conjugations and words it has
  never seen ("matarme", "matare", "matarse" share "mata");
- `g` context groups: a handful of word classes that say who and what a
  message is about (the writer, someone else, a training or a policy, the
  past, a question). A linear model cannot see that "suicide" next to
  "training" is safe unless it is told the message is about a training; the
  groups tell it, and the weights are learned, not hand-set.

Feature values are counts scaled by 1/sqrt(the count of features of their
kind in the message), so short and long messages score on one scale. `Window` gives the per-position
breakdown the model needs to score long messages window by window.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from peerwork.safety.normalize import fix_spelling, surface

CHAR_SIZES = (3, 4, 5)
WINDOW_WORDS = 20  # longer messages are scored window by window (see model.py)
WINDOW_STEP = 5

# Word classes, over normalized words (accents stripped, English shorthand expanded).
GROUPS: dict[str, frozenset[str]] = {
    # the writer speaks about themself
    "self": frozenset("i me my myself mine yo mi mis conmigo mio mia misma mismo".split()),
    # someone else is the subject
    "other": frozenset(
        "he she they his her hers him them their theirs friend friends coworker coworkers "
        "colleague colleagues cousin neighbor brother sister son daughter client customer "
        "patient student someone somebody people el ella ellos ellas su sus amigo amiga "
        "amigos companero companera vecino vecina hermano hermana cliente alguien".split()
    ),
    # a training, a policy, a referral, media: talk about risk, not risk
    "topic": frozenset(
        "training trainings workshop seminar webinar course module quiz class lecture "
        "certification certified policy policies procedure procedures protocol protocols "
        "guidelines handbook manual awareness prevention article podcast documentary movie "
        "film show book novel series episode song lyrics research study studies statistics "
        "stats report presentation slides poster brochure pamphlet flyer campaign referral "
        "refer resources hotline hr compliance onboarding agenda capacitacion taller curso "
        "seminario politica politicas protocolo procedimiento prevencion articulo pelicula "
        "serie libro documental estudio estadisticas charla folleto recursos".split()
    ),
    # long ago, or over
    "past": frozenset(
        "ago years anniversary used recovered recovery survivor survived sober clean "
        "former formerly childhood teenager teen hace anos antes sobrevivi superado".split()
    ),
}

_ES_WORDS = frozenset(
    "de la que el en y los se del las un por con una su para es al lo como mas pero sus le "
    "ya o fue este ha si porque esta estoy estas estamos son entre cuando muy sin sobre ser "
    "tiene tengo tambien hasta hay donde quien desde todo todos nos uno les ni contra ese eso "
    "esto mi mis yo otro otra tanto esa estos mucho nada cual poco ella ellos estar algo tu "
    "te ti tus quiero puedo hoy manana vida nadie mejor ahora bien gracias hola trabajo casa "
    "miedo solo sola aqui asi hacer voy vas va pues bueno creo siento necesito ayuda favor "
    "familia esposo esposa novio novia jefe noche dia dias nunca siempre ya".split()
)
_EN_WORDS = frozenset(
    "the and to of a i is in it you that my for on with was at be this have so but just not "
    "are do what can all he she they we want know like about will would your if or get out "
    "up from been am how him her them feel really anymore dont cant going think today "
    "tonight work home need help please thanks hi hello because why when who there here "
    "some one no one nobody anyone".split()
)
_ES_CHARS = frozenset("ñáíóúü¿¡")


def parts(text: str) -> tuple[list[str], str]:
    """(surface words for the language guess, normalized text for rules and model)."""
    words = surface(text)
    return words, fix_spelling(words)


def language(words: list[str], raw: str = "") -> str:
    """A light guess: "es" when Spanish carries a third or more of the message, else "en"."""
    spanish = sum(1 for w in words if w in _ES_WORDS)
    english = sum(1 for w in words if w in _EN_WORDS and w not in _ES_WORDS)
    spanish += sum(2 for ch in raw[:400] if ch.lower() in _ES_CHARS)
    if spanish == 0:
        return "en"
    return "es" if spanish * 2 >= english else "en"


def groups(words: list[str]) -> list[str]:
    """The context groups present among the normalized words."""
    present = set(words)
    return [name for name, members in GROUPS.items() if not present.isdisjoint(members)]


def counts(normalized: str, *, question: bool = False, extra: Iterable[str] = ()) -> Counter[str]:
    """Every feature of a whole message with its count (the training path).

    `extra` names further context groups that hold for the message (the
    phrase rule that fired, see detect.py).
    """
    words = normalized.split()
    found: Counter[str] = Counter()
    found.update("w " + w for w in words)
    found.update("b " + a + " " + b for a, b in zip(words, words[1:], strict=False))
    padded = f" {normalized} "
    for size in CHAR_SIZES:
        found.update("c " + padded[i : i + size] for i in range(len(padded) - size + 1))
    found.update("g " + g for g in groups(words))
    found["g " + length_group(len(words))] += 1
    if question:
        found["g question"] += 1
    found.update("g " + g for g in extra)
    return found


def length_group(word_count: int) -> str:
    """A group for the message's length: very short texts carry little evidence."""
    for limit in (1, 3, 6, 12, 24):
        if word_count <= limit:
            return f"words<={limit}"
    return "words>24"


def scaled(found: Counter[str]) -> dict[str, float]:
    """Counts scaled by 1/sqrt(the count of their kind): the values the model multiplies.

    Each kind (words, pairs, character n-grams, groups) is scaled on its own,
    so the many character n-grams do not drown the words.
    """
    totals: Counter[str] = Counter()
    for name, count in found.items():
        totals[name[0]] += count
    return {name: count / math.sqrt(totals[name[0]]) for name, count in found.items()}


@dataclass(frozen=True)
class Window:
    """A span of words of a long message, in normalized-text character offsets."""

    first_word: int
    last_word: int  # exclusive


def windows(word_count: int) -> list[Window]:
    """The word windows a message is scored over (one for a short message)."""
    if word_count <= WINDOW_WORDS:
        return [Window(0, word_count)]
    out = []
    start = 0
    while True:
        end = min(start + WINDOW_WORDS, word_count)
        out.append(Window(start, end))
        if end == word_count:
            return out
        start += WINDOW_STEP
