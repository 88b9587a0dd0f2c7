"""Hostile titles, authors and categories in the Hexo themes people really use, in a browser.

Volantis prints ``post.title`` raw (``<%- post.title %>``) in the ``<h1>``, the prev/next links,
the "recent posts" sidebar on every page and inside single-quoted attributes; landscape escapes
it. ``hotpress run`` publishes the whole hostile-title corpus (``corpora/hexo``), the issue's
cases and their neighbours (one JSON Feed per hostile category and author) plus the bundled
example's feeds; a real Hexo 8 builds the posts once per theme (Volantis 6.8.3, Volantis
5.8.0, landscape: npm, pinned in tests/hexo_themes/package-lock.json, installed once per
lockfile like tests/hexo_check); every generated page is then loaded in headless Chromium with
the hooks of tests/xss_browser (trapped dialogs and payload functions, report-only CSP).

Target: no dialog, no payload function called, no handler or swallowed text left in any page;
each post's ``<h1>`` and browser title show its title legibly (the same text Hexo read, no
``&lt;``/``&#39;``), and its body is page text, not script text. Figures go to
``test-output/hexo-themes-browser.json`` (and stdout with ``-s``).
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from conftest import REPO, skip_or_fail
from hexo_themes.sites import (
    HERE,
    HOSTILE_NAMES,
    ISSUE_TITLES,
    NEIGHBOUR_TITLES,
    THEMES,
    benign_source,
    build,
    hostile_feed,
)
from hotpress.cli import main
from test_hexo_real import _hexo_modules, _node_ok
from xss_browser.browse import ARGS, CHROMIUM, payload_names, serve

pytestmark = pytest.mark.network_peer

REPORT = REPO / "test-output" / "hexo-themes-browser.json"
MARKER = re.compile(r"BODYMARK\d{4}")
# What a double escape leaves visible: a character reference shown as text.
ENTITY = re.compile(r"&(?:[a-z]+|#\d+|#x[0-9a-f]+);", re.IGNORECASE)


@dataclass(frozen=True)
class Built:
    root: Path
    titles: list[str]
    names: list[str]
    expected: dict[str, dict[str, Any]]  # post source -> what the item holds
    posts: dict[str, list[dict[str, Any]]]  # theme -> what Hexo read
    logs: dict[str, str]


def _publish(root: Path, corpora: Path) -> list[str]:
    """`hotpress run` over the example's feeds and one feed per hostile category/author."""
    cases = json.loads((corpora / "hexo" / "cases.json").read_text("utf-8"))
    titles = [case["title"] for case in cases["titles"]] + ISSUE_TITLES + NEIGHBOUR_TITLES
    shutil.copytree(REPO / "examples" / "feeds", root / "feeds")
    config = (REPO / "examples" / "hotpress.yml").read_text("utf-8")
    config = config.replace("hexo: blog/source/_posts", "hexo: site/source/_posts")
    config = config.replace("  site: public\n", "")
    for k, name in enumerate(HOSTILE_NAMES):
        share = [(n, t) for n, t in enumerate(titles) if n % len(HOSTILE_NAMES) == k]
        feed = root / f"hostile-{k}.json"
        feed.write_text(json.dumps(hostile_feed(share), ensure_ascii=False), encoding="utf-8")
        category = json.dumps(["测试", name, "标题"], ensure_ascii=False)
        author = json.dumps(HOSTILE_NAMES[-1 - k], ensure_ascii=False)
        config += f"  - category: {category}\n    author: {author}\n    url: {feed.name}\n"
    (root / "hotpress.yml").write_text(config, encoding="utf-8")
    assert main(["run", "-q", "-c", str(root / "hotpress.yml")]) == 0
    return titles


def _expected(root: Path) -> dict[str, dict[str, Any]]:
    from hotpress._storage import SQLiteStorage

    with SQLiteStorage(root / "example.db") as store:
        items = {item.id: item for item in store.iter_items()}
        expected = {}
        for post in (root / "site" / "source" / "_posts").rglob("*.md"):
            rel = post.relative_to(root / "site" / "source" / "_posts").as_posix()
            owner = store.path_owner("hexo", rel)
            assert owner is not None, rel
            item = items[owner]
            expected["_posts/" + rel] = {
                "title": item.title,
                "author": item.source_author,
                "categories": list(item.category),
                "marker": (MARKER.findall(item.content) or [None])[0],
            }
    return expected


