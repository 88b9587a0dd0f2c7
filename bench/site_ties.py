"""Site build with items sharing one date vs the same items with distinct dates.

RSSHub's ``Invalid Date`` items all take their first-seen time, so one source can hold
thousands of items with one date. The corpus archive of a size is reshaped (untimed) into
``SOURCES`` sources, every item either on one date or each on its own, and built in full
(default site), no-op and +50 items like the other rows. The build with one date must stay
within ``GOAL`` times the build with distinct dates: it was quadratic in the tie's length
(neighbour lookups scanned the tie).
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from bench.archive import archive, copy_of, scratch
from bench.common import Section, TreeMemory, run_worker, target_row

SOURCES = 4
GOAL = 1.5
START = 1_709_337_600  # 2024-03-02 00:00 UTC
VARIANTS = {"distinct": "hotpress, distinct dates", "tied": "hotpress, one date for all"}


def reshape(path: Path, dates: str) -> None:
    """Put every item in one of ``SOURCES`` sources; ``dates``: ``tied`` gives them all one
    first-seen date (no published date), ``distinct`` one minute apart each."""
    db = sqlite3.connect(path)
    with db:
        first = db.execute("SELECT MIN(id) FROM sources").fetchone()[0]
        db.execute("UPDATE items SET source_id = ? + id % ?", (first, SOURCES))
        db.execute("DELETE FROM fetch_log WHERE source_id >= ?", (first + SOURCES,))
        db.execute("DELETE FROM sources WHERE id >= ?", (first + SOURCES,))
        if dates == "tied":
            db.execute("UPDATE items SET date = ?, first_seen = ?, published = NULL", (START,) * 2)
        else:
            db.execute("UPDATE items SET date = ? + id * 60, published = ? + id * 60", (START,) * 2)
    db.close()


def _cpu() -> float:
    """CPU seconds of this process and of the children it has waited for (the build's worker
    processes: the pool is shut down, so waited for, before build_site returns)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def tied_site(db: str, dates: str) -> dict[str, Any]:
    """Full build, no-op rebuild and +50 items of the default site on the reshaped archive."""
    from bench.site import STEPS, _add_fifty, _settings
    from hotpress._site.build import build_site
    from hotpress._storage import SQLiteStorage

    out: dict[str, Any] = {}
    with scratch() as tmp_name, TreeMemory() as memory:
        tmp = Path(tmp_name)
        path = copy_of(db, tmp)
        reshape(path, dates)
        storage = SQLiteStorage(path)
        settings = _settings(tmp, ())
        for step in STEPS:
            if step == "add50":
                _add_fifty(storage)
            wall, cpu = time.perf_counter(), _cpu()
            report = build_site(settings, storage)
            out[step] = time.perf_counter() - wall
            out[f"{step}_cpu"] = _cpu() - cpu
            if report.error:
                raise RuntimeError(f"build_site failed: {report.error}")
        out["files"] = sum(len(f) for _, _, f in os.walk(settings.site_dir))
        storage.close()
    out["tree_mb"] = memory.peak_mb
    out["seconds"] = out["full"]
    return out


def run(sec: Section, sizes: list[int], runs: int, big_runs: int | None) -> None:
    """Add the rows and the target of each size to the site section."""
    from bench.site import STEPS, _cell, _median

    if not sizes:
        return
    sec.setup.append(
        f"One date vs distinct dates: the corpus archive of each size reshaped into {SOURCES} "
        "sources (untimed), every item on one first-seen date (RSSHub's `Invalid Date` items) "
        "or each a minute apart; default site; the one-date build is judged against the "
        f"distinct-date build of the same items (≤ {GOAL}×), by wall time and by the CPU "
        "time of the build's process tree (less swayed by other jobs on a shared machine)."
    )
    for size in sizes:
        count = runs if size < 100_000 or big_runs is None else big_runs
        db = str(archive(size))
        full: dict[str, float] = {}
        cpu: dict[str, float] = {}
        for dates, name in VARIANTS.items():
            got: dict[str, list[float | None]] = {s: [] for s in STEPS}
            peak = 0.0
            for _ in range(count):
                r = run_worker("bench.site_ties:tied_site", db=db, dates=dates)
                if "error" in r:
                    sec.notes.append(f"{name} at {size:,}: {r['error']}")
                    break
                for s in STEPS:
                    got[s].append(r[s])
                got.setdefault("cpu", []).append(r["full_cpu"])
                peak = max(peak, r["rss_mb"], r.get("tree_mb", 0.0))
            full[dates] = _median(got["full"])
            cpu[dates] = _median(got.get("cpu", []))
            sec.rows.append(
                [
                    f"{size:,}",
                    f"{name} ({SOURCES} sources)",
                    *(_cell(got[s], 0) for s in STEPS),
                    f"{peak:,.0f} MB" if peak else "n/a",
                ]
            )
            print(f"bench: site {dates} {size:,}: {sec.rows[-1][2:]}", flush=True)
        for what, times in (("", full), (" (CPU time of the process tree)", cpu)):
            x = times["tied"] / times["distinct"]
            measured = f"{x:.2f}× ({times['tied']:.1f} s vs {times['distinct']:.1f} s)"
            sec.targets.append(
                target_row(
                    f"full build at {size:,}, one date vs distinct dates{what}",
                    f"≤ {GOAL}×",
                    measured,
                    x,
                    GOAL,
                    higher_is_better=False,
                )
            )
