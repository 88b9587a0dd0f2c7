"""Build the static site from the archive, writing only what changed.

Order matters: item pages first (they fix each new item's path in ``publications``), then the
list pages and feeds that link to them, then the fixed pages, sitemap and search index.
A build over an unchanged archive stops after one query (the archive fingerprint).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from hotpress._progress import NullProgress, Progress
from hotpress._publish.posts import OutputReport
from hotpress._publish.writer import Writer
from hotpress._site import extra, search
from hotpress._site.feeds import FeedEntry, FeedMeta, atom, json_feed, rss
from hotpress._site.items import ItemPages
from hotpress._site.pages import Link, Renderer
from hotpress._site.plan import Plan, plan_lists
from hotpress._site.store import OrderRow, SiteSource, SiteStore
from hotpress._site.theme import fingerprint, make_env, static_files
from hotpress._site.urls import category_dir, month_dir
from hotpress._storage.base import Storage
from hotpress.config import Settings
from hotpress.exceptions import PublishError

OUTPUT = "site"
FEED_SIZE = 30
LAYOUT_VERSION = "1"
"""Bump when the Python side of rendering changes, so every page is rebuilt once."""


class SiteStorage(Storage, SiteStore, Protocol):
    """A backend usable for the site: the pipeline's storage plus the site's read queries."""


def build_site(
    settings: Settings,
    storage: SiteStorage,
    *,
    progress: Progress | None = None,
    now: datetime | None = None,
    force: bool = False,
) -> OutputReport:
    if settings.site_dir is None:
        raise PublishError("no site folder configured (output.site)", path=settings.path)
    progress = progress or NullProgress()
    root = settings.site_dir
    theme = Path(settings.site.theme) if settings.site.theme else None
    if theme is not None and not theme.is_absolute():
        theme = settings.path.resolve().parent / theme
    salt = hashlib.sha1(
        f"{LAYOUT_VERSION}\0{fingerprint(theme)}\0{settings.site.model_dump_json()}"
        f"\0{settings.timezone}".encode()
    ).hexdigest()
    state = storage.site_state()
    mark = f"{salt}:{storage.site_fingerprint().text()}"
    if not force and state.get("@build") == mark and (root / "index.html").is_file():
        return OutputReport(OUTPUT, 0, len(state) - 1)
    writer = Writer(root)
    renderer = Renderer(make_env(theme), settings.site, settings.timezone)
    try:
        _build(settings, storage, writer, renderer, salt, state, force, progress, theme)
    except PublishError as exc:
        return OutputReport(OUTPUT, writer.written, writer.unchanged, str(exc))
    storage.save_site_state({"@build": mark})
    del now  # pages never show the build time: relative dates are made in the browser
    return OutputReport(OUTPUT, writer.written, writer.unchanged + _skipped(state, writer))


def _skipped(state: dict[str, str], writer: Writer) -> int:
    return max(0, len(state) - 1 - len(writer.paths))


def _build(
    settings: Settings,
    storage: SiteStorage,
    writer: Writer,
    renderer: Renderer,
    salt: str,
    state: dict[str, str],
    force: bool,
    progress: Progress,
    theme: Path | None,
) -> None:
    root = writer.root
    rebuild = force or state.get("@salt") != salt
    pages = ItemPages(storage, writer, renderer, OUTPUT)
    progress.begin("site items", None)
    try:
        pages.build(force=rebuild, on_item=lambda: progress.advance("site items"))
    finally:
        progress.end("site items")

    sources = {s.id: s for s in storage.site_sources()}
    zone = ZoneInfo(settings.timezone)
    lists_of = _ListKeys(sources, zone)
    before = {} if rebuild else state
    # Files deleted by hand are rebuilt: a page whose file is gone counts as changed.
    before = {p: d for p, d in before.items() if p.startswith("@") or (root / p).is_file()}
    plan = plan_lists(
        storage.site_order(),
        lists_of=lists_of,
        base_of=lambda key: _base(key, sources),
        source_revision={s.id: s.revision for s in sources.values()},
        per_page=settings.site.per_page,
        feed_size=FEED_SIZE,
        salt=salt,
        before=before,
    )
    progress.begin("site pages", len(plan.jobs))
    try:
        _render_lists(plan, storage, writer, renderer, sources, settings.site.per_page, progress)
    finally:
        progress.end("site pages")
    _render_feeds(plan, storage, writer, renderer, sources)
    entry = root / search.BUNDLE / "pagefind-entry.json"
    if (pages.written or not entry.is_file()) and (root / "items").is_dir():
        search.build_index(root, writer, language=settings.site.language)
    _render_fixed(theme, plan, storage, writer, renderer, sources)
    storage.save_site_state({**plan.digests, "@salt": salt})


def _base(key: str, sources: dict[int, SiteSource]) -> str:
    if key == "all":
        return ""
    if key.startswith("c\0"):
        return category_dir(tuple(key.split("\0")[1:]))
    return month_dir(int(key[1:5]), int(key[6:8]))


class _ListKeys:
    """The lists an item is on: all items, each level of its category, its month."""

    def __init__(self, sources: dict[int, SiteSource], zone: ZoneInfo) -> None:
        self.zone = zone
        self.by_source = {
            sid: ["all"] + [extra.category_key(s.category[: i + 1]) for i in range(len(s.category))]
            for sid, s in sources.items()
        }
        self.months: dict[int, str] = {}

    def __call__(self, row: OrderRow) -> Iterator[str]:
        yield from self.by_source[row.source_id]
        # Month boundaries fall on quarter hours in every zone; cache per quarter hour.
        bucket = row.date // 900
        month = self.months.get(bucket)
        if month is None:
            local = datetime.fromtimestamp(bucket * 900, UTC).astimezone(self.zone)
            month = self.months[bucket] = extra.month_key(local.year, local.month)
        yield month


def _heading(key: str) -> tuple[str, list[Link], tuple[str, ...] | None]:
    if key == "all":
        return "", [], None
    if key.startswith("c\0"):
        path = tuple(key.split("\0")[1:])
        return " / ".join(path), [], path
    return f"{key[1:5]} 年 {key[6:8]} 月", [], None


def _render_lists(
    plan: Plan,
    storage: SiteStorage,
    writer: Writer,
    renderer: Renderer,
    sources: dict[int, SiteSource],
    per_page: int,
    progress: Progress,
) -> None:
    paths = {s.category for s in sources.values()}
    for job in plan.jobs:
        found = storage.site_items(job.ids, OUTPUT)
        cards = [renderer.card(item, path) for item, path in (found[i] for i in job.ids) if path]
        heading, crumbs, path = _heading(job.key)
        children: list[Link] = []
        if path is not None:
            crumbs = renderer.crumbs(path)[:-1]
            kids = sorted(
                {p[len(path)] for p in paths if len(p) > len(path) and p[: len(path)] == path}
            )
            children = [
                Link(
                    kid,
                    renderer.u(category_dir((*path, kid)) + "/"),
                    plan.counts.get(extra.category_key((*path, kid)), 0),
                )
                for kid in kids
            ]
        elif job.key.startswith("m"):
            crumbs = [
                Link("归档", renderer.u("archives/")),
                Link(f"{job.key[1:5]} 年", renderer.u(f"archives/{job.key[1:5]}/")),
            ]
        data = renderer.list_page(
            job,
            base=_base(job.key, sources),
            cards=cards,
            heading=heading,
            crumbs=crumbs,
            children=children,
            per_page=per_page,
        )
        writer.write(job.file, data)
        progress.advance("site pages")


def _render_feeds(
    plan: Plan,
    storage: SiteStorage,
    writer: Writer,
    renderer: Renderer,
    sources: dict[int, SiteSource],
) -> None:
    for key, (_digest, ids) in plan.feeds.items():
        base = _base(key, sources)
        found = storage.site_items(ids, OUTPUT)
        entries = []
        for i in ids:
            item, path = found[i]
            url = renderer.absolute + renderer.page_url(path or "")[len(renderer.prefix) :]
            entries.append(
                FeedEntry(
                    title=item.title,
                    url=url,
                    id=url,
                    date=item.date,
                    updated=item.updated or item.date,
                    content=item.content,
                    categories=item.category,
                    author=item.source_author,
                    image=item.cover,
                    original=item.link,
                )
            )
        heading = _heading(key)[0]
        folder = f"{base}/" if base else ""
        meta = FeedMeta(
            title=f"{heading} · {renderer.site.title}" if heading else renderer.site.title,
            home=f"{renderer.absolute}/{folder}",
            base=f"{renderer.absolute}/{folder}",
            description=renderer.site.description,
            language=renderer.site.language,
        )
        writer.write(f"{folder}feed.xml", rss(meta, entries))
        writer.write(f"{folder}atom.xml", atom(meta, entries))
        writer.write(f"{folder}feed.json", json_feed(meta, entries))


def _render_fixed(
    theme: Path | None,
    plan: Plan,
    storage: SiteStorage,
    writer: Writer,
    renderer: Renderer,
    sources: dict[int, SiteSource],
) -> None:
    tree = extra.category_tree(renderer, (s.category for s in sources.values()), plan.counts)
    writer.write("categories/index.html", renderer.render("categories.html", nodes=tree))
    years = extra.archive_years(renderer, plan.counts)
    writer.write(
        "archives/index.html", renderer.render("archives.html", heading="归档", years=years)
    )
    for year in years:
        writer.write(
            f"archives/{year['name']}/index.html",
            renderer.render("archives.html", heading=f"{year['name']} 年", years=[year]),
        )
    has_search = (writer.root / search.BUNDLE / "pagefind-entry.json").is_file()
    writer.write("search/index.html", renderer.render("search.html", search=has_search))
    writer.write("404.html", renderer.render("404.html"))
    writer.write("robots.txt", extra.robots(renderer.absolute))
    for rel, path in static_files(theme):
        writer.write(f"static/{rel}", path.read_bytes())
        if rel == "favicon.svg":
            writer.write("favicon.svg", path.read_bytes())
    listed = sorted(p for p in plan.digests if p.endswith("index.html"))
    listed += ["categories/index.html", "archives/index.html"]
    for name, data in extra.sitemaps(renderer.absolute, storage.site_sitemap(OUTPUT), listed):
        writer.write(name, data)


__all__ = ["OUTPUT", "SiteStorage", "build_site"]
