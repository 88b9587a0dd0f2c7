"""Value objects of hot lists: one refresh's positions, and an item's standing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
