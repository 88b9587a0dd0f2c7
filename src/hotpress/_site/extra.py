"""The site's fixed pages: category tree, date archives, sitemap, robots.txt, 404, search."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hotpress._site.pages import Link, Renderer
from hotpress._site.urls import item_file, month_dir
from hotpress._site.xmltext import xml_text
from hotpress._storage.site_rows import SitemapRow

SITEMAP_CHUNK = 10_000
"""URLs per sitemap file (the protocol allows 50,000): items by id, so only the newest file
changes when items are added."""


@dataclass(slots=True)
class Node:
    name: str
    url: str
    count: int
    children: list[Node] = field(default_factory=list)


def category_tree(
    renderer: Renderer, paths: Iterable[tuple[str, ...]], counts: Mapping[str, int]
) -> list[Node]:
    roots: list[Node] = []
    index: dict[tuple[str, ...], Node] = {}
    for path in sorted(set(paths)):
        for depth in range(1, len(path) + 1):
            prefix = path[:depth]
            if prefix in index:
                continue
            node = Node(
                prefix[-1],
                renderer.u(renderer.category_dir(prefix) + "/"),
                counts.get(category_key(prefix), 0),
            )
            index[prefix] = node
            (index[prefix[:-1]].children if depth > 1 else roots).append(node)
    return roots


_PLAIN = re.compile(r'[^\x00-\x1f"\\]*')
"""A level JSON writes as it is (no quote, backslash or control character)."""


def category_key(path: tuple[str, ...]) -> str:
    """A category list's key: ``c`` and its levels as a JSON array (any character may be in
    a level; a separator character would split it). (The usual levels are joined by hand:
    ``json.dumps`` cost ~10 µs a key, 20,000 keys in every build at 1,000,000 items.)"""
    if all(_PLAIN.fullmatch(level) for level in path):
        return 'c["' + '", "'.join(path) + '"]' if path else "c[]"
    return "c" + json.dumps(list(path), ensure_ascii=False)


def category_path(key: str) -> tuple[str, ...]:
    """The levels of a key made by :func:`category_key`."""
    return tuple(json.loads(key[1:]))


def month_key(year: int, month: int) -> str:
    return f"m{year:04d}-{month:02d}"


def archive_years(renderer: Renderer, counts: Mapping[str, int]) -> list[dict[str, object]]:
    months: dict[int, list[Link]] = {}
    for key, count in counts.items():
        if key.startswith("m") and count:
            year, month = int(key[1:5]), int(key[6:8])
            url = renderer.u(month_dir(year, month) + "/")
            months.setdefault(year, []).append(Link(f"{month:02d}", url, count))
    return [
        {
            "name": str(year),
            "url": renderer.u(f"archives/{year:04d}/"),
            "count": sum(m.count for m in months[year]),
            "months": sorted(months[year], key=lambda m: m.name, reverse=True),
        }
        for year in sorted(months, reverse=True)
    ]


def sitemap_file(row: SitemapRow) -> str:
    return row.path or item_file(row.identity)


def sitemaps(
    absolute: str,
    rows: Iterable[SitemapRow],
    pages: Iterable[str],
    stale: Callable[[int], bool] = lambda chunk: True,
    lastmods: dict[int, int] | None = None,
) -> Iterator[tuple[str, bytes]]:
    """``sitemap.xml`` (an index) and its parts: list pages, then items by id range
    (``sitemap-items-<n>.xml`` holds ids ``(n-1)*SITEMAP_CHUNK ..``), each part's ``lastmod``
    its newest item's. Only the parts ``stale(n - 1)`` names are rendered (the others keep
    their file); every part is listed. ``lastmods``: the newest date of parts whose rows are
    not given (chunk number -> Unix seconds); it gets those of the parts read."""
    newest_of = {} if lastmods is None else lastmods

    def urlset(entries: Iterable[tuple[str, str | None]]) -> bytes:
        body = "".join(
            f"<url><loc>{xml_text(loc)}</loc>"
            + (f"<lastmod>{mod}</lastmod>" if mod else "")
            + "</url>\n"
            for loc, mod in entries
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{body}</urlset>\n"
        ).encode()

    def url_of(rel: str) -> str:
        return absolute + "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)

    entries: list[tuple[str, str | None]] = []
    chunk, newest, render = -1, 0, False

    def flush() -> Iterator[tuple[str, bytes]]:
        newest_of[chunk] = newest
        if render:
            yield f"sitemap-items-{chunk + 1}.xml", urlset(entries)

    for row in rows:
        if row.id // SITEMAP_CHUNK != chunk:
            if chunk >= 0:
                yield from flush()
            chunk, newest, entries = row.id // SITEMAP_CHUNK, 0, []
            render = stale(chunk)
        newest = max(newest, row.lastmod)
        if render:
            entries.append((url_of(sitemap_file(row)), _stamp(row.lastmod)))
    if chunk >= 0:
        yield from flush()
    yield "sitemap-pages.xml", urlset((url_of(p), None) for p in pages)
    parts: list[tuple[str, str | None]] = [
        (f"sitemap-items-{c + 1}.xml", _stamp(newest_of[c])) for c in sorted(newest_of)
    ]
    parts.append(("sitemap-pages.xml", None))
    index = "".join(
        f"<sitemap><loc>{xml_text(absolute)}/{name}</loc>"
        + (f"<lastmod>{mod}</lastmod>" if mod else "")
        + "</sitemap>\n"
        for name, mod in parts
    )
    yield (
        "sitemap.xml",
        (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{index}</sitemapindex>\n"
        ).encode(),
    )


def _stamp(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def robots(absolute: str) -> bytes:
    return f"User-agent: *\nAllow: /\nSitemap: {absolute}/sitemap.xml\n".encode()
