"""Every XSS corpus vector through the real pipeline, then every published page in a browser.

One JSON Feed carries all distinct vectors of ``corpora/xss`` (and feedparser's sanitizer
inputs) as item bodies, titles and links; ``hotpress run`` writes the static site and the Hexo
posts; a real Hexo (tests/hexo_check, with the small theme in tests/xss_browser/theme) builds
the posts. Each page of both outputs is loaded in headless Chromium with the hooks of
tests/xss_browser/hooks.js: trapped ``alert``-like functions and a sentinel for every function
the payloads call, ``document.write``/``eval``/``Function``/string timers, a report-only CSP
that reports any inline script or handler, dialogs, navigation away from the page, requests
leaving 127.0.0.1, and markup that could run later (handlers, script links). Every element is
also poked with the events inline handlers wait for. Target: zero events. Figures go to
``test-output/xss-browser.json`` (and stdout with ``-s``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, skip_or_fail
from hotpress._parse.text import clean_title
from hotpress._publish.theme_text import theme_text
from hotpress.cli import main
from test_hexo_real import CHECK, _hexo_modules, _node_ok
from test_sanitize import _xss_inputs
from xss_browser.browse import ARGS, CHROMIUM, Scan, payload_names, scan_pages, serve, served_pages
from xss_browser.vectors import FeedPlan, plan_feed, write_json_feed

pytestmark = pytest.mark.network_peer

THEME = Path(__file__).resolve().parent / "xss_browser" / "theme"
REPORT = REPO / "test-output" / "xss-browser.json"
CONFIG = """\
database: hotpress.db
output:
  hexo: hexo/source/_posts
  site: site
sources:
  - category: [测试, XSS, 向量]
    url: {feed}
"""


@dataclass(frozen=True)
class Published:
    root: Path
    plan: FeedPlan
    names: list[str]
    hexo_log: str


@pytest.fixture(scope="module")
def published(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> Published:
    if not Path(CHROMIUM).is_file():
        skip_or_fail("chromium not installed (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail("playwright is not installed")
    _node_ok()
    modules = _hexo_modules()
    root = tmp_path_factory.mktemp("xss-browser")
    distinct = {raw: name for name, raw in _xss_inputs(corpora)}
    plan = plan_feed([(name, raw) for raw, name in distinct.items()])
    write_json_feed(plan, root / "feed.json")
    hexo = root / "hexo"
    shutil.copytree(CHECK / "site", hexo)
    shutil.copytree(THEME, hexo / "themes" / "blank", dirs_exist_ok=True)
    shutil.copy(CHECK / "package.json", hexo / "package.json")
    (hexo / "node_modules").symlink_to(modules)
    # Fetched over HTTP as a real feed is: relative links then resolve against an http URL,
    # not against a file: path that the browser would refuse to open from an http page.
    with serve(root) as base:
        config = CONFIG.format(feed=f"{base}/feed.json")
        (root / "hotpress.yml").write_text(config, encoding="utf-8")
        assert main(["run", "-q", "-c", str(root / "hotpress.yml")]) == 0
    done = subprocess.run(
        ["node", str(modules / "hexo" / "bin" / "hexo"), "generate"],
        cwd=hexo,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-3000:]
    return Published(root, plan, payload_names(distinct), log)


@pytest.fixture(scope="module")
def browser(published: Published) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def site_scan(published: Published, browser: Any) -> Scan:
    site = published.root / "site"
    # Pages and the feeds a reader might open in the browser (XML, rendered as a tree).
    with serve(site) as base:
        paths = served_pages(site, (".html", ".xml"))
        return scan_pages(
            browser,
            base,
            paths,
            poke="main",
            content="article.post .content",
            names=published.names,
        )


@pytest.fixture(scope="module")
def hexo_scan(published: Published, browser: Any) -> Scan:
    public = published.root / "hexo" / "public"
    with serve(public) as base:
        paths = served_pages(public)
        return scan_pages(
            browser, base, paths, poke="body", content="article.post", names=published.names
        )


def test_every_item_body_reaches_a_page_of_both_outputs(
    published: Published, site_scan: Scan, hexo_scan: Scan
) -> None:
    markers = {batch.marker for batch in published.plan.batches}
    assert len(markers) == len(published.plan.batches) > 50
    assert site_scan.markers == markers
    assert hexo_scan.markers == markers
    assert published.plan.vectors > 1150


def test_titles_reach_hexo_as_text_that_no_theme_can_run(published: Published) -> None:
    # Hexo gets every title as the feed's text with look-alikes for what HTML reads ("＜script"
    # instead of "<script"): the same on a page whether the theme escapes it or not (the
    # themes people use do not; see test_hexo_themes_browser.py).
    report = published.root / "hexo" / "public" / "hotpress-check.json"
    read = sorted(post["title"] for post in json.loads(report.read_text("utf-8")))
    sent = [clean_title(batch.title) for batch in published.plan.batches]
    assert read == sorted(theme_text(title) for title in sent)
    assert not any(set(title) & set("<>\"'") for title in read)
    assert sum("＜script" in title.lower() for title in read) > 10


def test_no_site_page_runs_a_script_opens_a_dialog_or_navigates(site_scan: Scan) -> None:
    assert site_scan.pages > len(site_scan.markers)
    assert site_scan.events == []


def test_no_hexo_page_runs_a_script_opens_a_dialog_or_navigates(hexo_scan: Scan) -> None:
    assert hexo_scan.pages >= len(hexo_scan.markers)
    assert hexo_scan.events == []


PROBE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="https://evil.example/x.css"></head><body><main>
<p>XSSMARK9999</p>
<img src="https://evil.example/a.png" onerror="alert('img')">
<script>xss(1)</script>
<script src="https://evil.example/x.js"></script>
<a href="javascript:confirm('link')">click</a>
<div onmouseover="document.write('dw')">hover</div>
<script>undefinedThing.boom()</script>
<img src="https://evil.example/b.png" onerror="history.pushState(null, '', '/moved.html')">
</main></body></html>
"""


