"""Every XSS corpus vector packed into one JSON Feed, for tests/test_xss_browser.py.

Vectors share an item body (fewer pages to load), except those that swallow whatever follows
them (an unclosed quote, ``<textarea>``, ``<plaintext``...): packed with others they would hide
their neighbours from the sanitizer, so each of those gets an item of its own. Every vector
also appears in a title, and the ``javascript:``/``data:`` URLs found in the corpus become the
items' links.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hotpress._normalize.sanitize import sanitize_html

__all__ = ["Batch", "FeedPlan", "link_vectors", "plan_feed", "write_json_feed"]

PER_ITEM = 20
TITLES_PER_ITEM = 12
BASE = "https://example.org/news/"
_PROBE = "<b>XSSPROBE</b>"
# Hexo-specific: Markdown and Nunjucks run over the post after hotpress wrote it, so text that
# is inert HTML could become a link or a tag there.
EXTRA = [
    ("hotpress:md-link", "<p>a</p>\n\n[x](javascript:alert(1))\n\n<p>b</p>"),
    ("hotpress:md-image", "<p>a</p>\n\n![x](javascript:alert(1))\n\n"),
    ("hotpress:md-autolink", "<p>a</p>\n\n<javascript:alert(1)>\n\n"),
    ("hotpress:md-refdef", "<p>a</p>\n\n[x]\n\n[x]: javascript:alert(1)\n"),
    ("hotpress:md-escaped-tag", "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n\n&lt;script&gt;"),
    ("hotpress:md-pre", "<pre>\n\n<a href=x>y</a>\n\n[x](javascript:alert(1))</pre>"),
    ("hotpress:njk-raw", "{% raw %}<img src=x onerror=alert(1)>{% endraw %}{{ '<script>' }}"),
    ("hotpress:njk-entity", "<p>&#123;&#123; 'x' | safe &#125;&#125; {{ constructor }}</p>"),
]
HAND_LINKS = [
    "javascript:alert(1)",
    " \tJaVaScRiPt:alert(1)",
    "java\nscript:alert(1)",
    "\x01javascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "//javascript:alert(1)",
]
_URL_ATTR = re.compile(
    r"""(?:href|src|action|formaction|background|dynsrc|lowsrc|xlink:href|data|poster)"""
    r"""\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Batch:
    marker: str
    names: tuple[str, ...]
    body: str
    title: str
    link: str | None


@dataclass(frozen=True)
class FeedPlan:
    batches: tuple[Batch, ...]
    vectors: int
    alone: int
    links: int


def link_vectors(raws: Iterable[str]) -> list[str]:
    """Script and data URLs found in the corpus attributes, plus a few spelled by hand."""
    found = dict.fromkeys(HAND_LINKS)
    for raw in raws:
        for match in _URL_ATTR.finditer(raw):
            value = html.unescape(match.group(1).strip("\"'"))
            if re.search(r"script|data:", value, re.IGNORECASE):
                found[value] = None
    return list(found)


def _swallows_what_follows(raw: str) -> bool:
    return _PROBE not in sanitize_html(raw + _PROBE, BASE)


def plan_feed(cases: list[tuple[str, str]]) -> FeedPlan:
    """``cases`` are (name, raw) pairs with distinct raws; the result holds each raw in exactly
    one body and one title."""
    cases = cases + EXTRA
    alone = [case for case in cases if _swallows_what_follows(case[1])]
    packed = [case for case in cases if case not in alone]
    groups = [packed[i : i + PER_ITEM] for i in range(0, len(packed), PER_ITEM)]
    groups += [[case] for case in alone]
    links = link_vectors(raw for _, raw in cases)
    per_title = max(TITLES_PER_ITEM, -(-len(cases) // len(groups)))
    batches = []
    for n, group in enumerate(groups):
        marker = f"XSSMARK{n:04d}"
        titled = cases[n * per_title : (n + 1) * per_title]
        batches.append(
            Batch(
                marker=marker,
                names=tuple(name for name, _ in group),
                # The marker sits in its own paragraph first, so no vector can swallow it.
                body=f"<p>{marker}</p>\n" + "\n".join(raw for _, raw in group),
                title=f"{marker} " + " ".join(raw for _, raw in titled),
                link=links[n] if n < len(links) else None,
            )
        )
    assert sum(len(b.names) for b in batches) == len(cases)
    assert len(links) <= len(batches), "more link vectors than items: lower PER_ITEM"
    return FeedPlan(tuple(batches), len(cases), len(alone), len(links))


def write_json_feed(plan: FeedPlan, path: Path) -> None:
    items = [
        {
            "id": f"xss-{batch.marker}",
            "url": batch.link,
            "title": batch.title,
            "content_html": batch.body,
            "authors": [{"name": batch.title[:200]}],
            "date_published": f"2024-01-01T{n // 60 % 24:02d}:{n % 60:02d}:00Z",
        }
        for n, batch in enumerate(plan.batches)
    ]
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "XSS <script>alert('feed')</script>",
        "home_page_url": BASE,
        "items": items,
    }
    path.write_text(json.dumps(feed), encoding="utf-8")
