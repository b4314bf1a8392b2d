"""Which language a texter's first message is in: a small, explainable score.

Each word found in one language's list of common words (and not in the
other's) scores a point for that language; each character only Spanish
uses here (ñ á í ó ú ¿ ¡) scores a point for Spanish. The message is Spanish
when Spanish scores more than English; a tie, or nothing recognised ("ok",
"2", a name), stays English, the default, because answering an English
speaker in Spanish costs more than the reverse (the menu offers ESPAÑOL in
every language the line offers, so a Spanish speaker is one word away).

Tuned on `tests/data/language_dev.jsonl`; `tests/data/language_heldout.jsonl`
was written before any tuning and is only ever measured
(`tests/test_texter_language.py`). Words are compared without accents so
"está" and "esta" count alike.

May import: peerwork.languages.
"""

from __future__ import annotations

import re
import unicodedata

from peerwork.languages import DEFAULT

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_SPANISH_MARKS = frozenset("ñáíóú¿¡")


def _plain(word: str) -> str:
    """Lower case, accents removed (ñ kept: "año" is not "ano")."""
    out = []
    for ch in word.lower():
        if ch == "ñ":
            out.append(ch)
            continue
        out.append(
            "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        )
    return "".join(out)


# Words common in short Spanish texts to a support line. Left out on purpose:
# words that are also English ("no", "me", "a", "he", "son", "sin", "solo", "yo").
_SPANISH = frozenset(
    """
    de la que el en y los las del un una unos unas por con para es al lo como mas pero su
    sus le les ya fue este esta estos estas estoy estamos estan ser soy eres son cuando muy
    sobre tiene tengo tienes tambien hay donde quien quienes todo todos toda nos ni ese eso
    esto mis otro otra mucho mucha nada algo tu te ti quiero quisiera puedo puede hoy manana
    vida nadie mejor ahora bien gracias hola buenas buenos dia dias noche tardes trabajo
    casa miedo sola aqui asi hacer voy vas va pues bueno creo siento necesito ayuda ayudame
    favor familia esposo esposa jefe jefa nunca siempre hablar alguien cansado cansada
    estresado estresada agotada ansiedad ansioso dinero problema problemas se cómo porque
    hija mama papa abuela perdi pasado mes companero companera molesta grita preocupado
    preocupada enferma espanol
    """.split()
)
_ENGLISH = frozenset(
    """
    i i'm im i've ive you your the to and is it it's its my for on with at this that have
    need want can can't cant dont do does what who there here anyone anybody someone
    somebody talk help please thanks thank hi hello hey are was am be been just so really
    feel feeling today work stress boss of in not all about know like will would if or get
    out up from how him her them they we going think tonight home because why when some one
    nobody anymore manager coworker husband dad scared sleep too much lost last month alone
    lately stuff keeps taking credit what's
    """.split()
)


def scores(text: str) -> dict[str, int]:
    """The points each language scores in `text` (see the module docstring)."""
    words = [_plain(w) for w in _WORD.findall(text or "")]
    spanish = sum(1 for w in words if w in _SPANISH and w not in _ENGLISH)
    english = sum(1 for w in words if w in _ENGLISH and w not in _SPANISH)
    spanish += sum(1 for ch in (text or "").lower()[:400] if ch in _SPANISH_MARKS)
    return {"en": english, "es": spanish}


def detect(text: str) -> str:
    """The language code of a first message: "es" when Spanish outscores English, else English."""
    points = scores(text)
    return "es" if points["es"] > points["en"] else DEFAULT
