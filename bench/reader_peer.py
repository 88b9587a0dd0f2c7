"""A peer for fetch + parse + store: lemon24/reader's ``update_feeds`` beside hotpress's refresh
on the same feeds, served by a local HTTP server (bench.fetch's, no added latency) from the
ingest corpus.

reader is not a dependency (``pip install -e '.[bench]'``: reader and sgmllib3k); when it is
missing the rows say so. Each side runs in a fresh process, imports first, then times one
update of every feed into a new archive (reader: its SQLite database; hotpress: ``core.refresh``
with default fetch settings, which is what ``hotpress fetch`` runs).
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.archive import scratch
from bench.common import Sample, Section, fmt_mb, fmt_rate, fmt_s, repeat, target_row
from bench.fetch import start_server

HOSTS = 50  # loopback addresses 127.0.0.2 …: hotpress spaces requests to one host
TARGET = 5.0
WORKERS = (1, 10)  # reader's default, and hotpress's concurrency


def reader_update(urls: list[str], workers: int = 1) -> dict[str, Any]:
    """``make_reader`` on a new database, ``add_feed`` for each URL (untimed), then one
    ``update_feeds`` (timed): fetch with requests, parse with feedparser, store in SQLite."""
    from reader import make_reader

    with scratch() as tmp:
        reader = make_reader(str(Path(tmp) / "reader.sqlite"))
        for url in urls:
            reader.add_feed(url)
        wall, cpu = time.perf_counter(), time.process_time()
        reader.update_feeds(workers=workers)
        seconds, used = time.perf_counter() - wall, time.process_time() - cpu
        entries = reader.get_entry_counts().total
        broken = sum(1 for feed in reader.get_feeds() if feed.last_exception)
        reader.close()
    return {"seconds": seconds, "cpu": used, "entries": entries, "failed": broken}


def hotpress_fetch(urls: list[str]) -> dict[str, Any]:
    """``core.refresh`` (what ``hotpress fetch`` runs: fetch + parse + store, no outputs)
    with default fetch settings into a new archive."""
    # What httpx imports when its first client is made and anyio when its first request
    # runs (httpcore, h11, anyio's asyncio backend: 45 ms of CPU here) is imported before the
    # clock, as reader's requests and feedparser are (by make_reader and add_feed).
    import anyio._backends._asyncio
    import anyio.streams.tls  # noqa: F401
    import httpcore  # noqa: F401

    from bench.fetch import _settings
    from hotpress._storage import SQLiteStorage
    from hotpress.core import refresh

    with scratch() as tmp:
        settings = _settings(urls, Path(tmp))
        storage = SQLiteStorage(settings.database)
        wall, cpu = time.perf_counter(), time.process_time()
        report = asyncio.run(refresh(settings, storage))
        seconds, used = time.perf_counter() - wall, time.process_time() - cpu
        storage.close()
    return {"seconds": seconds, "cpu": used, "entries": report.new, "failed": len(report.failed)}


def add(sec: Section, feeds: int, items: int, runs: int, vs: Callable[[Sample, int], str]) -> None:
    """Rows for hotpress's refresh and reader's ``update_feeds`` on ``feeds`` local feeds
    (``vs`` fills the section's last column), and the ≥ 5× target, measured in this run."""
    count = feeds * items
    proc, urls = start_server(feeds, HOSTS, 0.0, feeds, items)
    try:
        ours, ours_raw = repeat("bench.reader_peer:hotpress_fetch", runs, urls=urls)
        peers: dict[int, tuple[Sample, list[dict[str, Any]]]] = {}
        for workers in WORKERS:
            if importlib.util.find_spec("reader") is None:
                peers[workers] = Sample(()), []
            else:
                target = "bench.reader_peer:reader_update"
                peers[workers] = repeat(target, runs, urls=urls, workers=workers)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    # Judged against reader's faster setting (threads overlap its waits for the server).
    best = min(WORKERS, key=lambda w: peers[w][0].median if peers[w][0].ok else float("inf"))
    peer, peer_raw = peers[best]
    for name, sample in (
        ("hotpress fetch, local HTTP (core.refresh: fetch → parse → store)", ours),
        *(
            (
                f"reader 3 update_feeds(workers={w}), same feeds (requests → feedparser → SQLite)",
                peers[w][0],
            )
            for w in WORKERS
        ),
    ):
        if sample.ok:
            row = [name, fmt_s(sample), fmt_rate(sample, count), fmt_mb(sample), vs(sample, count)]
        else:
            row = [name, "not run (`pip install reader sgmllib3k`)", "", "", ""]
        sec.rows.append(row)
    x = peer.median / ours.median if peer.ok and ours.ok else float("nan")
    sec.targets.append(
        target_row(
            f"hotpress fetch vs reader update_feeds(workers={best}), same local feeds",
            f"≥ {TARGET:g}×",
            f"{x:.1f}×" if peer.ok else "not run",
            x,
            TARGET,
        )
    )

    def said(raw: list[dict[str, Any]]) -> str:
        if not raw or "error" in raw[0]:
            return "not measured"
        r = raw[0]
        return (
            f"{r.get('entries', 0):,} entries stored, {r.get('failed', 0)} feeds failed, "
            f"CPU {float(r.get('cpu', 0.0)):.2f} s"
        )

    sec.notes.append(
        f"Fetch peer rows: the corpus's {feeds} feeds ({count:,} items) served over HTTP by "
        f"one local server process on {HOSTS} loopback addresses (127.0.0.2 …), no added "
        "latency; each side imports first, then updates every feed once into a new archive "
        "(reader's add_feed untimed). hotpress: core.refresh, what `hotpress fetch` runs, with "
        "default fetch settings (concurrency 10, per_host 4, 0.2 s between requests to one "
        "host); reader 3 (lemon24/reader; `pip install reader sgmllib3k`: its vendored "
        "feedparser imports sgmllib, which feedparser 6.0.12+ no longer brings) with workers=1 "
        "(its default) and 10 (hotpress's concurrency); the target is judged against the faster. "
        f"Run 1: hotpress {said(ours_raw)}; reader (workers={best}) {said(peer_raw)}."
    )
