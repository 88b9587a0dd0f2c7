"""Measurement plumbing: one subprocess per measurement, medians with min–max, ratios.

Every measurement runs in a fresh interpreter (``python -m bench._worker``) so that its peak
memory (``ru_maxrss``) is its own and one run's caches do not flatter the next.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("HOTPRESS_BENCH_DIR", "/tmp/hotpress-bench"))


@dataclass(frozen=True)
class Sample:
    """Several runs of one measurement: seconds (or any value) and peak memory in MB."""

    values: tuple[float, ...]
    rss_mb: tuple[float, ...] = ()
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def low(self) -> float:
        return min(self.values) if self.values else float("nan")

    @property
    def high(self) -> float:
        return max(self.values) if self.values else float("nan")

    @property
    def peak_mb(self) -> float:
        return max(self.rss_mb) if self.rss_mb else float("nan")

    @property
    def ok(self) -> bool:
        return bool(self.values)


@dataclass
class Section:
    """One benchmark's results as the report shows them."""

    title: str
    setup: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    targets: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def run_worker(target: str, timeout: float | None = None, **kwargs: Any) -> dict[str, Any]:
    """Run ``module:function(**kwargs)`` in a fresh interpreter; its dict result plus
    ``rss_mb`` (peak resident memory of it and of the children it waited for)."""
    cmd = [sys.executable, "-m", "bench._worker", target, json.dumps(kwargs)]
    try:
        done = subprocess.run(
            cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {timeout:.0f} s", "timeout": True}
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        return {"error": " | ".join(tail) or f"exit {done.returncode}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def repeat(
    target: str,
    runs: int,
    key: str = "seconds",
    timeout: float | None = None,
    **kwargs: Any,
) -> tuple[Sample, list[dict[str, Any]]]:
    """``runs`` fresh-process runs of a worker; the sample of ``key`` and the raw results."""
    results, values, rss = [], [], []
    note = ""
    for _ in range(runs):
        result = run_worker(target, timeout=timeout, **kwargs)
        results.append(result)
        if "error" in result:
            note = result["error"]
            break
        values.append(float(result[key]))
        rss.append(float(result["rss_mb"]))
    return Sample(tuple(values), tuple(rss), note), results


def interleaved(
    measurements: Sequence[tuple[str, dict[str, Any]]], runs: int, key: str = "seconds"
) -> list[tuple[Sample, list[dict[str, Any]]]]:
    """``runs`` rounds of fresh-process runs, one of each ``(target, kwargs)`` per round in
    turn (A B A B …, not A A B B): a ratio between them then compares runs made under the
    same conditions, where this machine's speed drifts by tens of percent over minutes."""
    results: list[list[dict[str, Any]]] = [[] for _ in measurements]
    failed = [False] * len(measurements)
    for _ in range(runs):
        for n, (target, kwargs) in enumerate(measurements):
            if not failed[n]:
                results[n].append(run_worker(target, **kwargs))
                failed[n] = "error" in results[n][-1]
    samples = []
    for raw in results:
        ok = [r for r in raw if "error" not in r]
        note = next((r["error"] for r in raw if "error" in r), "")
        values = tuple(float(r[key]) for r in ok)
        samples.append((Sample(values, tuple(float(r["rss_mb"]) for r in ok), note), raw))
    return samples


@contextmanager
def stopwatch() -> Iterator[Callable[[], tuple[float, float]]]:
    """Wall and process-CPU seconds since entering (call the yielded function to read)."""
    wall, cpu = time.perf_counter(), time.process_time()
    yield lambda: (time.perf_counter() - wall, time.process_time() - cpu)


def fmt_s(sample: Sample) -> str:
    if not sample.ok:
        return sample.note or "n/a"
    if sample.median < 1:
        return f"{sample.median * 1000:.0f} ms ({sample.low * 1000:.0f}–{sample.high * 1000:.0f})"
    return f"{sample.median:.2f} s ({sample.low:.2f}–{sample.high:.2f})"


def fmt_rate(sample: Sample, count: int, unit: str = "items/s") -> str:
    if not sample.ok:
        return "n/a"
    rate = count / sample.median
    return f"{rate:,.0f} {unit} ({count / sample.high:,.0f}–{count / sample.low:,.0f})"


def fmt_mb(sample: Sample) -> str:
    return f"{sample.peak_mb:,.0f} MB" if sample.rss_mb else "n/a"


def ratio(reference: Sample, ours: Sample) -> float:
    """How many times faster ours is than the reference (medians of the same run)."""
    if not (reference.ok and ours.ok) or ours.median == 0:
        return float("nan")
    return reference.median / ours.median


def verdict(value: float, target: float, *, higher_is_better: bool = True) -> str:
    """``pass``/``miss`` with the margin, e.g. ``miss (0.62× the target)``."""
    if value != value:  # NaN: not measured
        return "not measured"
    good = value >= target if higher_is_better else value <= target
    share = value / target if target else float("inf")
    return f"{'pass' if good else 'miss'} ({share:.2f}× the target)"


def target_row(
    name: str, target: str, measured: str, value: float, goal: float, **kw: Any
) -> list[str]:
    return [name, target, measured, verdict(value, goal, **kw)]


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


class TreeMemory:
    """Peak resident memory of this process and all its descendants together, sampled every
    20 ms from /proc by a process of its own (``bench/treewatch.py``): ``ru_maxrss`` gives one
    process only, the site build runs worker processes beside the main one, and a sampler
    thread in this process would take its CPU (and GIL) from what is measured."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> TreeMemory:
        self._proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("treewatch.py")), str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        if self._proc.stdout.readline().strip() != "ready":  # sampling before the clock starts
            raise RuntimeError("bench/treewatch.py did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._proc is not None
        out, _ = self._proc.communicate(timeout=30)
        self.peak_mb = int(out.split()[-1]) / 1024
