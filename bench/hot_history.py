"""``python -m bench.hot_history``: a simulated year of hot-list rank history.

20 lists × 50 items refreshed every 10 minutes (by default) go through the archive's own
``record_ranks``; at the end it reports the archive's size (hot tables apart) and times the
``hot`` queries. Every refresh carries a new heat figure for every entry (as real lists do),
so each one takes the full recording path, never the "same as before" shortcut.

The list model, per list and refresh: with probability ``--arrive`` a new item enters (at a
rank drawn from 1–50, three in four times in the lower 40) and the last one drops off; with
probability ``--climb`` a random item moves up 1–3 places. Each such move shifts the items
between, and every shifted item starts a new run: the run count is what the figures scale
with, so it is reported too.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hotpress._hot import RankEntry
from hotpress._storage import SQLiteStorage
from hotpress.types import SourceSpec

START = datetime(2025, 1, 1, tzinfo=UTC)


def _config(db: Path, lists: int) -> Path:
    path = db.parent / "hotpress.yml"
    rows = "".join(
        f"  - category: [榜单, 榜{n}]\n    url: http://127.0.0.1/{n}\n    hotlist: true\n"
        for n in range(lists)
    )
    path.write_text(f"database: {db.name}\nsources:\n{rows}", encoding="utf-8")
    return path


def simulate(db: Path, *, lists: int, items: int, days: float, every: int, seed: int) -> dict:
    rng = random.Random(seed)
    specs = [
        SourceSpec(
            key=f"http://127.0.0.1/{n}",
            category=("榜单", f"榜{n}"),
            url=f"http://127.0.0.1/{n}",
            author="榜单",
            timezone="Asia/Shanghai",
            hotlist=True,
        )
        for n in range(lists)
    ]
    counter = 0
    store = SQLiteStorage(db)
    store.sync_sources(specs)
    source_ids = {s.key: store._source_id(s.key) for s in specs}

    def new_item(key: str, when: int) -> str:
        nonlocal counter
        counter += 1
        identity = f"{counter:032x}"
        store._db.execute(
            "INSERT INTO items (source_id, identity, link, title, content, date, first_seen,"
            " last_seen, content_hash) VALUES (?, ?, ?, ?, '', ?, ?, ?, ?)",
            (
                source_ids[key],
                identity,
                f"https://e.example/{counter}",
                f"热搜话题第 {counter} 条：某地发生一件值得关注的事",
                when,
                when,
                when,
                identity,
            ),
        )
        return identity

    t = int(START.timestamp())
    state = {s.key: [new_item(s.key, t) for _ in range(items)] for s in specs}
    heat = {identity: rng.uniform(1, 500) * 1e4 for order in state.values() for identity in order}
    refreshes = int(days * 24 * 60 / every)
    began = time.perf_counter()
    for step in range(refreshes):
        now = START + timedelta(minutes=step * every)
        stamp = int(now.timestamp())
        store._db.execute("BEGIN")
        for spec in specs:
            order = state[spec.key]
            if rng.random() < args_arrive:
                low = rng.random() < 0.75
                at = rng.randint(11, items) if low else rng.randint(1, 10)
                dropped = order.pop()
                heat.pop(dropped, None)
                fresh = new_item(spec.key, stamp)
                heat[fresh] = rng.uniform(1, 50) * 1e4
                order.insert(at - 1, fresh)
            if rng.random() < args_climb:
                i = rng.randint(1, items - 1)
                to = max(0, i - rng.randint(1, 3))
                order.insert(to, order.pop(i))
        store._db.execute("COMMIT")
        for spec in specs:
            order = state[spec.key]
            for identity in order:
                heat[identity] *= rng.uniform(0.97, 1.03)
            ranks = [RankEntry(ident, r + 1, heat[ident]) for r, ident in enumerate(order)]
            store.record_ranks(spec.key, ranks, now=now)
        if step and step % 5000 == 0:
            rate = step / (time.perf_counter() - began)
            print(f"  {step}/{refreshes} refreshes ({rate:.0f}/s per {lists} lists)", flush=True)
    elapsed = time.perf_counter() - began
    sizes = dict(store._db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
    runs = store._db.execute("SELECT COUNT(*) FROM hot_runs").fetchone()[0]
    key = specs[0].key
    timings = {}
    for label, at in (
        ("now", None),
        ("mid-year day", START + timedelta(days=days / 2, hours=15.99)),
        ("first day", START + timedelta(hours=15.99)),
    ):
        samples = []
        for _ in range(20):
            t0 = time.perf_counter()
            rows = store.hot_list(key, at=at)
            samples.append(time.perf_counter() - t0)
        timings[label] = (statistics.median(samples) * 1000, max(samples) * 1000, len(rows))
    store.close()
    hot = sum(v for k, v in sizes.items() if k.startswith(("hot_", "sqlite_autoindex_hot")))
    return {
        "refreshes": refreshes * lists,
        "seconds": elapsed,
        "runs": runs,
        "items": counter,
        "file_mb": db.stat().st_size / 1e6,
        "hot_mb": hot / 1e6,
        "items_mb": sum(v for k, v in sizes.items() if k.startswith("items")) / 1e6,
        "timings": timings,
        "config": _config(db, lists),
    }


def cli_time(config: Path, key: str, day: str | None) -> float:
    """Wall time of the whole ``hotpress hot`` command (interpreter start included)."""
    samples = []
    for _ in range(5):
        argv = [sys.executable, "-m", "hotpress", "hot", key, "-c", str(config), "--json"]
        t0 = time.perf_counter()
        subprocess.run(argv + (["--day", day] if day else []), check=True, capture_output=True)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000


args_arrive = 0.35
args_climb = 0.5


def main() -> None:
    global args_arrive, args_climb
    p = argparse.ArgumentParser(prog="python -m bench.hot_history")
    p.add_argument("--lists", type=int, default=20)
    p.add_argument("--items", type=int, default=50)
    p.add_argument("--days", type=float, default=365)
    p.add_argument("--every", type=int, default=10, help="minutes between refreshes")
    p.add_argument("--arrive", type=float, default=args_arrive)
    p.add_argument("--climb", type=float, default=args_climb)
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--keep", help="keep the archive at this path")
    a = p.parse_args()
    args_arrive, args_climb = a.arrive, a.climb
    folder = Path(a.keep).parent if a.keep else Path(tempfile.mkdtemp(prefix="hot-bench-"))
    db = Path(a.keep) if a.keep else folder / "hot.db"
    db.unlink(missing_ok=True)
    r = simulate(db, lists=a.lists, items=a.items, days=a.days, every=a.every, seed=a.seed)
    year = 365 / a.days
    print(f"{a.lists} lists × {a.items} items every {a.every} min for {a.days:g} days")
    print(f"  {r['refreshes']:,} list refreshes recorded in {r['seconds']:.0f} s")
    print(f"  {r['runs']:,} runs ({r['runs'] / r['refreshes']:.1f} per list refresh)")
    print(f"  {r['items']:,} items")
    print(
        f"  archive file {r['file_mb']:.1f} MB: hot tables {r['hot_mb']:.1f} MB,"
        f" items {r['items_mb']:.1f} MB"
    )
    print(f"  hot tables per year: {r['hot_mb'] * year:.0f} MB")
    for label, (median, worst, n) in r["timings"].items():
        print(f"  hot_list ({label}): median {median:.1f} ms, max {worst:.1f} ms, {n} items")
    key = "http://127.0.0.1/0"
    print(f"  `hotpress hot` CLI (whole process): {cli_time(r['config'], key, None):.0f} ms")
    mid = (START + timedelta(days=a.days / 2)).date().isoformat()
    print(f"  `hotpress hot --day {mid}` CLI: {cli_time(r['config'], key, mid):.0f} ms")


if __name__ == "__main__":
    main()
