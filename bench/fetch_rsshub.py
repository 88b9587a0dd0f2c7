"""Fetch from one's own RSSHub: N routes on one RSSHub-like local host (``rsshub:`` points at
it) with 50 ms per response; hotpress with default settings beside the old script's way (a
requests thread pool of 10), a first run and a rerun each.

The server is bench.fetch's (one process, ETag and 304 like RSSHub's etag middleware over its
route cache). The requests pool has no cache, so its rerun does the first run's work again.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.common import Sample, Section, fmt_s, repeat, target_row


def _settings(urls: list[str], tmp: Path, *, own: bool) -> Any:
    from hotpress.config import FetchConfig, Settings, SiteConfig
    from hotpress.types import SourceSpec

    parts = urlsplit(urls[0])
    base = f"{parts.scheme}://{parts.netloc}"
    specs = tuple(
        SourceSpec(
            # Routes of the configured RSSHub, as `route: /feed/N` makes them (own=False:
            # keys that are not the URL's path, so the host is not taken for the RSSHub).
            key=urlsplit(url).path if own else f"/bench/{n}",
            category=("基准", f"源{n % 20}", f"频道{n}"),
            url=url,
            author="基准",
            timezone="Asia/Shanghai",
        )
        for n, url in enumerate(urls)
    )
    return Settings(
        path=tmp / "hotpress.yml",
        database=tmp / "archive.db",
        timezone="Asia/Shanghai",
        hexo_dir=None,
        site_dir=None,
        site=SiteConfig(),
        fetch=FetchConfig(),  # defaults: concurrency 10, per_host 4, min_host_interval 0.2
        sources=specs,
        # own=False: the same host named as someone else's (the politeness before).
        rsshub=base if own else "https://rsshub.app",
    )


def hotpress_own(urls: list[str], own: bool = True, rounds: int = 2) -> dict[str, Any]:
    """``core.refresh`` twice (fetch + parse + store); the rerun gets 304s."""
    from hotpress._storage import SQLiteStorage
    from hotpress.core import refresh, rsshub_hosts

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = _settings(urls, Path(tmp), own=own)
        out["own_hosts"] = sorted(rsshub_hosts(settings))
        storage = SQLiteStorage(settings.database)
        for rnd in range(1, rounds + 1):
            wall, cpu = time.perf_counter(), time.process_time()
            report = asyncio.run(refresh(settings, storage))
            out[f"seconds{rnd}"] = time.perf_counter() - wall
            out[f"cpu{rnd}"] = time.process_time() - cpu
            out[f"failed{rnd}"] = len(report.failed)
            out[f"not_modified{rnd}"] = sum(o.not_modified for o in report.outcomes)
        storage.close()
    out["seconds"] = out["seconds1"]
    return out


def requests_twice(urls: list[str]) -> dict[str, Any]:
    """The old script run twice (each run a new pool and new sessions, as hourly runs)."""
    from bench.fetch import requests_pool

    first, second = requests_pool(urls), requests_pool(urls)
    return {
        "seconds": first["seconds"],
        "seconds1": first["seconds"],
        "seconds2": second["seconds"],
        "cpu1": first["cpu"],
        "cpu2": second["cpu"],
        "failed": first["failed"] + second["failed"],
    }


def _old_script_run(urls: list[str], posts: Path) -> dict[str, Any]:
    """One run of the old script's job, as original-system.md describes it: delete every
    post, then 10 threads each fetch a route with requests (a Session per thread), read its
    first 15 items with BeautifulSoup's html.parser (the old script's parser), take the first
    image as cover, and write one Markdown post per item. No cache: a rerun does it all again."""
    import random
    import re
    import shutil
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import requests
    from bs4 import BeautifulSoup

    local = threading.local()
    shutil.rmtree(posts, ignore_errors=True)

    def job(n: int, url: str) -> int:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.trust_env = False
        response = session.get(url, timeout=20)
        response.encoding = "utf-8-sig"
        soup = BeautifulSoup(response.text, "html.parser")
        folder = posts / f"源{n % 20}" / f"频道{n}"
        folder.mkdir(parents=True, exist_ok=True)
        written = 0
        for item in soup.find_all("item")[:15]:
            title = item.find("title")
            body = item.find("description")
            text = body.get_text() if body else ""
            image = BeautifulSoup(text, "html.parser").find("img")
            cover = (
                image.get("src")
                if image
                else f"https://picsum.photos/400/300?random={random.randint(0, 10000)}"
            )
            name = re.sub(r"[:/\\?*<>|\[\]]", "_", title.get_text() if title else "") or str(
                written
            )
            post = (
                f"\n---\ntitle: '{name}'\nheadimg: '{cover}'\n---\n\n<div>   \n{text}  \n</div>\n"
            )
            (folder / f"{name[:80]}.md").write_text(post.replace("{", "&#123;"), encoding="utf-8")
            written += 1
        return written

    wall, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(10) as pool:
        counts = list(pool.map(job, range(len(urls)), urls))
    return {
        "seconds": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "posts": sum(counts),
    }


def old_script(urls: list[str]) -> dict[str, Any]:
    """The old script run twice (an hourly job: a new process, new pool each time)."""
    with tempfile.TemporaryDirectory() as tmp:
        first = _old_script_run(urls, Path(tmp) / "posts")
        second = _old_script_run(urls, Path(tmp) / "posts")
    return {
        "seconds": first["seconds"],
        "seconds1": first["seconds"],
        "seconds2": second["seconds"],
        "cpu1": first["cpu"],
        "cpu2": second["cpu"],
        "posts": first["posts"],
    }


def add(sec: Section, quick: bool, runs: int) -> None:
    """Append the own-RSSHub rows and targets to the fetch section."""
    from bench.fetch import start_server

    routes, latency = (40 if quick else 200), 0.05
    sec.setup.append(
        f"Own RSSHub rows: {routes} routes on one RSSHub-like host (127.0.0.2, `rsshub:` "
        f"points at it), every response delayed {latency * 1000:.0f} ms, ETag/304 as above; "
        "hotpress with default settings (so this host gets concurrency 10, no spacing) "
        "beside the old script's job (requests pool of 10; BeautifulSoup html.parser over the "
        "first 15 items; one post file each, all deleted first, as original-system.md "
        "describes it) and the same pool fetching alone; run 1 and a rerun each; "
        "the last column compares with the old script's job; vs floor: "
        f"{latency} s × {routes} ÷ 10 = {latency * routes / 10:.1f} s."
    )
    proc, urls = start_server(routes, 1, latency, 20, 50)
    try:
        _, old_raw = repeat("bench.fetch_rsshub:old_script", runs, urls=urls)
        _, ref_raw = repeat("bench.fetch_rsshub:requests_twice", runs, urls=urls)
        _, own_raw = repeat("bench.fetch_rsshub:hotpress_own", runs, urls=urls)
        polite: tuple[Sample, list[dict[str, Any]]] | None = None
        if not quick:  # 40 s a run: once, to show what the defaults were
            polite = repeat("bench.fetch_rsshub:hotpress_own", 1, urls=urls, own=False, rounds=1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    def pick(raw: list[dict[str, Any]], key: str) -> Sample:
        return Sample(tuple(float(r[key]) for r in raw if key in r))

    floor = latency * routes / 10
    old1, old2 = pick(old_raw, "seconds1"), pick(old_raw, "seconds2")
    ref1, ref2 = pick(ref_raw, "seconds1"), pick(ref_raw, "seconds2")
    own1, own2 = pick(own_raw, "seconds1"), pick(own_raw, "seconds2")

    def row(name: str, wall: Sample, cpu: Sample, against: Sample) -> list[str]:
        vs = against.median / wall.median if wall.ok and against.ok else float("nan")
        return [name, fmt_s(wall), fmt_s(cpu), f"{wall.median / floor:.2f}×", f"{vs:.2f}× faster"]

    sec.rows += [
        row("own RSSHub: the old script's job, run 1", old1, pick(old_raw, "cpu1"), old1),
        row("own RSSHub: the old script's job, rerun", old2, pick(old_raw, "cpu2"), old2),
        row("own RSSHub: requests pool, fetch alone, run 1", ref1, pick(ref_raw, "cpu1"), old1),
        row("own RSSHub: requests pool, fetch alone, rerun", ref2, pick(ref_raw, "cpu2"), old2),
        row("own RSSHub: hotpress defaults, run 1", own1, pick(own_raw, "cpu1"), old1),
        row("own RSSHub: hotpress defaults, rerun (304s)", own2, pick(own_raw, "cpu2"), old2),
    ]
    if polite is not None:
        sample, raw = polite
        sec.rows.append(
            row(
                "own RSSHub: hotpress run 1 with this host spaced (before: per_host 4, 0.2 s)",
                sample,
                pick(raw, "cpu1"),
                old1,
            )
        )
    x1 = old1.median / own1.median if own1.ok and old1.ok else float("nan")
    x2 = old2.median / own2.median if own2.ok and old2.ok else float("nan")
    sec.targets += [
        target_row("own RSSHub run 1: hotpress vs the old script", "> 1×", f"{x1:.2f}×", x1, 1.0),
        target_row("own RSSHub rerun: hotpress vs the old script", "> 1×", f"{x2:.2f}×", x2, 1.0),
    ]
    if own_raw and "failed1" in own_raw[0]:
        r = own_raw[0]
        sec.notes.append(
            f"Own RSSHub, run 1: hotpress treated {', '.join(r['own_hosts'])} as the own "
            f"RSSHub; {r['failed1']} of {routes} sources failed in round 1, "
            f"{r['not_modified2']} answered 304 in the rerun ({r['failed2']} failed)."
        )
