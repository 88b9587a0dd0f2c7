"""Hot lists' rows and store protocol, owned by the storage stage.

One refresh's positions (``RankEntry``), an item's standing (``HotEntry``), one stored run
(``RunRow``) and what hot lists need from an archive (``HotStore``); SQLite implements it in
``hotpress._storage.hot_sqlite``. ``hotpress._hot`` re-exports them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RankEntry:
    """One entry's place in one refresh of a hot list."""

    identity: str
    rank: int
    """1-based position in feed order (the first entry of an identity counts)."""
    heat: float | None = None
    """The heat figure the source's ``heat:`` pattern found (value × unit), if any."""


@dataclass(frozen=True, slots=True)
class HotEntry:
    """An item of a hot list as it stands at one moment, with its whole stay so far."""

    item_id: int
    identity: str
    title: str
    link: str | None
    rank: int | None
    """Its rank at that moment; ``None`` when it is no longer on the list."""
    heat: float | None
    first_seen: datetime
    """First refresh that had it on the list."""
    last_seen: datetime
    """Last refresh that had it on the list (up to that moment)."""
    peak_rank: int
    """Its best (lowest) rank."""
    hours_on_list: float
    """Time between the first and last refresh of each unbroken stay, added up."""
    history: tuple[tuple[datetime, int], ...]
    """(time, rank) at the start and end of each run at one rank, oldest first."""
    changed: datetime
    """Start of its last run: its last rank change (or entry onto the list)."""
    stay_start: datetime
    """Start of its last unbroken stay on the list (runs that only changed rank)."""


@dataclass(frozen=True, slots=True)
class RunRow:
    """One stored run: an item at one rank from its ``first`` to its ``last`` refresh."""

    item_id: int
    rank: int
    heat: float | None
    first: int
    last: int
    cont: bool
    """The item was on the list at the refresh before ``first`` too (it moved)."""


class HotStore(Protocol):
    def hot_known(self, source_key: str) -> bool:
        """The list has at least one recorded refresh."""

    def record_ranks(
        self, source_key: str, ranks: Sequence[RankEntry] | None, *, now: datetime
    ) -> None:
        """Record one refresh of a hot list in one transaction; ``None`` means "the same
        ranks as the last recorded refresh" (a 304 or an identical body). Entries whose
        identity is not in the archive are skipped; a refresh not later than the last
        recorded one is ignored."""

    def hot_last(self, source_key: str) -> datetime | None:
        """Time of the list's last recorded refresh."""

    def hot_list(self, source_key: str, *, at: datetime | None = None) -> list[HotEntry]:
        """The list as it stands (or stood at ``at``: its last refresh until then), by rank,
        each item with its stay on the list up to that moment."""

    def hot_items(self, item_ids: Iterable[int]) -> dict[int, HotEntry]:
        """Standing of these items on their list (rank ``None`` if off it now); items never
        ranked are absent."""

    def hot_first(self, source_key: str) -> datetime | None:
        """Time of the list's first recorded refresh."""

    def hot_runs_between(self, source_key: str, start: datetime, end: datetime) -> list[RunRow]:
        """The list's runs with a refresh in ``[start, end)``, and the runs of the same items
        up to a day before (to join an unbroken stay across ``start``)."""

    def hot_touched(self, source_key: str, since: datetime | None) -> list[int]:
        """Items the list had at a refresh after ``since`` (all of them when ``None``)."""

    def hot_moved(self, source_key: str, since: datetime | None) -> list[int]:
        """Items whose standing changed after the refresh at ``since``: a run started (new
        rank, entered or re-entered the list) or a run open then has ended (left the list).
        All items the list ever had when ``None``."""
