"""``python -m bench.story_similarity``: precision and recall of "same story" measures on
tests/data/story_pairs.tsv (built by ``python -m bench.story_events``).

For each measure: the best F1 over thresholds on the whole set (optimistic: tuned on the
data it is scored on), a two-fold figure (threshold tuned on one half, scored on the other,
both ways, added up), and the figures at hotpress's default threshold.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from pathlib import Path

from hotpress._hot.similar import DEFAULT_THRESHOLD, shingles, similarity

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "story_pairs.tsv"
DEFAULT = DEFAULT_THRESHOLD


def load() -> list[tuple[bool, str, str]]:
    with DATA.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [(r["same"] == "1", r["a"], r["b"]) for r in rows]


def counts(scored: list[tuple[bool, float]], threshold: float) -> tuple[int, int, int]:
    tp = sum(1 for same, s in scored if same and s >= threshold)
    fp = sum(1 for same, s in scored if not same and s >= threshold)
    fn = sum(1 for same, s in scored if same and s < threshold)
    return tp, fp, fn


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def best(scored: list[tuple[bool, float]]) -> float:
    grid = [i / 100 for i in range(1, 100)]
    return max(grid, key=lambda t: (prf(*counts(scored, t))[2], -abs(t - DEFAULT)))


def dice(a: str, b: str) -> float:
    x, y = shingles(a), shingles(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


def overlap(a: str, b: str) -> float:
    x, y = shingles(a), shingles(b)
    return len(x & y) / min(len(x), len(y)) if len(x & y) >= 2 else 0.0


def raw_overlap(a: str, b: str) -> float:
    """The overlap coefficient without the template words removed."""
    x = {a[i : i + 2] for i in range(len(a) - 1)}
    y = {b[i : i + 2] for i in range(len(b) - 1)}
    return len(x & y) / min(len(x), len(y)) if x and y else 0.0


def measures() -> dict[str, Callable[[str, str], float]]:
    found: dict[str, Callable[[str, str], float]] = {
        "hotpress: √(bigram overlap × Dice)": similarity,
        "bigram overlap coefficient": overlap,
        "bigram overlap, templates kept": raw_overlap,
        "bigram Dice": dice,
    }
    try:
        from rapidfuzz import fuzz
    except ImportError:
        return found
    found["rapidfuzz ratio"] = lambda a, b: fuzz.ratio(a, b) / 100
    found["rapidfuzz partial_ratio"] = lambda a, b: fuzz.partial_ratio(a, b) / 100
    found["rapidfuzz token_set_ratio"] = lambda a, b: fuzz.token_set_ratio(a, b) / 100
    return found


def main() -> None:
    pairs = load()
    print(
        f"{len(pairs)} pairs: {sum(p[0] for p in pairs)} same story, "
        f"{sum(not p[0] for p in pairs)} different stories of one topic"
    )
    print(
        "| measure | best threshold | P / R / F1 there | two-fold P / R / F1 "
        f"| at {DEFAULT}: P / R | µs per pair |"
    )
    print("|---|---|---|---|---|---|")
    for name, fn in measures().items():
        started = time.perf_counter()
        for _ in range(20):
            scored = [(same, fn(a, b)) for same, a, b in pairs]
        per_pair = (time.perf_counter() - started) / (20 * len(pairs)) * 1e6
        t = best(scored)
        p, r, f = prf(*counts(scored, t))
        halves = scored[0::2], scored[1::2]
        total = [0, 0, 0]
        for tune, test in (halves, halves[::-1]):
            for i, c in enumerate(counts(test, best(tune))):
                total[i] += c
        cp, cr, cf = prf(*total)
        dp, dr, _ = prf(*counts(scored, DEFAULT))
        print(
            f"| {name} | {t:.2f} | {p:.2f} / {r:.2f} / {f:.2f} | {cp:.2f} / {cr:.2f} / "
            f"{cf:.2f} | {dp:.2f} / {dr:.2f} | {per_pair:.1f} |"
        )


if __name__ == "__main__":
    main()
