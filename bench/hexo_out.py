"""Hexo output: every archived item written as a Hexo post, then a no-op republish."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.archive import archive, copy_of, scratch
from bench.common import Sample, Section, fmt_mb, fmt_rate, fmt_s, repeat


def publish(db: str) -> dict[str, Any]:
    from hotpress._publish.posts import publish_hexo
    from hotpress._storage import SQLiteStorage

    with scratch() as tmp:
        storage = SQLiteStorage(copy_of(db, Path(tmp)))
        root = Path(tmp) / "hexo"
        wall, cpu = time.perf_counter(), time.process_time()
        first = publish_hexo(storage, root)
        seconds, cpus = time.perf_counter() - wall, time.process_time() - cpu
        wall = time.perf_counter()
        again = publish_hexo(storage, root)
        noop = time.perf_counter() - wall
        storage.close()
    return {
        "seconds": seconds,
        "cpu": cpus,
        "noop": noop,
        "written": first.written,
        "written_again": again.written,
    }


def run(quick: bool, runs: int) -> Section:
    size = 1_000 if quick else 100_000
    db = archive(size)
    sample, raw = repeat("bench.hexo_out:publish", runs, db=str(db))
    noop = Sample(tuple(float(r["noop"]) for r in raw if "noop" in r))
    sec = Section(f"Hexo output: {size:,} posts from the archive")
    sec.setup = [
        f"Archive of {size:,} corpus items (SQLite, WAL); posts in the seed's format into an "
        f"empty folder, then the same publish again. Median of {runs} runs (min–max)."
    ]
    sec.header = ["what", "time", "throughput", "peak memory"]
    sec.rows = [
        [f"write {size:,} posts", fmt_s(sample), fmt_rate(sample, size, "posts/s"), fmt_mb(sample)],
        ["no-op republish (nothing written)", fmt_s(noop), fmt_rate(noop, size, "items/s"), ""],
    ]
    if raw and "written_again" in raw[0]:
        sec.notes.append(
            f"Run 1 wrote {raw[0]['written']:,} posts; the republish wrote "
            f"{raw[0]['written_again']}."
        )
    return sec
