"""Pieces of one site build: the search index step, the lists an item is on, the fixed
pages (categories, archives, search, 404, robots, static files, sitemaps) and the count of
the folder's files."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hotpress._publish.writer import TEMP_DIR, Writer
from hotpress._site import extra, search, searchindex
from hotpress._site.pages import Renderer
from hotpress._site.plan import Plan
from hotpress._site.theme import static_files
from hotpress._storage.site_rows import OrderRow, SitemapRow, SiteSource, SiteStore

OUTPUT = "site"


def render_search(
    storage: SiteStore,
    writer: Writer,
    renderer: Renderer,
    segments: searchindex.Segments,
    before: Mapping[str, str],
    state: Mapping[str, str],
    sources: dict[int, SiteSource],
    *,
    write: bool,
) -> tuple[dict[str, str], dict[str, str]]:
    """Bring the search index up to date (``searchindex.py``): the state entries of every
    segment, and the index's own. The segment digests are kept with search off too: they
    tell which sitemap parts changed."""
    digests = segments.digests()
    seg_state = {f"@search/{k}": d for k, d in digests.items()}
    if not write:
        return seg_state, {}

    def load(segment: int) -> list[search.Doc]:
        return [
            search.Doc(
                item.id,
                renderer.page_url(path),
                item.title,
                item.date.astimezone(renderer.zone).strftime("%Y-%m-%d"),
                " / ".join(item.category),
                item.content,
            )
            for item, path in storage.site_items(segments.ids[segment], OUTPUT).values()
            if path
        ]

    state, _ = searchindex.update_index(
        digests,
        segments.ids,
        before,
        load,
        writer.write,
        [" / ".join(s.category) for s in sources.values()],
        state.get("@search-base") if (writer.root / search.FOLDER / "b/0.bin").is_file() else None,
    )
    return seg_state, {k: v for k, v in state.items() if not k.startswith("@search/")}


class _SourceLists(dict[int, list[str]]):
    """Source id -> the lists of its items, made when first asked (a tail build asks for
    the sources of its new items only, of 20,000)."""

    def __init__(self, sources: dict[int, SiteSource]) -> None:
        super().__init__()
        self.sources = sources

    def __missing__(self, source_id: int) -> list[str]:
        path = self.sources[source_id].category
        keys = ["all"] + [extra.category_key(path[: i + 1]) for i in range(len(path))]
        self[source_id] = keys
        return keys


class ListKeys:
    """The lists an item is on: all items, each level of its category, its month."""

    def __init__(self, sources: dict[int, SiteSource], zone: ZoneInfo, *, months: bool) -> None:
        self.zone = zone
        self.with_months = months
        self.by_source = _SourceLists(sources)
        self.months: dict[int, str] = {}

    def __call__(self, row: OrderRow) -> Iterator[str]:
        yield from self.by_source[row.source_id]
        if not self.with_months:
            return
        # Month boundaries fall on quarter hours in every zone; cache per quarter hour.
        bucket = row.date // 900
        month = self.months.get(bucket)
        if month is None:
            local = datetime.fromtimestamp(bucket * 900, UTC).astimezone(self.zone)
            month = self.months[bucket] = extra.month_key(local.year, local.month)
        yield month


def render_fixed(
    theme: Path | None,
    plan: Plan,
    storage: SiteStore,
    writer: Writer,
    renderer: Renderer,
    sources: dict[int, SiteSource],
    stale_chunk: Callable[[int], bool],
    sitemap_rows: Iterable[SitemapRow],
    lastmods: dict[int, int],
) -> None:
    """``sitemap_rows``: every item's, or those of the stale sitemap parts with the others'
    newest dates in ``lastmods`` (which gets every part's)."""
    tree = extra.category_tree(renderer, (s.category for s in sources.values()), plan.counts)
    writer.write("categories/index.html", renderer.render("categories.html", nodes=tree))
    # Each list's front page (its numbered pages are linked from it: listing them all made
    # this part O(archive) in every build, and too long for one sitemap file at 1,000,000).
    listed = sorted(plan.fronts.values())
    listed.append("categories/index.html")
    if renderer.site.archives:
        years = extra.archive_years(renderer, plan.counts)
        writer.write(
            "archives/index.html", renderer.render("archives.html", heading="归档", years=years)
        )
        for year in years:
            writer.write(
                f"archives/{year['name']}/index.html",
                renderer.render("archives.html", heading=f"{year['name']} 年", years=[year]),
            )
        listed.append("archives/index.html")
    if renderer.site.search:
        writer.write("search/index.html", renderer.render("search.html"))
    writer.write("404.html", renderer.render("404.html"))
    writer.write("robots.txt", extra.robots(renderer.absolute))
    for rel, path in static_files(theme):
        writer.write(f"static/{rel}", path.read_bytes())
        if rel in ("favicon.svg", "favicon.ico"):  # browsers ask for /favicon.ico unprompted
            writer.write(rel, path.read_bytes())
    for name, data in extra.sitemaps(
        renderer.absolute, sitemap_rows, listed, stale_chunk, lastmods
    ):
        writer.write(name, data)


def count_files(root: Path) -> int:
    """Files in the site folder (hotpress's temporary folder left out)."""
    count = 0
    stack = [str(root)]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != TEMP_DIR:
                        stack.append(entry.path)
                else:
                    count += 1
    return count
