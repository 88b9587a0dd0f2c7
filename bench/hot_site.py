"""``python -m bench.hot_site``: what hot-list pages add to a site build.

An archive of ``--lists`` hot lists × 50 items refreshed every 10 minutes for ``--days``
(bench.hot_history's model) is built into a site with every list marked ``hotlist: true``,
then, each timed (medians of ``--runs``):

- a no-op build (nothing refreshed);
- a build after one more refresh of every list that leaves every item where it was
  ("same ranks": hours on the list grow, nothing moves);
- a build after a refresh where two neighbours trade places on every list ("one swap");
- a build after a refresh where the middle item climbs to the top of every list, moving the
  25 above it down one place ("climb": half of each list changes rank);
- the same no-op build with the lists not marked hot (the site section's no-op, for the
  ratio).

``--archive N`` adds the site section's corpus archive of N items (``bench.archive``, the
same 100,000-item archive as bench.site) under the hot lists, and one more step: +50 items
in a new source together with a "climb" refresh of every list, the site section's "+50
items" with hot lists.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.hot_history import START, simulate
from hotpress._hot import RankEntry
from hotpress._site import build_site
from hotpress._storage import SQLiteStorage
from hotpress.config import parse_settings

Move = Callable[[list[str]], list[str]]


def same(order: list[str]) -> list[str]:
    return order


def swap(order: list[str]) -> list[str]:
    middle = len(order) // 2
    order[middle - 1], order[middle] = order[middle], order[middle - 1]
    return order


def climb(order: list[str]) -> list[str]:
    order.insert(0, order.pop(len(order) // 2))
    return order


def settings_text(lists: int, hot: bool) -> str:
    rows = "".join(
        f"  - category: [榜单, 榜{n}]\n    url: http://127.0.0.1/{n}\n"
        + ("    hotlist: true\n" if hot else "")
        for n in range(lists)
    )
    return f"database: hot.db\noutput:\n  site: public\nsources:\n{rows}"


def refresh(store: SQLiteStorage, lists: int, now: datetime, move: Move) -> None:
    for n in range(lists):
        key = f"http://127.0.0.1/{n}"
        order = move([e.identity for e in store.hot_list(key)])
        store.record_ranks(key, [RankEntry(i, k + 1) for k, i in enumerate(order)], now=now)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.hot_site")
    p.add_argument("--lists", type=int, default=20)
    p.add_argument("--days", type=float, default=3)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--archive", type=int, default=0, help="corpus items under the hot lists")
    a = p.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hot-site-"))
    if a.archive:
        from bench.archive import archive

        shutil.copyfile(archive(a.archive), folder / "hot.db")
    r = simulate(folder / "hot.db", lists=a.lists, items=50, days=a.days, every=10, seed=15)
    (folder / "hotpress.yml").write_text(settings_text(a.lists, True), encoding="utf-8")
    hot = parse_settings(settings_text(a.lists, True), folder / "hotpress.yml")
    plain = parse_settings(settings_text(a.lists, False), folder / "hotpress.yml")

    def timed(settings: object, before: Callable[[SQLiteStorage], Any] | None = None) -> Any:
        with SQLiteStorage(folder / "hot.db") as store:
            if before is not None:
                before(store)
            t0 = time.perf_counter()
            report = build_site(settings, store)  # type: ignore[arg-type]
            elapsed = time.perf_counter() - t0
        assert report.error is None, report.error
        return elapsed, report.written

    full, written = timed(hot)
    total = r["items"] + a.archive
    print(f"{total:,} items, {a.lists} hot lists: full build {full:.1f} s, {written:,} files")
    noop = [timed(hot) for _ in range(a.runs)]
    clock = [START + timedelta(days=a.days)]

    def step(move: Move) -> Callable[[SQLiteStorage], None]:
        def run(store: SQLiteStorage) -> None:
            clock[0] += timedelta(minutes=10)
            refresh(store, a.lists, clock[0], move)

        return run

    moved = {
        name: [timed(hot, step(move)) for _ in range(a.runs)]
        for name, move in (("same ranks", same), ("one swap", swap), ("climb", climb))
    }
    if a.archive:
        from bench.site import _add_fifty

        def fifty(store: SQLiteStorage) -> None:
            _add_fifty(store)
            step(climb)(store)

        moved["+50 items and a climb"] = [timed(hot, fifty)]  # once: the source is new once
    timed(plain)  # the site without hot lists, built once
    plain_noop = [timed(plain) for _ in range(a.runs)]

    def med(samples: list[tuple[float, int]]) -> str:
        return f"{statistics.median(s[0] for s in samples) * 1000:.0f} ms"

    print(f"no-op build, hot lists: {med(noop)} ({noop[-1][1]} files written)")
    print(f"no-op build, same lists not hot: {med(plain_noop)}")
    for name, samples in moved.items():
        print(f"refresh of every list, {name}: {med(samples)} ({samples[-1][1]} files written)")


if __name__ == "__main__":
    main()
