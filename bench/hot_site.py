"""``python -m bench.hot_site``: what hot-list pages add to a site build.

An archive of ``--lists`` hot lists × 50 items refreshed every 10 minutes for ``--days``
(bench.hot_history's model) is built into a site with every list marked ``hotlist: true``,
then, each timed (medians of ``--runs``):

- a no-op build (nothing refreshed);
- a build after one more refresh of every list that leaves every item where it was
  ("same ranks": hours on the list grow, nothing moves);
- a build after a refresh where two neighbours trade places on every list ("one swap");
- a build after a refresh where rank 31 climbs to 21 on every list ("typical": 11 ranks
  change, about what bench.hot_history's model changes per refresh);
- a build after a refresh where the middle item climbs to the top of every list, moving the
  25 above it down one place ("climb": half of each list changes rank);
- the same no-op build with the lists not marked hot (the site section's no-op, for the
  ratio).

``--archive N`` adds the site section's corpus archive of N items (``bench.archive``, the
same 100,000-item archive as bench.site) under the hot lists, and the site section's "+50
items" step (50 items in a new source, dated just after the round: the newest items, as in
the site section) alone, then with a "typical" and with a "climb" refresh of every list
(each time another new source), and once more with a typical refresh but the items dated
in 2024, before the hot lists' items (every "all" page newer than them shifts: the harder
shape earlier versions of this bench measured). ``--reuse DIR`` continues in the
folder of an earlier run (its archive and built site; the folder is printed), skipping the
simulation and the full build.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
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


def typical(order: list[str]) -> list[str]:
    """Rank 31 climbs to 21: 11 ranks change, about the 10.5 runs per list refresh that
    bench.hot_history's model of a year starts."""
    order.insert(20, order.pop(30))
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


def fifty(
    name: str,
    move: Move | None,
    step: Callable[[Move], Callable[[SQLiteStorage], None]],
    day: date | None,
) -> Callable[[SQLiteStorage], None]:
    """50 new items in a new source (bench.site's "+50 items"), then a refresh of every list
    (``move``; none if ``None``). ``day``: the round's day; the items are dated just after it,
    so they are the newest of the archive, as the 50 items of the site section are (``None``:
    the site section's dates, 2024, before the hot lists' items, so every page of the "all"
    list newer than them shifts)."""

    def run(store: SQLiteStorage) -> None:
        from bench.corpus import render_feed
        from bench.ingest import NOW
        from hotpress.core import store_result
        from hotpress.types import FetchResult, SourceSpec, Validators

        # render_feed dates its items from 2024-03-01 + salt days (11 minutes apart, back).
        salt = 99 + len(name) if day is None else (day - date(2024, 3, 1)).days + 1
        info, body = render_feed(7, 50, salt=salt)
        key = f"/bench/extra-{name}-{time.time_ns()}"
        spec = SourceSpec(
            key, ("基准", "新源", f"新频道{name}"), "https://e.example/", "新源", "UTC"
        )
        store.sync_sources([spec])
        fetched = FetchResult(key, spec.url, 200, body, info.content_type, Validators(), 0.0)
        store_result(spec, fetched, store, now=NOW)
        if move is not None:
            step(move)(store)

    return run


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.hot_site")
    p.add_argument("--lists", type=int, default=20)
    p.add_argument("--days", type=float, default=3)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--archive", type=int, default=0, help="corpus items under the hot lists")
    p.add_argument("--reuse", type=Path, help="the folder of an earlier run, to continue in")
    a = p.parse_args()
    folder = a.reuse or Path(tempfile.mkdtemp(prefix="hot-site-"))
    print(f"folder: {folder}")
    if a.reuse is None and a.archive:
        from bench.archive import archive

        shutil.copyfile(archive(a.archive), folder / "hot.db")
    if a.reuse is None:
        simulate(folder / "hot.db", lists=a.lists, items=50, days=a.days, every=10, seed=15)
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

    with SQLiteStorage(folder / "hot.db") as store:
        total = sum(1 for _ in store.site_sitemap("site")) if a.reuse else 0
        last = max(store.hot_last(f"http://127.0.0.1/{n}") or START for n in range(a.lists))
    if a.reuse is None:
        full, written = timed(hot)
        with SQLiteStorage(folder / "hot.db") as store:
            total = sum(1 for _ in store.site_sitemap("site"))
        print(
            f"{total:,} item pages, {a.lists} hot lists: full build {full:.1f} s, {written:,} files"
        )
    noop = [timed(hot) for _ in range(a.runs)]
    clock = [last]

    def step(move: Move) -> Callable[[SQLiteStorage], None]:
        def run(store: SQLiteStorage) -> None:
            clock[0] += timedelta(minutes=10)
            refresh(store, a.lists, clock[0], move)

        return run

    moved = {
        name: [timed(hot, step(move)) for _ in range(a.runs)]
        for name, move in (
            ("same ranks", same),
            ("one swap", swap),
            ("typical", typical),
            ("climb", climb),
        )
    }
    if a.archive or a.reuse:
        # Once each: a source is new once.
        for name, move in (("none", None), ("typical", typical), ("climb", climb)):
            batch = fifty(name, move, step, clock[0].date())
            moved[f"+50 items, refresh: {name}"] = [timed(hot, batch)]
        batch = fifty("past", typical, step, None)
        moved["+50 items dated before the hot lists' items, refresh: typical"] = [timed(hot, batch)]
    timed(plain)  # the site without hot lists, built once
    plain_noop = [timed(plain) for _ in range(a.runs)]

    def med(samples: list[tuple[float, int]]) -> str:
        return f"{statistics.median(s[0] for s in samples) * 1000:.0f} ms"

    print(f"no-op build, hot lists: {med(noop)} ({noop[-1][1]} files written)")
    print(f"no-op build, same lists not hot: {med(plain_noop)}")
    for name, samples in moved.items():
        what = name if name.startswith("+") else f"refresh of every list, {name}"
        print(f"{what}: {med(samples)} ({samples[-1][1]} files written)")


if __name__ == "__main__":
    main()
