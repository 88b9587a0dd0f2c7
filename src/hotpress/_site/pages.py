"""Page contexts and rendering: cards, list pages, item pages (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

from hotpress._hot.model import HotEntry
from hotpress._hot.naming import hot_slug
from hotpress._publish.hexo import cover_url
from hotpress._publish.media_root import local_media
from hotpress._site.hot_view import item_hot
from hotpress._site.plan import PageJob
from hotpress._site.text import excerpt, lazy_images
from hotpress._site.urls import category_dir, href, list_page
from hotpress._storage.site_rows import Neighbor
from hotpress.config import SiteConfig
from hotpress.types import StoredItem


@dataclass(frozen=True, slots=True)
class Link:
    name: str
    url: str
    count: int = 0


class Renderer:
    """Renders pages of one site; holds the template environment and URL prefix."""

    def __init__(
        self,
        env: jinja2.Environment,
        site: SiteConfig,
        timezone: str,
        dirs: Mapping[tuple[str, ...], str] | None = None,
        hot_keys: frozenset[str] = frozenset(),
    ) -> None:
        self.env = env
        self.dirs = dict(dirs or {})
        """Category path -> its folder, as stored in the archive (``slugs.category_dirs``)."""
        self.hot_keys = hot_keys
        """Keys of the hot-list sources: their items' pages show the rank history."""
        self.site = site
        self.zone = ZoneInfo(timezone)
        self.prefix = urlsplit(site.url).path.rstrip("/")
        self.absolute = site.url.rstrip("/")
        self._cards: dict[int, Markup] = {}
        self._crumbs: dict[tuple[str, ...], list[Link]] = {}
        """Item id -> card, for one build (an item's revision and path cannot change in it)."""

    def u(self, rel: str) -> str:
        """Root-relative URL of a site path (``''`` is the home page)."""
        return f"{self.prefix}/{rel}"

    def cover(self, item: StoredItem) -> str:
        """The item's cover; a local copy (``/media/…``) below the site's own path."""
        return local_media(cover_url(item.cover, item.identity), self.prefix)

    def page_url(self, relfile: str) -> str:
        return self.prefix + href(relfile)

    def render(self, template: str, **context: Any) -> bytes:
        text = self.env.get_template(template).render(site=self.site, u=self.u, **context)
        return text.encode()

    def category_dir(self, path: Sequence[str]) -> str:
        """The folder of a category path (``c/…``): the one given out to it, else (a path
        no source has) the plain slugs."""
        return self.dirs.get(tuple(path)) or category_dir(path)

    def has_feeds(self, key: str) -> bool:
        """Whether the list ``key`` has feeds (``site.feeds``, ``site.list_feeds``)."""
        return bool(self.site.feeds) and (self.site.list_feeds or key == "all")

    def crumbs(self, category: Sequence[str]) -> list[Link]:
        key = tuple(category)
        found = self._crumbs.get(key)
        if found is None:
            found = self._crumbs[key] = [
                Link(level, self.u(self.category_dir(category[: i + 1]) + "/"))
                for i, level in enumerate(category)
            ]
        return list(found)

    def when(self, item: StoredItem) -> tuple[str, str]:
        local = item.date.astimezone(self.zone)
        return local.isoformat(), local.strftime("%Y-%m-%d %H:%M")

    def known_card(self, item_id: int) -> Markup | None:
        """The card already rendered for this item in this build, if any."""
        return self._cards.get(item_id)

    def card(self, item: StoredItem, path: str) -> Markup:
        """An item's card as HTML, rendered once per build however many lists show it."""
        cached = self._cards.get(item.id)
        if cached is None:
            if len(self._cards) >= 20_000:  # bounds memory (~1.5 KB a card) on huge builds
                self._cards.clear()
            iso, when = self.when(item)
            card = {
                "url": self.page_url(path),
                "cover": self.cover(item),
                "title": item.title,
                "crumbs": self.crumbs(item.category),
                "iso": iso,
                "when": when,
                "excerpt": excerpt(item.content),
            }
            html = self.env.get_template("_card.html").render(card=card, site=self.site, u=self.u)
            cached = self._cards[item.id] = Markup(html)
        return cached

    def item_page(
        self,
        item: StoredItem,
        older: tuple[Neighbor, str] | None,
        newer: tuple[Neighbor, str] | None,
        hot: HotEntry | None = None,
        also: str = "",
    ) -> bytes:
        iso, when = self.when(item)
        return self.render(
            "item.html",
            hot=None
            if hot is None
            else item_hot(
                hot,
                self.zone,
                self.u(f"hot/{hot_slug(item.source_key)}/"),
                item.category[-1],
                also,
            ),
            item=item,
            crumbs=self.crumbs(item.category),
            iso=iso,
            when=when,
            cover=self.cover(item),
            content=lazy_images(local_media(item.content, self.prefix)),
            older=None if older is None else Link(older[0].title, self.page_url(older[1])),
            newer=None if newer is None else Link(newer[0].title, self.page_url(newer[1])),
        )

    def list_page(
        self,
        job: PageJob,
        *,
        base: str,
        cards: list[Markup],
        heading: str,
        crumbs: list[Link],
        children: list[Link],
        per_page: int,
    ) -> bytes:
        def numbered(page: int) -> str:
            return self.page_url(list_page(base, page))

        newer = older = None
        numbers: list[tuple[int, str | None]] = []
        if job.page is None:
            if job.total > per_page:
                older = numbered((job.total - per_page - 1) // per_page + 1)
            numbers = [(n, numbered(n) if n else None) for n in _pager(job.pages)]
        else:
            newer = self.page_url(list_page(base, None)) if job.last else numbered(job.page + 1)
            older = numbered(job.page - 1) if job.page > 1 else None
        folder = self.u(f"{base}/" if base else "") if self.has_feeds(job.key) else ""
        return self.render(
            "list.html",
            heading=heading,
            crumbs=crumbs,
            children=children if job.page is None else [],
            cards=cards,
            page=job.page,
            total=job.total,
            newer=newer,
            older=older,
            numbers=numbers,
            feeds=folder,
        )


def _pager(pages: int) -> list[int]:
    """Page numbers for the front page, newest first; 0 marks a gap."""
    if pages <= 9:
        return list(range(pages, 0, -1))
    return [pages, pages - 1, pages - 2, pages - 3, 0, 3, 2, 1]
