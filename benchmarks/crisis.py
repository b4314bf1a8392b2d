"""How long does the webhook's crisis decision take, and what does the model cost?

The decision is `peerwork.safety.detect.assess(text, phrases)`: normalize,
match the phrase rules, score the model (window by window for long texts).
It runs inside the inbound webhook, so the budget is 5 ms at p99 for a
1,600-character text (the longest concatenated SMS).

    python benchmarks/crisis.py
    python benchmarks/crisis.py --runs 5000

Prints the model file's size and load time (in a fresh process, as a web
worker pays it once), then p50/p99/max decision times for short texts and
for 1,600-character texts, each text made unique so no cache helps.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from peerwork.safety import detect  # noqa: E402
from peerwork.safety import model as crisis_model  # noqa: E402

BUDGET_MS = 5.0
SHORT = [
    "hi, can I talk to someone about work stress?",
    "I want to kill myself",
    "ya no quiero vivir",
    "my husband hits me and I'm scared to go home",
    "our team did suicide prevention training today",
    "2",
    "I've been giving away my things, I won't need them",
    "mi jefe me grito otra vez, estoy cansada",
]
FILLER = (
    "Work has been a lot lately. The schedule changed again, my manager keeps adding "
    "shifts, the commute takes an hour each way and I barely see my kids. Honestly I "
    "just need someone to listen for a bit. Y la verdad no se que hacer con todo esto. "
)


def long_texts(count: int, rng: random.Random) -> list[str]:
    out = []
    for n in range(count):
        words = (FILLER * 8).split()
        rng.shuffle(words)
        if n % 4 == 0:  # a risky sentence somewhere in a quarter of them
            words.insert(rng.randrange(len(words)), "I have the pills ready tonight.")
        out.append((f"{n} " + " ".join(words))[:1600])
    return out


def load_time() -> float:
    code = (
        "import time; t = time.perf_counter(); from peerwork.safety import model; "
        "model.load(); print(time.perf_counter() - t)"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    return float(out.stdout)


def timings(texts: list[str], phrases) -> list[float]:
    out = []
    for text in texts:
        started = time.perf_counter()
        detect.assess(text, phrases)
        out.append((time.perf_counter() - started) * 1000)
    return sorted(out)


def report(name: str, ms: list[float]) -> float:
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"{name:<26} n={len(ms):>5}  p50 {p50:6.3f} ms  p99 {p99:6.3f} ms  max {ms[-1]:6.3f} ms")
    return p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(13)

    size = crisis_model.MODEL_PATH.stat().st_size
    model = crisis_model.load()
    weights = len(model.words) + len(model.bigrams) + len(model.chars) + len(model.groups)
    print(
        f"model file: {size:,} bytes, {weights:,} risky weights, {len(model.class_weights):,} "
        f"category rows; threshold {model.threshold}"
    )
    print(f"model load (fresh process, import + read): {load_time() * 1000:.1f} ms")

    phrases = {"workplace_threat": ["bring|brought a bat"]}
    detect.assess("warm up", phrases)
    short = [f"{rng.choice(SHORT)} {n}" for n in range(args.runs)]
    long = long_texts(max(200, args.runs // 4), rng)
    report("short texts", timings(short, phrases))
    p99 = report("1,600-character texts", timings(long, phrases))
    verdict = "within" if p99 <= BUDGET_MS else "OVER"
    print(f"p99 for 1,600 characters is {verdict} the {BUDGET_MS:.0f} ms budget")


if __name__ == "__main__":
    main()
