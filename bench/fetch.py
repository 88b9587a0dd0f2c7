"""Fetch: N feeds on a local server spread over loopback addresses 127.0.0.2 … with added
latency per response; hotpress (default settings) beside a requests thread pool of 10.

The server runs in its own process so its CPU time is not the client's. Every response waits
``latency`` seconds; a request with the feed's ETag gets 304 (after the same wait).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import REPO, Section, fmt_s, repeat, target_row
from bench.corpus import corpus

# --- the server ---------------------------------------------------------------------------


async def _serve(feeds: int, hosts: int, latency: float, corpus_feeds: int, items: int) -> None:
    folder, files = corpus(corpus_feeds, items)
    bodies = [((folder / f.name).read_bytes(), f.content_type) for f in files]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                number = int(path.rsplit("/", 1)[1])
                body, ctype = bodies[number % len(bodies)]
                etag = f'"v1-{number}"'
                await asyncio.sleep(latency)
                if headers.get("if-none-match") == etag:
                    writer.write(f"HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\n\r\n".encode())
                else:
                    writer.write(
                        f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nETag: {etag}\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n".encode()
                    )
                    writer.write(body)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, IndexError, ValueError):
            pass
        finally:
            writer.close()

    servers = []
    ports = []
    for h in range(hosts):
        server = await asyncio.start_server(handle, f"127.0.0.{2 + h}", 0, backlog=1024)
        servers.append(server)
        ports.append(server.sockets[0].getsockname()[1])
    urls = [f"http://127.0.0.{2 + n % hosts}:{ports[n % hosts]}/feed/{n}" for n in range(feeds)]
    print(json.dumps(urls), flush=True)
    await asyncio.Event().wait()


def start_server(
    feeds: int, hosts: int, latency: float, corpus_feeds: int, items: int
) -> tuple[subprocess.Popen[str], list[str]]:
    args = [str(a) for a in (feeds, hosts, latency, corpus_feeds, items)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.fetch", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    urls: list[str] = json.loads(proc.stdout.readline())
    return proc, urls


# --- the clients (each run in its own process) --------------------------------------------


def _settings(urls: list[str], tmp: Path) -> Any:
    from hotpress.config import FetchConfig, Settings, SiteConfig
    from hotpress.types import SourceSpec

    specs = tuple(
        SourceSpec(
            key=f"/bench/{n}",
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
        fetch=FetchConfig(),  # defaults: concurrency 10, per_host 4
        sources=specs,
    )


def hotpress_refresh(urls: list[str]) -> dict[str, Any]:
    """Two rounds of ``core.refresh`` (fetch + parse + store); the second is all 304."""
    import tempfile

    from hotpress._storage import SQLiteStorage
    from hotpress.core import refresh

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = _settings(urls, Path(tmp))
        storage = SQLiteStorage(settings.database)
        for rnd in (1, 2):
            wall, cpu = time.perf_counter(), time.process_time()
            report = asyncio.run(refresh(settings, storage))
            out[f"seconds{rnd}"] = time.perf_counter() - wall
            out[f"cpu{rnd}"] = time.process_time() - cpu
            out[f"failed{rnd}"] = len(report.failed)
            out[f"not_modified{rnd}"] = sum(o.not_modified for o in report.outcomes)
            out[f"new{rnd}"] = report.new
        storage.close()
    out["seconds"] = out["seconds1"]
    return out


def hotpress_fetch_only(urls: list[str]) -> dict[str, Any]:
    """The fetch stage alone (``fetch_all``, default settings): bytes in memory, no parse."""
    from hotpress._fetch import FetchSettings, fetch_all, make_client
    from hotpress.types import FetchRequest

    settings = FetchSettings()
    requests = [FetchRequest(source_key=str(n), url=url) for n, url in enumerate(urls)]

    async def go() -> list[Any]:
        async with make_client(settings) as client:
            return await fetch_all(requests, client=client, settings=settings)

    wall, cpu = time.perf_counter(), time.process_time()
    results = asyncio.run(go())
    return {
        "seconds": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "failed": sum(1 for r in results if r.error),
    }


def requests_pool(urls: list[str]) -> dict[str, Any]:
    """What the old script did: a thread pool of 10, requests, one session per thread."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import requests

    local = threading.local()

    def get(url: str) -> int:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.trust_env = False
        response = session.get(url, timeout=30)
        _ = response.content
        return response.status_code

    wall, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(get, urls))
    return {
        "seconds": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "failed": sum(1 for c in codes if c != 200),
    }


