"""Full content (issue 14): a hot list whose items are expanded and whose images are kept
locally, first refresh and unchanged refresh; full-text extraction beside trafilatura alone.

Everything is served by a local HTTP server in the worker process (RSSHub-shaped
``/zhihu/hot`` and ``/zhihu/question/<qid>``, JPEG images, article pages).
"""

from __future__ import annotations

import asyncio
import io
import statistics
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.common import Section, repeat

_HOT_ITEM = (
    "<item><title><![CDATA[第 {i} 个问题？]]></title><description><![CDATA[<p>摘要 {i}</p>]]>"
    "</description><pubDate>Thu, 17 Jun 2021 02:04:43 GMT</pubDate>"
    "<link>https://www.zhihu.com/question/{qid}</link></item>"
)
_ANSWER = (
    "<item><title><![CDATA[答主的回答：……]]></title><description><![CDATA[答主的回答<br><br>"
    "{body}]]></description><pubDate>Thu, 17 Jun 2021 03:00:00 GMT</pubDate>"
    '<guid isPermaLink="false">{qid}1</guid><link>https://www.zhihu.com/question/{qid}/answer/1'
    "</link><author><![CDATA[答主]]></author></item>"
)


def _rss(title: str, items: str) -> bytes:
    # lastBuildDate changes on every response, as RSSHub renders each one afresh.
    now = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title><![CDATA[{title}]]></title><link>https://www.zhihu.com/hot</link>"
        f"<lastBuildDate>{now}</lastBuildDate>{items}</channel></rss>"
    ).encode()


def _jpeg(n: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (960, 640), ((n * 37) % 256, (n * 91) % 256, (n * 53) % 256)).save(
        out, "JPEG", quality=85
    )
    return out.getvalue()