@pytest.fixture(scope="module")
def built(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    if not Path(CHROMIUM).is_file():
        skip_or_fail("chromium not installed (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail("playwright is not installed")
    _node_ok()
    modules = _hexo_modules(HERE)
    root = tmp_path_factory.mktemp("hexo-themes")
    titles = _publish(root, corpora)
    expected = _expected(root)
    logs, posts = {}, {}
    for theme in THEMES:
        logs[theme], posts[theme] = build(root, modules, theme, root / "site" / "source", theme)
        build(root, modules, theme, benign_source(root), f"benign-{theme}")
    names = payload_names([*titles, *HOSTILE_NAMES])
    return Built(root, titles, names, expected, posts, logs)


@dataclass
class ThemeScan:
    pages: int = 0
    post_pages: int = 0
    events: list[dict[str, str]] = field(default_factory=list)
    wrong: list[dict[str, str]] = field(default_factory=list)
    markers: set[str] = field(default_factory=set)
    page_errors: list[str] = field(default_factory=list)

    def add(self, url: str, kind: str, detail: str) -> None:
        self.events.append({"page": url, "kind": kind, "detail": detail[:300]})


def _pages(public: Path) -> list[Path]:
    """Every page a reader can reach: posts, index, archives, categories (not theme assets)."""
    skip = {"css", "js", "lib", "fancybox", "media", "images"}
    return sorted(p for p in public.rglob("*.html") if p.relative_to(public).parts[0] not in skip)


def _fold(text: str) -> str:
    """A title with look-alike characters taken back to ASCII, whitespace collapsed."""
    table = str.maketrans("＜＞＆“”‘’＂＇", "<>&\"\"''\"'")
    return " ".join(text.translate(table).split())


def _scan_theme(browser: Any, built: Built, theme: str, site: str) -> ThemeScan:
    public = built.root / site / "public"
    posts = {post["path"]: post for post in built.posts[theme]} if site == theme else {}
    probe = (HERE / "probe.js").read_text("utf-8").split("*/", 1)[1].strip()
    hooks = (REPO / "tests" / "xss_browser" / "hooks.js").read_text("utf-8")
    hooks = hooks.replace("__NAMES__", json.dumps(built.names))
    call = re.compile(r"(?<![\w$.])(" + "|".join(map(re.escape, built.names)) + r")\s*\(")
    scan = ThemeScan()
    context = browser.new_context(service_workers="block")
    context.add_init_script(hooks)
    # Only this machine: the theme's CDN scripts, fonts and styles are refused.
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("http://127.0.0.1:")
            else route.abort()
        ),
    )
    page = context.new_page()
    current = [""]
    page.on("dialog", lambda d: (scan.add(current[0], "dialog", d.message), d.dismiss()))
    page.on("popup", lambda p: scan.add(current[0], "popup", p.url))
    page.on("pageerror", lambda e: scan.page_errors.append(f"{current[0]} {e}"))
    with serve(public) as base:
        for path in _pages(public):
            rel = path.relative_to(public).as_posix()
            current[0] = url = base + "/" + quote(rel)
            scan.pages += 1
            page.goto(url, wait_until="load")
            seen = page.evaluate(probe, built.names)
            page.wait_for_timeout(5)
            for event in page.evaluate("window.__xssEvents || []"):
                kind, _, detail = event.partition(": ")
                # The report-only CSP also reports the theme's own inline scripts: only a
                # sample calling a payload function is the payload's.
                if kind != "csp" or call.search(detail):
                    scan.add(url, f"exec:{kind}", detail)
            for finding in seen["found"]:
                kind, _, detail = finding.partition(": ")
                scan.add(url, f"markup:{kind}", detail)
            if page.url.split("#")[0] != url:
                scan.add(url, "navigation", page.url)
            post = posts.get(rel.removesuffix("index.html"))
            if post is not None:
                scan.post_pages += 1
                _check_post(scan, url, post, seen)
            elif ENTITY.search(seen["title"]):  # a category's or archive's browser title
                problem = f"visible character reference in {seen['title']!r}"
                scan.wrong.append({"page": url, "title": "", "problems": problem})
            scan.markers.update(MARKER.findall(seen["text"]))
    context.close()
    return scan


def _check_post(scan: ThemeScan, url: str, post: dict[str, Any], seen: dict[str, Any]) -> None:
    """The post page shows the title Hexo read, legibly, and its body as page text."""
    title = " ".join(str(post["title"]).split())
    if not title:
        return
    problems = []
    if title not in seen["h1"]:
        problems.append(f"h1 {seen['h1']!r}")
    if title not in " ".join(seen["title"].split()):
        problems.append(f"document.title {seen['title']!r}")
    for shown in (*seen["h1"], seen["title"]):
        if ENTITY.search(shown) and not ENTITY.search(title):
            problems.append(f"visible character reference in {shown!r}")
    if problems:
        scan.wrong.append({"page": url, "title": title, "problems": "; ".join(problems)})


