"""What the static site reads from the archive: a protocol of the storage stage, every backend
implements it.

SQLite implements it in ``hotpress._storage.site_sqlite``; a PostgreSQL backend implements the
same methods. Rows are light tuples-as-dataclasses so a 100,000-item archive streams through
the build without being loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from hotpress.types import StoredItem


@dataclass(frozen=True, slots=True)
class SiteSource:
    id: int
    key: str
    category: tuple[str, ...]
    author: str
    revision: int


@dataclass(frozen=True, slots=True)
class OrderRow:
    """One item as the list pages see it: enough to decide whether a page changed."""

    id: int
    date: int
    """Unix seconds, UTC."""
    revision: int
    source_id: int


@dataclass(frozen=True, slots=True)
class ItemMark:
    """What the lists know of an item, filtered ones too: for an incremental build to tell
    new items from changed ones."""

    id: int
    identity: str
    date: int
    revision: int
    source_id: int
    filtered: bool

    def order(self) -> OrderRow:
        return OrderRow(self.id, self.date, self.revision, self.source_id)


@dataclass(frozen=True, slots=True)
class Neighbor:
    id: int
    title: str
    path: str | None
    identity: str
    current: bool = True
    """Its page is published at its current revision (else it is pending itself)."""


@dataclass(frozen=True, slots=True)
class SitemapRow:
    id: int
    identity: str
    path: str | None
    lastmod: int


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Changes whenever anything a page shows may have changed."""

    items: int
    max_id: int
    revisions: int
    source_revisions: int

    def text(self) -> str:
        return f"{self.items}:{self.max_id}:{self.revisions}:{self.source_revisions}"


class SiteStore(Protocol):
    def site_sources(self) -> list[SiteSource]: ...

    def site_fingerprint(self) -> Fingerprint: ...

    def site_order(self) -> Iterator[OrderRow]:
        """Every item, oldest first by (date, id)."""

    def site_marks(self, after: int, *, only: int | None = None) -> list[ItemMark]:
        """Every item (filtered ones too) with an id above ``after``, by id; ``only``: just
        the item of that id (if it is there)."""

    def site_newest(
        self,
        limit: int,
        *,
        sources: Iterable[int] | None = None,
        since: int | None = None,
        until: int | None = None,
    ) -> list[OrderRow]:
        """The newest ``limit`` items by (date, id), newest first; of ``sources`` only if
        given; dated in ``[since, until)`` if given."""

    def site_segment(self, low: int, high: int) -> list[OrderRow]:
        """The items with ids in ``[low, high)``, oldest first by (date, id)."""

    def site_items(
        self, ids: Iterable[int], output: str
    ) -> dict[int, tuple[StoredItem, str | None]]:
        """Full items by id, with their published path in ``output`` (``None`` if never)."""

    def site_neighbors(
        self, item: StoredItem, output: str
    ) -> tuple[Neighbor | None, Neighbor | None]:
        """The older and the newer item of the same source, by (date, id)."""

    def site_sitemap(
        self, output: str, low: int | None = None, high: int | None = None
    ) -> Iterator[SitemapRow]:
        """Every item by id with its path and last change (Unix seconds); only ids in
        ``[low, high)`` if given."""

    def site_category_dirs(self) -> dict[tuple[str, ...], str]:
        """Category path -> its folder, for every folder ever given out (never changes)."""

    def save_category_dirs(self, dirs: Mapping[tuple[str, ...], str]) -> None:
        """Store new category folders (a path or folder already stored is kept as it is)."""

    def site_state(self, *, marks: bool = False) -> dict[str, str]:
        """Build state: page path -> digest of what it was rendered from; ``marks``: only
        the entries whose key starts with ``@`` (the build's own, not pages')."""

    def site_state_of(self, paths: Iterable[str]) -> dict[str, str]:
        """The state entries of these paths (those there are)."""

    def site_state_size(self) -> int:
        """How many state entries there are."""

    def save_site_state(self, changes: Mapping[str, str]) -> None: ...
