"""Crisis detection on an independent held-out set it was never trained or tuned on.

`tests/data/crisis_heldout.jsonl` is written blind by someone else: one JSON
object a line with text, risky (bool), category (str or null), language
("en", "es" or "mixed") and style ("plain", "indirect", "safe_context" or
"ordinary"). A missing file fails this test: the figures are the point.

Run with -s to see the full table.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from peerwork.safety.detect import assess

HELDOUT = Path(__file__).parent / "data" / "crisis_heldout.jsonl"
CATEGORIES = ("suicide_self_harm", "harm_to_others", "abuse_danger")
RECALL_FLOOR = 0.95
SLICE_RECALL_FLOOR = 0.90  # each category, and Spanish + mixed
# The floors. This set was looked at twice, as figures only (never its
# texts): after the first model (precision 0.787, below the floor) and after
# retraining with 1,052 more training texts written blind by another helper
# (recall 0.961, precision 0.868). It must never be used to choose anything.
PRECISION_FLOOR = 0.80


def load(path: Path) -> list[dict]:
    """The held-out lines (fails loudly when the file is not there)."""
    if not path.exists():
        pytest.fail(f"{path} is missing: the held-out set must be in place for this test")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        missing = {"text", "risky", "category", "language", "style"} - set(row)
        assert not missing, f"line {number} lacks {sorted(missing)}"
        rows.append(row)
    assert rows, f"{path} has no lines"
    return rows


def figures(rows: list[dict], flagged: list[bool]) -> dict[str, dict]:
    """Per slice: n, TP, FN, FP, TN, recall, precision (risky is positive).

    A category's recall counts its risky lines flagged as a crisis (any
    category); its precision counts the false alarms of the whole set.
    """

    def count(chosen: list[int]) -> dict:
        tp = sum(1 for i in chosen if rows[i]["risky"] and flagged[i])
        fn = sum(1 for i in chosen if rows[i]["risky"] and not flagged[i])
        fp = sum(1 for i in chosen if not rows[i]["risky"] and flagged[i])
        tn = len(chosen) - tp - fn - fp
        return {
            "n": len(chosen),
            "tp": tp,
            "fn": fn,
            "fp": fp,
            "tn": tn,
            "recall": tp / (tp + fn) if tp + fn else None,
            "precision": tp / (tp + fp) if tp + fp else None,
        }

    every = range(len(rows))
    safe = [i for i in every if not rows[i]["risky"]]
    out = {"all": count(list(every))}
    for category in CATEGORIES:
        out[category] = count([i for i in every if rows[i]["category"] == category] + safe)
    out["en"] = count([i for i in every if rows[i]["language"] == "en"])
    out["es+mixed"] = count([i for i in every if rows[i]["language"] in ("es", "mixed")])
    for style in ("plain", "indirect", "safe_context", "ordinary"):
        out[style] = count([i for i in every if rows[i]["style"] == style])
    return out


def table(result: dict[str, dict]) -> str:
    """The figures as a fixed-width table."""
    lines = [f"{'slice':<18}{'n':>6}{'TP':>6}{'FN':>6}{'FP':>6}{'TN':>6}{'recall':>9}{'prec':>8}"]
    for name, f in result.items():
        recall = "-" if f["recall"] is None else f"{f['recall']:.3f}"
        precision = "-" if f["precision"] is None else f"{f['precision']:.3f}"
        lines.append(
            f"{name:<18}{f['n']:>6}{f['tp']:>6}{f['fn']:>6}{f['fp']:>6}{f['tn']:>6}"
            f"{recall:>9}{precision:>8}"
        )
    return "\n".join(lines)


def floors_missed(result: dict[str, dict]) -> list[str]:
    """Each floor the figures fall below, as a sentence (empty: all met)."""
    missed = []

    def check(name, key, floor):
        value = result[name][key]
        if value is not None and value < floor:
            missed.append(f"{name} {key} {value:.3f} < {floor}")

    check("all", "recall", RECALL_FLOOR)
    for name in (*CATEGORIES, "es+mixed"):
        check(name, "recall", SLICE_RECALL_FLOOR)
    check("all", "precision", PRECISION_FLOOR)
    return missed


def evaluate(path: Path) -> dict[str, dict]:
    rows = load(path)
    flagged = [assess(row["text"]).is_crisis for row in rows]
    return figures(rows, flagged)


def test_heldout_recall_and_precision_meet_the_floors():
    result = evaluate(HELDOUT)
    print("\ncrisis held-out set (tests/data/crisis_heldout.jsonl):\n" + table(result))
    assert floors_missed(result) == []


# -- the measuring itself, on a small file of our own (never the held-out one) ---


def test_the_measure_counts_slices_and_names_the_floors_missed(tmp_path):
    lines = [
        ("I want to kill myself", True, "suicide_self_harm", "en", "plain"),
        ("quiero morirme", True, "suicide_self_harm", "es", "plain"),
        ("my husband hits me", True, "abuse_danger", "en", "plain"),
        ("can we talk about my schedule", False, None, "en", "ordinary"),
        ("hola, necesito hablar de mi trabajo", False, None, "es", "ordinary"),
    ]
    fake = tmp_path / "heldout.jsonl"
    fake.write_text(
        "\n".join(
            json.dumps(
                {"text": t, "risky": r, "category": c, "language": lang, "style": s},
                ensure_ascii=False,
            )
            for t, r, c, lang, s in lines
        ),
        encoding="utf-8",
    )
    result = evaluate(fake)
    assert result["all"]["n"] == 5
    assert result["es+mixed"]["n"] == 2
    assert result["abuse_danger"]["n"] == 3  # its risky line plus every safe line
    assert result["harm_to_others"]["recall"] is None  # no such line: no floor to meet
    assert result["all"]["tp"] + result["all"]["fn"] == 3
    assert "recall" in table(result).splitlines()[0]

    flagged_nothing = figures(load(fake), [False] * 5)
    assert flagged_nothing["all"]["recall"] == 0.0
    assert "all recall 0.000 < 0.95" in floors_missed(flagged_nothing)
    assert "es+mixed recall 0.000 < 0.9" in floors_missed(flagged_nothing)
    flagged_everything = figures(load(fake), [True] * 5)
    assert "all precision 0.600 < 0.8" in floors_missed(flagged_everything)


def test_a_missing_heldout_file_fails_rather_than_skips(tmp_path):
    with pytest.raises(pytest.fail.Exception):
        load(tmp_path / "nowhere.jsonl")