@pytest.fixture(scope="module")
def scans(built: Built) -> dict[str, ThemeScan]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            return {
                name: _scan_theme(browser, built, theme, name)
                for theme in THEMES
                for name in (theme, f"benign-{theme}")
            }
        finally:
            browser.close()


def test_every_theme_builds_every_post(built: Built) -> None:
    for theme in THEMES:
        log = built.logs[theme]
        assert "Process failed" not in log, log[-3000:]
        assert "ERROR" not in log, log[-3000:]
        assert sorted(p["source"] for p in built.posts[theme]) == sorted(built.expected)
    hostile = [e for e in built.expected.values() if e["marker"]]
    assert len(hostile) == len(built.titles) == 49 + len(ISSUE_TITLES) + len(NEIGHBOUR_TITLES)
    # The archive keeps the feed's text; only the Hexo output shows look-alikes.
    archived = {e["title"] for e in built.expected.values()}
    assert {*ISSUE_TITLES, *NEIGHBOUR_TITLES} <= archived
    assert {e["categories"][1] for e in hostile} == set(HOSTILE_NAMES)


def test_hexo_reads_every_title_author_and_category_as_the_feed_meant_it(built: Built) -> None:
    # Look-alike characters may stand for <, >, &, ' and "; nothing else may change.
    wrong = []
    for post in built.posts["landscape"]:
        want = built.expected[post["source"]]
        have = {
            "title": _fold(str(post["title"])),
            "author": _fold(str(post["author"])),
            "categories": [_fold(c) for c in post["categories"]],
        }
        if have != {
            "title": _fold(want["title"]),
            "author": _fold(want["author"]),
            "categories": [_fold(c) for c in want["categories"]],
        }:
            wrong.append((post["source"], have, want))
    assert wrong == []


def test_no_theme_page_runs_a_payload_or_keeps_a_handler(scans: dict[str, ThemeScan]) -> None:
    for theme in THEMES:
        scan = scans[theme]
        assert scan.pages > scan.post_pages > 60, theme
        assert scan.events == [], (theme, scan.events[:20])


def test_every_post_shows_its_title_legibly_and_its_body_as_text(
    built: Built, scans: dict[str, ThemeScan]
) -> None:
    markers = {e["marker"] for e in built.expected.values() if e["marker"]}
    for theme in THEMES:
        scan = scans[theme]
        assert scan.post_pages == len(built.expected), theme
        assert scan.wrong == [], (theme, scan.wrong[:10])
        assert scan.markers >= markers, (theme, sorted(markers - scan.markers)[:20])


def _errors(scan: ThemeScan) -> set[str]:
    return {error.split(" ", 1)[1] for error in scan.page_errors}


def test_titles_add_no_page_error(scans: dict[str, ThemeScan]) -> None:
    # The theme's own scripts fail here without their CDN libraries ("Pjax is not defined"):
    # the same site with one harmless post shows which. A title must add none (a title
    # read as script fails with "Unexpected identifier" if it runs nothing).
    for theme in THEMES:
        benign = scans[f"benign-{theme}"]
        assert benign.events == [], (theme, benign.events[:10])
        assert _errors(scans[theme]) <= _errors(benign), theme


def test_figures_are_written_to_test_output(built: Built, scans: dict[str, ThemeScan]) -> None:
    figures = {
        "hostile_titles": len(built.titles),
        "hostile_names": len(HOSTILE_NAMES),
        "posts": len(built.expected),
        "payload_functions": built.names,
        "themes": {
            theme: {
                "pages_loaded": scan.pages,
                "post_pages": scan.post_pages,
                "events": len(scan.events),
                "dialogs": sum(e["kind"] == "dialog" for e in scan.events),
                "events_by_kind": dict(Counter(e["kind"] for e in scan.events)),
                "pages_with_events": len({e["page"] for e in scan.events}),
                "illegible_titles": len(scan.wrong),
                "bodies_seen": len(scan.markers),
                "page_errors_distinct": sorted(_errors(scan)),
                "event_list": scan.events[:100],
                "wrong_list": scan.wrong[:100],
            }
            for theme, scan in scans.items()
        },
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    for theme, scan in scans.items():
        print(
            f"{theme}: {scan.pages} pages ({scan.post_pages} posts), {len(scan.events)} events,"
            f" on {len({e['page'] for e in scan.events})} pages,"
            f" {len(scan.wrong)} illegible titles, {len(scan.markers)} bodies seen"
        )
    assert json.loads(REPORT.read_text("utf-8"))["posts"] == len(built.expected)
