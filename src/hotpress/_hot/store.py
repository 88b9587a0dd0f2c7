"""What hot lists need from the archive: a small protocol every backend implements.

SQLite implements it in ``hotpress._storage.hot_sqlite``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from hotpress._hot.digest import RunRow
from hotpress._hot.model import HotEntry, RankEntry


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