def run(quick: bool, runs: int) -> Section:
    feeds, hosts = (100, 10) if quick else (1000, 50)
    latency, corpus_feeds, items = 0.2, (20 if quick else 200), 50
    concurrency = 10
    floor = latency * feeds / concurrency
    sec = Section(
        f"Fetch: {feeds:,} feeds over {hosts} loopback addresses, {latency * 1000:.0f} ms"
    )
    sec.setup = [
        f"{feeds:,} feeds on 127.0.0.2 … 127.0.0.{hosts + 1} (one asyncio server process), "
        f"each response delayed {latency * 1000:.0f} ms; bodies are the ingest corpus "
        f"({corpus_feeds} feeds × {items} items, reused round-robin).",
        "hotpress default fetch settings: concurrency 10, per_host 4, retries 2 "
        f"→ floor = {latency} s × {feeds:,} ÷ {concurrency} = {floor:.1f} s.",
        "requests: ThreadPoolExecutor(10), one Session per thread (the old script's way).",
        f"Median of {runs} runs, each in a fresh process; CPU = the client's process time.",
    ]
    proc, urls = start_server(feeds, hosts, latency, corpus_feeds, items)
    try:
        ref, ref_raw = repeat("bench.fetch:requests_pool", runs, urls=urls)
        only, only_raw = repeat("bench.fetch:hotpress_fetch_only", runs, urls=urls)
        full, full_raw = repeat("bench.fetch:hotpress_refresh", runs, urls=urls)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    from bench.common import Sample

    def pick(raw: list[dict[str, Any]], key: str) -> Sample:
        return Sample(tuple(float(r[key]) for r in raw if key in r))

    cpu1, cpu2 = pick(full_raw, "cpu1"), pick(full_raw, "cpu2")
    wall2 = pick(full_raw, "seconds2")
    sec.header = ["what", "wall time", "CPU time", "vs floor", "vs requests pool"]

    def row(name: str, wall: Sample, cpu: Sample) -> list[str]:
        vs_ref = ref.median / wall.median if wall.ok and ref.ok else float("nan")
        return [
            name,
            fmt_s(wall),
            fmt_s(cpu),
            f"{wall.median / floor:.2f}×",
            f"{vs_ref:.2f}× faster",
        ]

    sec.rows = [
        row("requests, thread pool of 10 (fetch only)", ref, pick(ref_raw, "cpu")),
        row("hotpress fetch stage only (fetch_all)", only, pick(only_raw, "cpu")),
        row("hotpress refresh round 1 (fetch + parse + store)", full, cpu1),
        row("hotpress refresh round 2 (all 304)", wall2, cpu2),
    ]
    share = cpu2.median / cpu1.median if cpu1.ok and cpu2.ok else float("nan")
    first = full.median / floor if full.ok else float("nan")
    only_x = only.median / floor if only.ok else float("nan")
    sec.targets = [
        target_row(
            "refresh round 1 vs floor",
            "≤ 1.25×",
            f"{first:.2f}×",
            first,
            1.25,
            higher_is_better=False,
        ),
        target_row(
            "fetch stage alone vs floor",
            "≤ 1.25×",
            f"{only_x:.2f}×",
            only_x,
            1.25,
            higher_is_better=False,
        ),
        target_row(
            "round 2 (304) CPU ÷ round 1 CPU",
            "≤ 25%",
            f"{share:.1%}",
            share,
            0.25,
            higher_is_better=False,
        ),
    ]
    from bench import fetch_rsshub

    fetch_rsshub.add(sec, quick, runs)
    if full_raw and "failed1" in full_raw[0]:
        r = full_raw[0]
        sec.notes.append(
            f"Run 1: round 1 stored {r['new1']:,} new items, {r['failed1']} sources failed; "
            f"round 2: {r['not_modified2']} of {feeds} answered 304, {r['failed2']} failed."
        )
    return sec


if __name__ == "__main__":
    n, h, lat, cf, it = sys.argv[1:6]
    asyncio.run(_serve(int(n), int(h), float(lat), int(cf), int(it)))
