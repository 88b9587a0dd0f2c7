"""The site's hot-list pages: ``/hot/``, ``/hot/<slug>/`` (the list as it stands) and
``/hot/<slug>/<YYYY-MM-DD>/`` (the day's digest, with its feeds); and the item pages of
items a refresh moved (their rank chart changed), with their stories' peers.

Runs on every build, like the status page, because a refresh that only moves ranks does not
change the archive's items (the build's fingerprint). Each list remembers in the build state
the last refresh it was built from (``@hot/<slug>``): a list with no refresh since is not
touched; otherwise its page, the digests from that refresh's day on, and the pages of the
items whose standing changed since (a new rank, entered, left) are rendered again: an item
page shows the item as of its last rank change, so a refresh that leaves an item where it
was does not touch its page. A config without hot lists writes nothing here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup

from hotpress._hot.digest import day_list, digest_line, list_days
from hotpress._hot.model import HotEntry
from hotpress._hot.naming import hot_slug, hours_text
from hotpress._hot.stories import also_in
from hotpress._publish.writer import Writer
from hotpress._site.feeds import FORMATS, FeedEntry, FeedMeta
from hotpress._site.hot_view import HotRow, StoryRow, heat_text, list_row
from hotpress._site.items import ItemPages
from hotpress._site.pages import Link, Renderer
from hotpress.types import SourceSpec, StoredItem

if TYPE_CHECKING:
    from hotpress._site.build import SiteStorage


@dataclass(frozen=True, slots=True)
class HotReport:
    written: int
    unchanged: int
    state: dict[str, str]
    created: int = 0
    """Files that did not exist before (the site's file count grows by these)."""


def _mark(salt: str, last: datetime | None) -> str:
    return f"{salt}:{0 if last is None else int(last.timestamp())}"


def _since(prior: str | None, salt: str) -> datetime | None:
    """The refresh the list was last built from, if built with this salt."""
    if prior is None:
        return None
    built_salt, _, stamp = prior.rpartition(":")
    if built_salt != salt or stamp == "0":
        return None
    return datetime.fromtimestamp(int(stamp), UTC)


def _due(root: Path, slug: str, prior: str | None, mark: str) -> bool:
    """The list was refreshed since its pages were built (or its page is gone)."""
    return prior != mark or not (root / "hot" / slug / "index.html").is_file()


def lists_due(
    specs: Sequence[SourceSpec], storage: SiteStorage, state: dict[str, str], salt: str, root: Path
) -> bool:
    """Whether :meth:`HotPages.build` has a list to build (one query per list)."""
    for spec in specs:
        slug = hot_slug(spec.key)
        mark = _mark(salt, storage.hot_last(spec.key))
        if _due(root, slug, state.get(f"@hot/{slug}"), mark):
            return True
    return False


class HotPages:
    def __init__(
        self, storage: SiteStorage, writer: Writer, renderer: Renderer, output: str
    ) -> None:
        self.storage = storage
        self.writer = writer
        self.renderer = renderer
        self.output = output
        self.items = ItemPages(storage, writer, renderer, output)
        self._lists: dict[str, list[HotEntry]] = {}
        """Lists read this build (the list page and the stories page both show them)."""

    def _current(self, key: str) -> list[HotEntry]:
        if key not in self._lists:
            self._lists[key] = self.storage.hot_list(key)
        return self._lists[key]

    def build(
        self,
        specs: Sequence[SourceSpec],
        state: dict[str, str],
        salt: str,
        *,
        items_done: bool,
    ) -> dict[str, str]:
        """Render what changed; the new state entries. ``items_done``: this build rendered
        every item page already (with its chart)."""
        changes: dict[str, str] = {}
        root = self.writer.root
        for spec in specs:
            slug = hot_slug(spec.key)
            last = self.storage.hot_last(spec.key)
            mark = _mark(salt, last)
            prior = state.get(f"@hot/{slug}")
            if not _due(root, slug, prior, mark):
                continue
            since = _since(prior, salt)
            self._list(spec, slug, last)
            self._digests(spec, slug, last, since)
            if not items_done:
                self.items.rerender(self._moved(spec.key, since))
            changes[f"@hot/{slug}"] = mark
        if changes or not (root / "hot" / "index.html").is_file():
            r = self.renderer
            lists = [Link(s.category[-1], r.u(f"hot/{hot_slug(s.key)}/")) for s in specs]
            self.writer.write("hot/index.html", r.render("hot_index.html", lists=lists))
            self._stories(specs)
        return changes

    def _moved(self, key: str, since: datetime | None) -> list[int]:
        """Items whose page changed since ``since``: those whose standing changed (their
        page shows it as of their last change) and the same story's items on other lists
        (their "也在" line shows these items' ranks)."""
        moved = self.storage.hot_moved(key, since)
        peers = self.storage.story_peers(moved)
        return sorted({*moved, *(p.item_id for group in peers.values() for p in group)})

    def _stories(self, specs: Sequence[SourceSpec]) -> None:
        """``hot/stories/``: the stories on the lists now, by how many lists carry them."""
        current = [(spec, e) for spec in specs for e in self._current(spec.key)]
        story = self.storage.story_of([e.item_id for _, e in current])
        groups: dict[int, list[tuple[SourceSpec, HotEntry]]] = {}
        for spec, e in current:
            groups.setdefault(story.get(e.item_id, -e.item_id), []).append((spec, e))
        found = self._paths([e.item_id for _, e in current])
        rows = []
        for members in groups.values():
            members.sort(key=lambda m: m[1].rank or 0)
            _, top = members[0]
            if top.item_id not in found:
                continue
            rows.append(
                StoryRow(
                    count=len({spec.key for spec, _ in members}),
                    best=top.rank or 0,
                    title=top.title,
                    url=self._url(*found[top.item_id]),
                    lists=" · ".join(f"{s.category[-1]} #{e.rank}" for s, e in members),
                )
            )
        rows.sort(key=lambda row: (-row.count, row.best, row.title))
        page = self.renderer.render("hot_stories.html", rows=rows)
        self.writer.write("hot/stories/index.html", page)

    def _paths(self, ids: list[int]) -> dict[int, tuple[StoredItem, str | None]]:
        return self.storage.site_items(ids, self.output)

    def _url(self, item: StoredItem, path: str | None) -> str:
        if path:
            return self.renderer.page_url(path)
        return item.link or "#"

    def _days(self, spec: SourceSpec, last: datetime | None) -> list[str]:
        return list_days(self.storage.hot_first(spec.key), last, self.renderer.zone)

    def _list(self, spec: SourceSpec, slug: str, last: datetime | None) -> None:
        entries = self._current(spec.key)
        found = self._paths([e.item_id for e in entries])
        worst = max([10, *(rank for e in entries for _, rank in e.history)])
        peers = self.storage.story_peers([e.item_id for e in entries])
        rows = [
            list_row(e, self._url(*found[e.item_id]), worst, also_in(peers[e.item_id]))
            for e in entries
            if e.item_id in found
        ]
        days = self._days(spec, last)
        as_of = None
        if last is not None:
            local = last.astimezone(self.renderer.zone)
            as_of = (local.isoformat(), local.strftime("%Y-%m-%d %H:%M"))
        links = [Link(d, self.renderer.u(f"hot/{slug}/{d}/")) for d in reversed(days)]
        page = self.renderer.render(
            "hot.html", name=spec.category[-1], rows=rows, days=links, as_of=as_of
        )
        self.writer.write(f"hot/{slug}/index.html", page)

    def _digests(
        self, spec: SourceSpec, slug: str, last: datetime | None, since: datetime | None
    ) -> None:
        """The digests from the day of ``since`` on (its "next day" link may be new)."""
        days = self._days(spec, last)
        start = since.astimezone(self.renderer.zone).date().isoformat() if since else None
        for i, day in enumerate(days):
            if start is not None and day < start:
                continue
            older = days[i - 1] if i else None
            newer = days[i + 1] if i + 1 < len(days) else None
            self._day(spec, slug, day, older, newer)

    def _day(
        self, spec: SourceSpec, slug: str, day: str, older: str | None, newer: str | None
    ) -> None:
        r = self.renderer
        entries, found = day_list(self.storage, spec, day, r.zone, self.output)
        peers = self.storage.story_peers([e.item_id for e in entries])
        rows = [
            HotRow(
                rank=None,
                title=found[e.item_id][0].title,
                url=self._url(*found[e.item_id]),
                hours=hours_text(e.hours),
                peak=e.peak,
                spark=Markup(""),
                heat=heat_text(e.heat),
                score=f"{e.score:.2f}",
                also=also_in(peers[e.item_id]),
            )
            for e in entries
        ]
        folder = f"hot/{slug}/{day}/"
        name = spec.category[-1]
        page = r.render(
            "hot_day.html",
            name=name,
            day=day,
            rows=rows,
            list_url=r.u(f"hot/{slug}/"),
            older=r.u(f"hot/{slug}/{older}/") if older else None,
            newer=r.u(f"hot/{slug}/{newer}/") if newer else None,
        )
        self.writer.write(folder + "index.html", page)
        feed_entries = []
        for e in entries:
            item, path = found[e.item_id]
            url = r.absolute + self._url(item, path)[len(r.prefix) :] if path else (item.link or "")
            feed_entries.append(
                FeedEntry(
                    title=item.title,
                    url=url,
                    id=url,
                    date=item.date,
                    updated=item.updated or item.date,
                    content=f"<p>{digest_line(e)}</p>{item.content}",
                    categories=item.category,
                    author=item.source_author,
                    image=item.cover,
                    original=item.link,
                )
            )
        meta = FeedMeta(
            title=f"{name} 日报 {day} · {r.site.title}",
            home=f"{r.absolute}/{folder}",
            base=f"{r.absolute}/{folder}",
            description=r.site.description,
            language=r.site.language,
        )
        for fmt in r.site.feeds:
            kind = FORMATS[fmt]
            self.writer.write(folder + kind.file, kind.write(meta, feed_entries))


def build_hot(
    specs: Sequence[SourceSpec],
    storage: SiteStorage,
    renderer: Renderer,
    root: Path,
    state: dict[str, str],
    salt: str,
    output: str,
    *,
    items_done: bool,
    done: frozenset[int] = frozenset(),
) -> HotReport:
    """Build the hot-list pages that changed (a separate writer); ``done``: item pages this
    build wrote already (not rendered again)."""
    if not specs:
        return HotReport(0, 0, {})
    writer = Writer(root, durable=False)
    try:
        pages = HotPages(storage, writer, renderer, output)
        pages.items.skip(done)
        changes = pages.build(specs, state, salt, items_done=items_done)
    finally:
        writer.close()
    storage.save_site_state(changes)
    return HotReport(writer.written, writer.unchanged, changes, writer.created)
