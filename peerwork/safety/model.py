"""The trained crisis model, scored in pure Python inside the webhook.

`peerwork safety train` (peerwork.safety.train) fits two logistic regressions
on the features of `features.py` and writes `model.json.gz` beside this file:
a risky/not head (a probability, compared with the shipped threshold) and a
category head (which of the three crisis categories). Only nonzero weights
are kept, keyed by the feature itself, so scoring is a dictionary lookup and
a sum per feature and no numpy is imported at run time.

A message longer than `features.WINDOW_WORDS` (20) words is scored over
overlapping windows of that many words and keeps its riskiest window: one
risky sentence in a long text is not diluted by the rest. Training texts are
about a window long, so a window is scored exactly as a training text was.

The file is read once per process (`load()` is cached) and never downloaded.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from peerwork.safety.features import CHAR_SIZES, counts, groups, length_group, scaled, windows

MODEL_PATH = Path(__file__).with_name("model.json.gz")
FORMAT = 1


@dataclass(frozen=True)
class Score:
    """The model's reading of one message."""

    risk: float  # probability of the riskiest window
    window: str  # the normalized text of that window (kept in memory only)


class CrisisModel:
    """A risky/not head, a category head, and the decision thresholds."""

    def __init__(self, data: dict) -> None:
        if data.get("format") != FORMAT:
            raise ValueError(f"crisis model format {data.get('format')!r}, expected {FORMAT}")
        self.threshold: float = data["threshold"]
        risky = data["risky"]
        self.bias: float = risky["bias"]
        weights = risky["weights"]
        self.words: dict[str, float] = weights.get("w", {})
        self.bigrams: dict[str, float] = weights.get("b", {})
        self.chars: dict[str, float] = weights.get("c", {})
        self.groups: dict[str, float] = weights.get("g", {})
        category = data["category"]
        self.classes: list[str] = category["classes"]
        self.class_bias: list[float] = category["bias"]
        self.class_weights: dict[str, list[float]] = category["weights"]
        self.trained_on: dict = data.get("trained_on", {})

    # -- the risky head ----------------------------------------------------

    def risk_of(self, found: dict[str, float]) -> float:
        """Probability for scaled features of one text (the training path)."""
        total = self.bias
        tables = {"w": self.words, "b": self.bigrams, "c": self.chars, "g": self.groups}
        for name, value in found.items():
            kind, _, feature = name.partition(" ")
            total += tables[kind].get(feature, 0.0) * value
        return _sigmoid(total)

    def score(self, normalized: str, *, question: bool = False, extra: tuple = ()) -> Score:
        """The riskiest window of a normalized message (fast path)."""
        words = normalized.split()
        spans = windows(len(words))
        if len(spans) == 1:
            found = scaled(counts(normalized, question=question, extra=extra))
            return Score(self.risk_of(found), normalized)
        return self._windowed(normalized, words, spans, [*extra, "question"] if question else extra)

    def _windowed(self, normalized, words, spans, extra) -> Score:
        # Per-position sums, then each window is a difference of prefix sums.
        padded = f" {normalized} "
        starts = []
        offset = 0
        for word in words:
            starts.append(offset)
            offset += len(word) + 1
        get = self.chars.get
        char_prefix = {}
        for size in CHAR_SIZES:
            weights = [get(padded[i : i + size], 0.0) for i in range(len(padded) - size + 1)]
            char_prefix[size] = [0.0, *accumulate(weights)]
        word_prefix = [0.0, *accumulate(self.words.get(w, 0.0) for w in words)]
        bigram_get = self.bigrams.get
        bigram_prefix = [
            0.0,
            *accumulate(
                bigram_get(a + " " + b, 0.0) for a, b in zip(words, words[1:], strict=False)
            ),
        ]
        best, best_span = -math.inf, spans[0]
        for span in spans:
            first, last = span.first_word, span.last_word
            # The window's padded text is padded[starts[first] : end + 2].
            lo = starts[first]
            end = starts[last - 1] + len(words[last - 1])
            length = end + 2 - lo
            logit = self.bias
            logit += (word_prefix[last] - word_prefix[first]) / math.sqrt(last - first)
            if last - first > 1:
                pairs = bigram_prefix[last - 1] - bigram_prefix[first]
                logit += pairs / math.sqrt(last - first - 1)
            chars, n = 0.0, 0
            for size in CHAR_SIZES:
                count = length - size + 1
                if count > 0:
                    chars += char_prefix[size][lo + count] - char_prefix[size][lo]
                    n += count
            logit += chars / math.sqrt(n)
            present = [*groups(words[first:last]), length_group(last - first), *extra]
            if present:
                logit += sum(self.groups.get(g, 0.0) for g in present) / math.sqrt(len(present))
            if logit > best:
                best, best_span = logit, span
        window = " ".join(words[best_span.first_word : best_span.last_word])
        return Score(_sigmoid(best), window)

    # -- the category head ---------------------------------------------------

    def category(self, window: str, *, question: bool = False, extra: tuple = ()) -> str:
        """The most likely crisis category of a (risky) window."""
        totals = list(self.class_bias)
        for name, value in scaled(counts(window, question=question, extra=extra)).items():
            row = self.class_weights.get(name)
            if row is not None:
                for index, weight in enumerate(row):
                    totals[index] += weight * value
        return self.classes[max(range(len(totals)), key=totals.__getitem__)]


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def read(path: Path) -> CrisisModel:
    """A model file as written by `peerwork safety train`."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return CrisisModel(json.load(handle))


@functools.lru_cache(maxsize=1)
def load() -> CrisisModel:
    """The shipped model, read once per process."""
    return read(MODEL_PATH)
