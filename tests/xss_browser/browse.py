"""A built output served on 127.0.0.1 and every page of it loaded in Chromium with hooks that
record script execution, dialogs, navigation and requests leaving the machine."""

from __future__ import annotations

import functools
import json
import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from hotpress._normalize.sanitize import IFRAME_HOSTS
from test_site_browser import ARGS, CHROMIUM

__all__ = ["ARGS", "CHROMIUM", "Scan", "payload_names", "scan_pages", "serve", "served_pages"]

HERE = Path(__file__).resolve().parent
# Report-only: nothing is blocked (a payload that got through still runs and trips the traps),
# but every inline script, handler, javascript: URL, eval or plugin is reported to the page.
CSP = "script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'; form-action 'none'"
# What may legitimately leave the machine from a published page: media, and the video players
# the sanitizer keeps. Everything is aborted anyway; anything else is an event.
_PASSIVE = frozenset({"image", "media", "font"})
_CALL = re.compile(r"([A-Za-z_$][\w$]*)\s*\(")
MARKER = re.compile(r"XSSMARK\d{4}")


class _Handler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy-Report-Only", CSP)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(root: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def served_pages(root: Path, suffixes: tuple[str, ...] = (".html",)) -> list[str]:
    """Root-relative, percent-encoded URLs of every file of ``root`` with these suffixes."""
    files = (p for p in root.rglob("*") if p.is_file() and p.name.endswith(suffixes))
    return sorted("/" + quote(p.relative_to(root).as_posix()) for p in files)


def payload_names(raws: Iterable[str]) -> list[str]:
    """Every identifier the vectors call (``alert(``, ``xss(``...), to become a sentinel."""
    return sorted({name for raw in raws for name in _CALL.findall(raw)})


@dataclass
class Scan:
    pages: int = 0
    events: list[dict[str, str]] = field(default_factory=list)
    blocked: Counter[str] = field(default_factory=Counter)
    console_errors: list[str] = field(default_factory=list)
    markers: set[str] = field(default_factory=set)

    def add(self, url: str, kind: str, detail: str) -> None:
        self.events.append({"page": url, "kind": kind, "detail": detail[:300]})


def _route(scan: Scan, page_url: list[str], route: Any) -> None:
    request = route.request
    host = urlsplit(request.url).hostname
    kind = request.resource_type
    if host == "127.0.0.1" and kind not in _PASSIVE:
        route.continue_()
        return
    if host != "127.0.0.1":
        scan.blocked[kind] += 1
        if kind not in _PASSIVE and not (kind == "document" and host in IFRAME_HOSTS):
            scan.add(page_url[0], f"request:{kind}", request.url)
    route.abort()


def scan_pages(
    browser: Any, base: str, paths: list[str], *, poke: str, content: str, names: list[str]
) -> Scan:
    """Load every page, poke the elements under ``poke`` with events, collect the markers in
    the text of ``content``, and record everything the hooks saw."""
    from playwright.sync_api import Error as PlaywrightError

    scan = Scan()
    hooks = (HERE / "hooks.js").read_text("utf-8").replace("__NAMES__", json.dumps(names))
    # Playwright takes a string as a function only when it starts like one: drop the header.
    inspect = (HERE / "inspect.js").read_text("utf-8").split("*/", 1)[1].strip()
    context = browser.new_context(service_workers="block")
    context.add_init_script(hooks)
    current = [""]
    context.route("**/*", functools.partial(_route, scan, current))
    page = context.new_page()

    def dialog(d: Any) -> None:
        scan.add(current[0], "dialog", f"{d.type}: {d.message}")
        d.dismiss()

    def navigated(frame: Any) -> None:
        if frame == page.main_frame and frame.url.split("#")[0] != current[0]:
            scan.add(current[0], "navigation", frame.url)

    def console(message: Any) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            scan.console_errors.append(f"{current[0]} {message.text[:200]}")

    page.on("dialog", dialog)
    page.on("framenavigated", navigated)
    page.on("console", console)
    page.on("pageerror", lambda error: scan.add(current[0], "pageerror", str(error)))
    page.on("popup", lambda popup: scan.add(current[0], "popup", popup.url))
    for path in paths:
        current[0] = base + path
        scan.pages += 1
        try:
            _visit(page, scan, current[0], inspect, poke=poke, content=content)
        except PlaywrightError as error:
            # The page went away under the hooks (or never finished loading because script
            # sent it elsewhere): itself an escape, recorded as such.
            scan.add(current[0], "navigation", f"{page.url} ({error.message.splitlines()[0]})")
    context.close()
    return scan


def _visit(page: Any, scan: Scan, url: str, inspect: str, *, poke: str, content: str) -> None:
    page.goto(url, wait_until="load")
    text = page.evaluate(f"[...document.querySelectorAll({content!r})].map(e => e.textContent)")
    scan.markers.update(MARKER.findall(" ".join(text)))
    seen = 0
    for step in ("load", "poke"):
        if step == "poke":
            for finding in page.evaluate(inspect, poke):
                kind, _, detail = finding.partition(": ")
                scan.add(url, f"markup:{kind}", detail)
            page.wait_for_timeout(10)
        # Read after loading and again after poking, so that a poke that navigates away
        # does not take the load-time records with it.
        events = page.evaluate("window.__xssEvents || []")
        for event in events[seen:]:
            kind, _, detail = event.partition(": ")
            scan.add(url, f"exec:{kind}", detail)
        seen = len(events)
