"""The storage interface every archive backend implements.

SQLite is the embedded default; a PostgreSQL backend for multi-machine deployments implements
the same protocol (see docs/dev.md). One contract test suite (tests/test_storage.py) runs
against every backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from hotpress._storage.hot_rows import HotStore
from hotpress._storage.lease_rows import LeaseStore
from hotpress._storage.site_rows import SiteStore
from hotpress._storage.stage_rows import FilterStore, NotifyStore, StoryStore
from hotpress.types import (
    Expansion,
    ExpansionState,
    FetchResult,
    Item,
    ItemMedia,
    MediaRecord,
    MediaWork,
    SourceSpec,
    SourceState,
    StoreCounts,
    StoredItem,
    Validators,
)

PENDING_SOURCES_MAX = 500
"""Source ids one ``Storage.pending(sources=…)`` call may name (one bound parameter each)."""


@dataclass(frozen=True, slots=True)
class Pending:
    """An item whose output is missing or stale; ``path`` is where it was published before."""

    item: StoredItem
    path: str | None
    source_revision: int


@dataclass(frozen=True, slots=True)
class Publication:
    item_id: int
    revision: int
    source_revision: int
    path: str


@dataclass(frozen=True, slots=True)
class FetchLogEntry:
    source_key: str
    started: datetime
    status: int | None
    duration: float
    new: int
    updated: int
    error: str | None


@dataclass(frozen=True, slots=True)
class RetentionCandidate:
    """An item past its source's retention limit; ``path`` is its post in the output, if any."""

    item_id: int
    path: str | None
    last_seen: datetime


class Storage(SiteStore, HotStore, FilterStore, NotifyStore, StoryStore, LeaseStore, Protocol):
    """What the pipeline needs from an archive (the site's read queries included, see
    ``hotpress._storage.site_rows``; hot lists' rank history, ``hotpress._hot.store``). All
    datetimes are aware UTC."""

    @property
    def name(self) -> str:
        """The archive as messages name it (a path, or a URL without its password)."""

    def close(self) -> None: ...

    def reconnect(self) -> None:
        """Open a new connection to the same archive in place of this one (after a database
        restart broke it); what the archive holds is unchanged."""

    def opener(self) -> Callable[[], Storage] | None:
        """A picklable callable that opens this archive in another process (worker pools),
        or ``None`` when it cannot be shared (an in-memory database)."""

    def sync_sources(self, specs: Sequence[SourceSpec]) -> None:
        """Create or update the rows of the configured sources (never deletes one)."""

    def validators(self, source_key: str) -> Validators: ...

    def error_count(self, source_key: str) -> int:
        """Consecutive failed refreshes of the source so far."""

    def save_fetch(
        self,
        source_key: str,
        result: FetchResult,
        items: Sequence[Item] | None,
        *,
        now: datetime,
        error: str | None,
        next_due: datetime | None,
        seen: Sequence[str] = (),
        body_digest: str | None = None,
        same_as_before: bool = False,
        lease: str | None = None,
    ) -> StoreCounts:
        """Store one source's refresh in ONE transaction: its items (new ones added, changed
        ones updated in place, revision bumped), its validators, its status and a log row.
        ``lease``: only while the source is leased to this token (else ``LeaseLostError`` and
        nothing is written); the lease ends in the same transaction.
        ``seen`` are identities of entries known unchanged (only their last-seen time moves);
        ``same_as_before`` (a 304 or an identical body) moves it for every item the previous
        refresh saw. ``body_digest`` is remembered for the next refresh."""

    def body_digest(self, source_key: str) -> str | None:
        """The digest of the source's last body that was stored."""

    def unchanged_entries(self, source_key: str, raw: Mapping[str, str]) -> set[str]:
        """Of ``raw`` (identity -> raw digest), the identities stored with that digest."""

    def sources(self, now: datetime) -> list[SourceState]: ...

    def due_sources(self, now: datetime) -> list[str]:
        """Keys of sources whose ``next_due`` has passed (or that were never fetched)."""

    def pending(
        self,
        output: str,
        *,
        force: bool = False,
        shard: tuple[int, int] | None = None,
        after: int = 0,
        sources: Sequence[int] | None = None,
    ) -> Iterator[Pending]:
        """Items never published to ``output``, or changed since (item or source revision).
        ``shard=(k, n)``: only items of sources whose id is ``k`` modulo ``n`` (a worker's
        share; a source's items stay together). ``after``: only items of higher ids (what
        a caller knows to be the only candidates: the site's tail build). ``sources``: only
        items of these source ids (at most ``PENDING_SOURCES_MAX``)."""

    def pending_sources(
        self, output: str, *, force: bool = False
    ) -> list[tuple[int, tuple[str, ...], int]]:
        """Each source with items :meth:`pending` would give: its id, its category and how
        many items (every published item with ``force``)."""

    def path_owner(self, output: str, path: str) -> int | None:
        """The item id published at ``path`` in ``output``, if any."""

    def publication_paths(self, output: str) -> Iterator[tuple[str, int]]:
        """Every (path, item id) published to ``output`` (paths reserved by the site too)."""

    def record_publications(self, output: str, done: Sequence[Publication]) -> None: ...

    def count_publications(self, output: str) -> int:
        """How many items have a file in ``output`` (posts retention removed included)."""

    def iter_items(self, *, newest_first: bool = True) -> Iterator[StoredItem]: ...

    def count_items(self) -> int: ...

    def data_version(self) -> int:
        """A number that changes when another connection has committed to the archive since
        this one last asked (``serve`` rebuilds on it)."""

    def fetch_log(self, source_key: str, limit: int = 20) -> list[FetchLogEntry]: ...

    def retention_candidates(
        self,
        output: str,
        source_key: str,
        *,
        older_than: datetime | None,
        keep_newest: int | None,
    ) -> list[RetentionCandidate]:
        """Items of the source dated before ``older_than`` or beyond its ``keep_newest``
        newest (by date), with their publication path in ``output`` if they have one."""

    def purge_items(self, item_ids: Sequence[int]) -> int:
        """Delete these items and their publication rows from the archive; returns how many."""

    # --- expand (issue 14) ---------------------------------------------------------------

    def expansion_candidates(self, source_key: str) -> list[ExpansionState]:
        """Items that may need expanding: those on the source's current list (seen by its
        last successful refresh), and items never expanded that have not failed too often."""

    def save_expansions(self, done: Sequence[Expansion], *, now: datetime) -> int:
        """Store expansion attempts in one transaction; an item whose new body differs is
        updated in place (body, cover, author; revision bumped). Returns items updated."""

    # --- images kept locally (issue 14) ---------------------------------------------------

    def media_mode(self, mode: str) -> bool:
        """Remember how bodies point at images; a change makes every item due again."""

    def media_work(self, now: datetime, *, limit: int = 5000) -> list[MediaWork]:
        """Items whose images are to be handled (new revision, or a failed image due)."""

    def media_records(self, urls: Iterable[str]) -> dict[str, MediaRecord]: ...

    def save_media(
        self, records: Sequence[MediaRecord], items: Sequence[ItemMedia], *, now: datetime
    ) -> int:
        """Store images and handled items in one transaction; returns items updated."""

    def purge_media(self) -> list[str]:
        """Forget images no item names; returns content hashes no image uses any more."""