def test_the_hooks_catch_every_kind_of_escape(
    published: Published, browser: Any, tmp_path: Path
) -> None:
    # The same hooks over unsanitized markup: each channel must be able to fail.
    (tmp_path / "probe.html").write_text(PROBE, encoding="utf-8")
    with serve(tmp_path) as base:
        scan = scan_pages(
            browser, base, ["/probe.html"], poke="main", content="main", names=published.names
        )
    kinds = {event["kind"] for event in scan.events}
    details = " ".join(event["detail"] for event in scan.events)
    assert kinds >= {
        *("exec:alert", "exec:xss", "exec:confirm", "exec:document.write", "exec:csp"),
        *("markup:script", "markup:handler", "markup:link"),
        *("request:script", "request:stylesheet", "navigation", "pageerror"),
    }, scan.events
    assert "img" in details and "link" in details
    assert scan.markers == {"XSSMARK9999"}


def test_figures_are_written_to_test_output(
    published: Published, site_scan: Scan, hexo_scan: Scan
) -> None:
    plan = published.plan
    figures = {
        "vectors": plan.vectors,
        "vectors_alone_in_an_item": plan.alone,
        "items": len(plan.batches),
        "link_vectors": plan.links,
        "sentinel_functions": len(published.names),
        "outputs": {
            name: {
                "pages_loaded": scan.pages,
                "item_bodies_seen": len(scan.markers),
                "events": len(scan.events),
                "event_list": scan.events[:200],
                "external_requests_blocked": dict(scan.blocked),
                "console_errors": scan.console_errors,
            }
            for name, scan in (("site", site_scan), ("hexo", hexo_scan))
        },
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps({k: v for k, v in figures.items() if k != "outputs"}))
    for name, scan in (("site", site_scan), ("hexo", hexo_scan)):
        print(f"{name}: {scan.pages} pages, {len(scan.events)} events, blocked {scan.blocked}")
    assert json.loads(REPORT.read_text("utf-8"))["vectors"] == plan.vectors
