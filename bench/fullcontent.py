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
    return sec