class _Server:
    def __init__(self, routes: dict[str, tuple[bytes, str]]) -> None:
        self.routes = routes
        self.hits: Counter[str] = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                server.hits[path.split("/")[1] + ("/question" if "question" in path else "")] += 1
                body, kind = server.routes.get(path, (b"", ""))
                self.send_response(200 if kind else 404)
                self.send_header("Content-Type", kind or "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def measure_hotlist(items: int = 50, images: int = 3) -> dict[str, Any]:
    """One hot list of ``items`` questions, each answer with ``images`` JPEGs: a first
    refresh (list + expansions + images) and an unchanged one a minute later."""
    from hotpress import core
    from hotpress._storage import SQLiteStorage
    from hotpress.config import parse_settings

    routes: dict[str, tuple[bytes, str]] = {}
    qids = [f"4664{i:05d}" for i in range(items)]
    for i, qid in enumerate(qids):
        pictures = []
        for k in range(images):
            path = f"/pic/{i}_{k}.jpg"
            routes[path] = (_jpeg(i * images + k), "image/jpeg")
            pictures.append(f'<p>段落 {k}</p><img src="{{base}}{path}">')
        routes[f"/zhihu/question/{qid}"] = (
            _rss(f"知乎-{i}", _ANSWER.format(qid=qid, body="".join(pictures))),
            "application/xml",
        )
    server = _Server(routes)
    try:
        for path, (body, kind) in list(routes.items()):
            routes[path] = (body.replace(b"{base}", server.base.encode()), kind)
        hot = "".join(_HOT_ITEM.format(i=i, qid=qid) for i, qid in enumerate(qids))
        with tempfile.TemporaryDirectory() as tmp:
            text = (
                f"rsshub: {server.base}\ndatabase: a.db\nimages: local\n"
                "fetch:\n  min_host_interval: 0\n  per_host: 8\n  concurrency: 16\n"
                "sources:\n  - category: [社交媒体, 知乎, 知乎热榜]\n    route: /zhihu/hot\n"
                "    expand:\n      link: 'question/(?P<qid>\\d+)'\n"
                "      route: /zhihu/question/{qid}\n"
            )
            settings = parse_settings(text, Path(tmp) / "hotpress.yml")
            start = datetime.now(UTC)
            out: dict[str, Any] = {}
            with SQLiteStorage(settings.database) as storage:
                for label, minutes in (("first", 0), ("unchanged", 1)):
                    routes["/zhihu/hot"] = (_rss("知乎热榜", hot), "application/xml")
                    server.hits.clear()
                    now = start + timedelta(minutes=minutes)
                    t0 = time.perf_counter()
                    report = asyncio.run(core.refresh(settings, storage, clock=lambda n=now: n))
                    out[f"{label}_seconds"] = time.perf_counter() - t0
                    out[f"{label}_requests"] = dict(server.hits)
                    out[f"{label}_downloaded"] = report.media.downloaded
                    out[f"{label}_expanded"] = report.expansions.updated
        out["seconds"] = out["first_seconds"]
        return out
    finally:
        server.close()


def _requests(hits: dict[str, int]) -> str:
    names = {"zhihu": "list", "zhihu/question": "question", "pic": "image"}
    return ", ".join(f"{hits[k]} {names.get(k, k)}" for k in sorted(hits)) or "none"


def run(quick: bool, runs: int) -> Section:
    items, images = (10, 3) if quick else (50, 3)
    sec = Section("Full content (expand + images: local)")
    sec.setup.append(
        f"A local RSSHub-shaped server: `/zhihu/hot` with {items} questions (`<p>excerpt</p>`),"
        f" `/zhihu/question/<qid>` with an answer holding {images} distinct 960×640 JPEGs each;"
        " `images: local`, `expand:` on the list; in-process `core.refresh`, fresh process per run."
    )
    sample, raw = repeat(
        "bench.fullcontent:measure_hotlist", runs, items=items, images=images, timeout=600
    )
    sec.header = ["refresh", "median s", "requests", "expanded", "images kept"]
    if sample.note:
        sec.notes.append(f"failed: {sample.note}")
        return sec
    last = raw[-1]
    for label in ("first", "unchanged"):
        seconds = statistics.median(float(r[f"{label}_seconds"]) for r in raw)
        sec.rows.append(
            [
                f"{label} ({items} items × {images} images)",
                f"{seconds:.3f}",
                _requests(last[f"{label}_requests"]),
                str(last[f"{label}_expanded"]),
                str(last[f"{label}_downloaded"]),
            ]
        )
    unchanged = last["unchanged_requests"]
    only_list = unchanged == {"zhihu": 1}
    ratio = statistics.median(float(r["first_seconds"]) for r in raw) / max(
        statistics.median(float(r["unchanged_seconds"]) for r in raw), 1e-9
    )
    sec.targets.append(
        [
            "unchanged refresh fetches only the list",
            "1 request",
            _requests(unchanged),
            "met" if only_list else "NOT met",
        ]
    )
    sec.notes.append(f"the unchanged refresh takes 1/{ratio:.0f} of the first one's time")
    _fulltext_rows(sec, 50 if quick else 300, runs)
    return sec


def _fulltext_rows(sec: Section, items: int, runs: int) -> None:
    sample, raw = repeat("bench.fullcontent:measure_fulltext", runs, items=items, timeout=600)
    if sample.note:
        sec.notes.append(f"full text failed: {sample.note}")
        return

    def median(key: str) -> float:
        return statistics.median(float(r[key]) for r in raw)

    sec.notes.append(
        f"Full text on {items} built Chinese news pages (portal furniture around 5 paragraphs"
        f" and an image): trafilatura alone {median('trafilatura_per_s'):.0f} pages/s;"
        f" hotpress's extraction (decode + trafilatura + sanitize) "
        f"{median('extract_per_s'):.0f} pages/s"
        f" ({median('extract_per_s') / median('trafilatura_per_s'):.2f}× trafilatura);"
        f" a whole `fulltext: true` refresh (list, {items} page fetches from a local server,"
        f" store) {median('refresh_per_s'):.0f} items/s; {raw[-1]['updated']} bodies replaced."
    )


def _pages(n: int) -> list[bytes]:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from articles import PARAGRAPHS, news_page

    pages = []
    for i in range(n):
        shift = i % len(PARAGRAPHS)
        paragraphs = tuple(f"{p}（第 {i} 篇）" for p in PARAGRAPHS[shift:] + PARAGRAPHS[:shift])
        pages.append(news_page(f"第 {i} 篇新闻", paragraphs, image=f"/img/{i}.jpg"))
    return pages


def measure_fulltext(items: int = 200) -> dict[str, Any]:
    """Items/s of trafilatura alone, of hotpress's extraction (decode, trafilatura,
    sanitize) and of a whole refresh with ``fulltext: true`` (list, pages, store), on the
    same pages."""
    import trafilatura

    from hotpress import core
    from hotpress._fulltext import extract_article
    from hotpress._storage import SQLiteStorage
    from hotpress.config import parse_settings

    pages = _pages(items)
    texts = [p.decode("utf-8") for p in pages]
    options = {
        "output_format": "html",
        "include_images": True,
        "include_links": True,
        "include_tables": True,
        "favor_precision": True,
    }
    # Alternated, best of three each: a shared machine's load swings more than the gap.
    alone = ours = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for i, text in enumerate(texts):
            trafilatura.extract(text, url=f"https://news.example.com/a/{i}.html", **options)
        alone = min(alone, time.perf_counter() - t0)
        t0 = time.perf_counter()
        for i, page in enumerate(pages):
            extract_article(page, "text/html", f"https://news.example.com/a/{i}.html")
        ours = min(ours, time.perf_counter() - t0)

    routes: dict[str, tuple[bytes, str]] = {
        f"/a/{i}.html": (page, "text/html; charset=utf-8") for i, page in enumerate(pages)
    }
    server = _Server(routes)
    try:
        entries = "".join(
            f"<item><title>第 {i} 篇新闻</title><link>{server.base}/a/{i}.html</link>"
            "<description>&lt;p&gt;摘要。&lt;/p&gt;</description>"
            "<pubDate>Thu, 17 Jun 2021 02:04:43 GMT</pubDate></item>"
            for i in range(items)
        )
        routes["/feed.xml"] = (_rss("新闻", entries), "application/xml")
        with tempfile.TemporaryDirectory() as tmp:
            text = (
                f"database: a.db\nfetch:\n  min_host_interval: 0\n  per_host: 8\n"
                f"sources:\n  - category: [新闻, 某某网]\n    url: {server.base}/feed.xml\n"
                "    fulltext: true\n"
            )
            settings = parse_settings(text, Path(tmp) / "hotpress.yml")
            with SQLiteStorage(settings.database) as storage:
                t0 = time.perf_counter()
                report = asyncio.run(core.refresh(settings, storage))
                whole = time.perf_counter() - t0
    finally:
        server.close()
    return {
        "seconds": whole,
        "items": items,
        "trafilatura_per_s": items / alone,
        "extract_per_s": items / ours,
        "refresh_per_s": items / whole,
        "updated": report.fulltext.updated,
    }
