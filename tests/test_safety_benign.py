"""False alarms on ordinary texts, measured on a held-out set written blind.

`tests/data/benign_heldout.jsonl` holds 400 ordinary texts (see its
HOW_WRITTEN.md): a crisis reply and a supervisor alert to "my sister is visiting
tonight" cost trust on both sides. This test only measures; the set is never used
to choose anything. Run with -s for the table.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from peerwork.safety.detect import assess

HELDOUT = Path(__file__).parent / "data" / "benign_heldout.jsonl"
# The most this product accepts on ordinary texts, overall and in each language.
# Not yet the product this line should be: the shipped model alarmed on 16.8% when the set
# was frozen (2026-11-30). The ceiling keeps it from getting worse; 5% is the aim.
FALSE_ALARM_CEILING = 0.20


def test_ordinary_texts_rarely_raise_a_crisis_alarm():
    if not HELDOUT.exists():
        pytest.fail(f"{HELDOUT} is missing: the held-out set must be in place")
    rows = [json.loads(line) for line in HELDOUT.read_text("utf-8").splitlines() if line.strip()]
    assert len(rows) >= 400
    alarms, totals = Counter(), Counter()
    for row in rows:
        raised = assess(row["text"], {}).category is not None
        for key in ("all", row["language"], row["kind"]):
            totals[key] += 1
            alarms[key] += raised
    print()
    for key in sorted(totals, key=lambda k: (k != "all", k)):
        print(f"{key:>14}: {alarms[key]:3d} of {totals[key]:3d} ({alarms[key] / totals[key]:.1%})")
    for key in ("all", "en", "es"):
        rate = alarms[key] / totals[key]
        assert rate <= FALSE_ALARM_CEILING, f"{key}: {rate:.1%} of ordinary texts raised an alarm"
