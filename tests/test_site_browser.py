"""The built site in a real browser: headless Chromium driven by Playwright, no network.

Every request that leaves 127.0.0.1 is answered locally (a 1x1 PNG for images, 404 otherwise)
so covers from picsum and content images load without the internet.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from conftest import REPO, skip_or_fail
from golden.sample import SOURCES, START, make_item, sample_archive, sample_settings, store
from hotpress._normalize.sanitize import sanitize_html
from hotpress._site import build_site
from hotpress._site.serve import make_server
from hotpress._site.urls import item_file
from hotpress.types import FetchResult, Validators

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
SHOTS = REPO / "test-output" / "site"
HOSTILE_ERROR = "HTTP 500 <img src=x onerror=alert(1)><script>alert(2)</script>"
# Any of these being called means a script from the content ran.
TRAP = """
window.__xss = [];
for (const name of ["alert", "confirm", "prompt"]) {
  window[name] = (...args) => { window.__xss.push(name + ":" + args.join(",")); };
}
"""


def xss_body(corpora: Path) -> str:
    owasp = json.loads((corpora / "xss/owasp/xss_filter_evasion.json").read_text("utf-8"))
    dompurify = json.loads((corpora / "xss/dompurify/expect.json").read_text("utf-8"))
    payloads = [v["payload"] for v in owasp["vectors"]] + [c["payload"] for c in dompurify]
    return "<p>跨站脚本测试</p>" + "\n".join(payloads)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, corpora: Path) -> Iterator[tuple[str, str]]:
    if not Path(CHROMIUM).is_file():
        skip_or_fail("chromium not installed (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail("playwright is not installed (pip install -e '.[test]')")
    # Screenshots are this run's: none left by an earlier run can stand in for them.
    for stale in SHOTS.glob("*.png"):
        stale.unlink()
    folder = tmp_path_factory.mktemp("browser")
    storage = sample_archive(folder / "hotpress.db")
    github = SOURCES[2]
    hostile = make_item(github, 40, title="XSS 样本", body=sanitize_html(xss_body(corpora)))
    store(storage, github, [hostile])
    # A failing source whose error text is hostile, for the status page.
    failed = FetchResult(SOURCES[1].key, SOURCES[1].url, 500, None, None, Validators(), 0.2)
    storage.save_fetch(
        SOURCES[1].key, failed, None, now=START + timedelta(hours=1), error=HOSTILE_ERROR,
        next_due=START + timedelta(hours=2),
    )  # fmt: skip
    report = build_site(sample_settings(folder, status=True), storage)
    storage.close()
    assert report.error is None
    server = make_server(folder / "public", "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host!s}:{port}", f"/{item_file(hostile.identity)}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(served: tuple[str, str]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()


def screenshot(page: Any, name: str) -> None:
    """A full-page screenshot under test-output/site/, checked to be a PNG just written."""
    target = SHOTS / name
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


class Watched:
    """A page that records console errors, uncaught exceptions, dialogs and escapes."""

    def __init__(self, browser: Any, width: int) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.context.add_init_script(TRAP)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.scripts_out: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route: Any) -> None:
        request = route.request
        if urlsplit(request.url).hostname == "127.0.0.1":
            route.continue_()
        elif request.resource_type == "image":
            route.fulfill(status=200, content_type="image/png", body=PNG)
        else:
            self.scripts_out.append(f"{request.resource_type} {request.url}")
            route.fulfill(status=404, body="")


def test_reader_follows_a_category_opens_an_item_and_searches_in_chinese(
    served: tuple[str, str], browser: Any
) -> None:
    base, _ = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, name in ((390, "phone"), (1280, "desktop")):
        watched = Watched(browser, width)
        page = watched.page
        page.goto(base + "/")
        assert page.locator("article.card").count() == 4
        screenshot(page, f"home-{name}.png")
        category = page.locator("article.card .meta a").nth(1)
        label = category.inner_text()
        category.click()
        page.wait_for_load_state()
        assert "/c/" in page.url
        assert f" / {label} " in page.locator("h1.list-title").inner_text()
        page.locator("article.card h2 a").first.click()
        page.wait_for_load_state()
        assert page.locator("article.post > h1").is_visible()
        assert page.locator("nav.crumbs a").count() >= 3
        screenshot(page, f"item-{name}.png")
        assert watched.errors == [] and watched.dialogs == []
        watched.context.close()

    watched = Watched(browser, 1280)
    page = watched.page
    page.goto(base + "/search/")
    page.locator("#search input[name=q]").fill("充电桩")
    result = page.locator("a.search-result").first
    result.wait_for(timeout=10_000)
    result.click()
    page.wait_for_load_state()
    assert "/items/" in page.url
    assert "充电桩" in page.locator("article.post .content").inner_text()
    assert watched.errors == []
    assert watched.scripts_out == []
    watched.context.close()


def test_an_item_built_from_xss_vectors_runs_no_script(
    served: tuple[str, str], browser: Any
) -> None:
    base, hostile = served
    watched = Watched(browser, 1280)
    page = watched.page
    page.goto(base + hostile)
    page.wait_for_timeout(500)
    assert "跨站脚本测试" in page.locator("article.post .content").inner_text()
    assert page.evaluate("window.__xss") == []
    assert watched.dialogs == []
    assert watched.scripts_out == []
    bad = page.evaluate(
        """() => [...document.querySelectorAll('.content *')].filter(e =>
            /^(script|iframe|object|embed|base|meta|link|form|style)$/i.test(e.tagName) ||
            [...e.attributes].some(a => a.name.startsWith('on'))).map(e => e.outerHTML)"""
    )
    assert bad == []
    watched.context.close()


def test_the_status_page_fits_a_phone_and_shows_a_hostile_error_as_text(
    served: tuple[str, str], browser: Any
) -> None:
    base, _ = served
    watched = Watched(browser, 390)
    page = watched.page
    page.goto(base + "/")
    page.locator("footer a[href$='/status/']").click()
    page.wait_for_load_state()
    assert page.locator("h1.list-title").inner_text().startswith("源状态")
    first = page.locator("tbody tr").first
    assert first.locator("td").first.inner_text().startswith("失败")
    assert HOSTILE_ERROR in first.inner_text()  # shown as text, not run
    # The wide table scrolls inside its box; the page itself does not scroll sideways.
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    screenshot(page, "status-phone.png")
    assert page.evaluate("window.__xss") == []
    assert watched.errors == [] and watched.dialogs == [] and watched.scripts_out == []
    watched.context.close()
