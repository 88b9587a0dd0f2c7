"""``python -m bench.hot_site``: what hot-list pages add to a site build.

An archive of ``--lists`` hot lists × 50 items refreshed every 10 minutes for ``--days``
(bench.hot_history's model) is built into a site with every list marked ``hotlist: true``,
then: a no-op build (nothing refreshed), a build after one more refresh of every list (ranks
move, no item changes: the hot step's incremental case), and the same no-op build with the
lists not marked hot (the site section's no-op, for the ratio). Medians of ``--runs``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.hot_history import START, simulate
from hotpress._hot import RankEntry
from hotpress._site import build_site
from hotpress._storage import SQLiteStorage
from hotpress.config import parse_settings


def settings_text(lists: int, hot: bool) -> str:
    rows = "".join(
        f"  - category: [榜单, 榜{n}]\n    url: http://127.0.0.1/{n}\n"
        + ("    hotlist: true\n" if hot else "")
        for n in range(lists)
    )
    return f"database: hot.db\noutput:\n  site: public\nsources:\n{rows}"


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.hot_site")
    p.add_argument("--lists", type=int, default=20)
    p.add_argument("--days", type=float, default=3)
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hot-site-"))
    r = simulate(folder / "hot.db", lists=a.lists, items=50, days=a.days, every=10, seed=15)
    (folder / "hotpress.yml").write_text(settings_text(a.lists, True), encoding="utf-8")
    hot = parse_settings(settings_text(a.lists, True), folder / "hotpress.yml")
    plain = parse_settings(settings_text(a.lists, False), folder / "hotpress.yml")

    def timed(settings: object) -> tuple[float, int]:
        with SQLiteStorage(folder / "hot.db") as store:
            t0 = time.perf_counter()
            report = build_site(settings, store)  # type: ignore[arg-type]
            elapsed = time.perf_counter() - t0
        assert report.error is None, report.error
        return elapsed, report.written

    full, written = timed(hot)
    print(f"{r['items']:,} items, {a.lists} hot lists: full build {full:.1f} s, {written:,} files")
    noop = [timed(hot) for _ in range(a.runs)]
    step = START + timedelta(days=a.days)
    moved = []
    for run in range(a.runs):
        with SQLiteStorage(folder / "hot.db") as store:
            now = step + timedelta(minutes=10 * (run + 1))
            for n in range(a.lists):
                key = f"http://127.0.0.1/{n}"
                order = [e.identity for e in store.hot_list(key)]
                order.insert(0, order.pop(len(order) // 2))  # one item climbs to the top
                ranks = [RankEntry(i, k + 1) for k, i in enumerate(order)]
                store.record_ranks(key, ranks, now=now)
        moved.append(timed(hot))
    timed(plain)  # the site without hot lists, built once
    plain_noop = [timed(plain) for _ in range(a.runs)]

    def med(samples: list[tuple[float, int]]) -> str:
        return f"{statistics.median(s[0] for s in samples) * 1000:.0f} ms"

    print(f"no-op build, hot lists: {med(noop)} ({noop[-1][1]} files written)")
    print(f"no-op build, same lists not hot: {med(plain_noop)}")
    print(f"one refresh of every list (ranks moved): {med(moved)} ({moved[-1][1]} files written)")


if __name__ == "__main__":
    main()
