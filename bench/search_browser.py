"""Search benchmark, browser side: serving a built folder, measuring queries in Chromium
(hotpress's search page and Pagefind's API), and writing Pagefind's input pages."""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PF_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>pagefind</title>
<script type="module">
window.run = async (q) => {
  const t = performance.now();
  const pf = await import("/pagefind/pagefind.js");
  const found = await pf.search(q);
  const data = await Promise.all(found.results.slice(0, 20).map((r) => r.data()));
  return [found.results.length, data.length, performance.now() - t];
};
</script></head><body></body></html>"""


@contextmanager
def _served(root: Path) -> Iterator[str]:
    from hotpress._site.serve import make_server

    server = make_server(root, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()


class _Traffic:
    def __init__(self, page: Any) -> None:
        self.bytes = self.requests = 0
        self.seen: list[tuple[str, int]] = []
        page.on("requestfinished", self._done)

    def _done(self, request: Any) -> None:
        sizes = request.sizes()
        size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        self.bytes += size
        self.requests += 1
        self.seen.append((request.url, size))


def measure(
    root: Path, wanted: list[tuple[str, str, dict[str, str]]], pf: bool
) -> list[dict[str, Any]]:
    """Per query: bytes, requests, milliseconds and results, for hotpress (and Pagefind)."""
    from urllib.parse import urlencode

    from playwright.sync_api import sync_playwright

    out: list[dict[str, Any]] = []
    with _served(root) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        for kind, query, filters in wanted:
            row: dict[str, Any] = {"kind": kind, "query": query, "filters": filters}
            context = browser.new_context()
            page = context.new_page()
            traffic = _Traffic(page)
            page.goto(f"{base}/search/?{urlencode(filters)}" if filters else f"{base}/search/")
            page.wait_for_load_state("networkidle")
            page.fill("#search input[name=q]", query)
            started = time.perf_counter()
            page.press("#search input[name=q]", "Enter")
            page.wait_for_function(
                "() => { const s = document.querySelector('#search .status').textContent;"
                " return s && s !== '搜索中…'; }",
                timeout=60_000,
                polling=10,
            )
            row["ms"] = (time.perf_counter() - started) * 1000
            page.wait_for_load_state("networkidle")
            row["results"] = page.locator("a.search-result").count()
            row["bytes"], row["requests"] = traffic.bytes, traffic.requests
            row["urls"] = traffic.seen
            context.close()
            if pf:
                context = browser.new_context()
                page = context.new_page()
                traffic = _Traffic(page)
                page.goto(f"{base}/pf.html")
                page.wait_for_load_state("networkidle")
                total, _, ms = page.evaluate("(q) => window.run(q)", query)
                page.wait_for_load_state("networkidle")
                row["pf"] = {
                    "bytes": traffic.bytes,
                    "requests": traffic.requests,
                    "ms": ms,
                    "results": total,
                }
                context.close()
            out.append(row)
        browser.close()
    return out


def tree_size(root: Path) -> tuple[int, int, int]:
    """Bytes, files and bytes allocated on disk (whole blocks) under ``root``."""
    files = [p.stat() for p in root.rglob("*") if p.is_file()]
    return sum(f.st_size for f in files), len(files), sum(f.st_blocks * 512 for f in files)


def page_files(root: Path) -> None:
    """The search page and its static files, as the site build writes them."""
    from hotpress._site.pages import Renderer
    from hotpress._site.theme import make_env, static_files
    from hotpress.config import SiteConfig

    renderer = Renderer(make_env(None), SiteConfig(url="http://127.0.0.1"), "Asia/Shanghai")
    (root / "search").mkdir(parents=True, exist_ok=True)
    (root / "search/index.html").write_bytes(renderer.render("search.html"))
    for rel, path in static_files(None):
        (root / "static" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, root / "static" / rel)


def pagefind_index(storage: Any, root: Path) -> dict[str, Any]:
    """Item pages for Pagefind (untimed), then its index (timed)."""
    pages = root / "items"
    pages.mkdir(parents=True)
    for item in storage.iter_items():
        cat = escape(" / ".join(item.category))
        (pages / f"{item.id}.html").write_text(
            f'<!doctype html><html lang="zh-cn"><head><meta charset="utf-8"><title>'
            f"{escape(item.title)}</title></head><body><main data-pagefind-body>"
            f"<h1>{escape(item.title)}</h1><p>{cat}</p>{item.content}</main></body></html>",
            encoding="utf-8",
        )
    (root / "pf.html").write_text(PF_PAGE, encoding="utf-8")
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pagefind", "--site", str(root), "--output-subdir", "pagefind"],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    # The largest process waited for so far: Pagefind's (this worker starts nothing bigger).
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if done.returncode != 0:
        how = (
            f"killed by signal {-done.returncode}"
            if done.returncode < 0
            else f"exit status {done.returncode}"
        )
        lines = (done.stderr or done.stdout).strip().splitlines()
        return {
            "error": f"{how} after {seconds:.0f} s at a peak of {peak_mb:,.0f} MB resident, "
            f"last output: {' | '.join(lines[-2:])}",
            "seconds": seconds,
            "rss_mb": peak_mb,
        }
    size, files, blocks = tree_size(root / "pagefind")
    return {"seconds": seconds, "bytes": size, "files": files, "blocks": blocks, "rss_mb": peak_mb}


__all__ = ["CHROMIUM", "measure", "page_files", "pagefind_index", "tree_size"]
