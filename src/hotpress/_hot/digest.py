"""A hot list's day, pure: which items were on it, for how long, how high, and their score.

**Score = rank-weighted hours**: the time an item spent on the list during the day, each
moment weighted by ``(N + 1 - rank) / N`` (``N`` the day's longest list): an hour at #1
counts 1, an hour at the bottom of a 50-item list 0.02. It is the area under the item's
inverted rank curve, in hours. Ties (an item seen by one refresh only has no time on the
list) go to the better peak. Why not TrendRadar's 0.6 rank + 0.3 frequency + 0.1 heat: the
three terms have no common unit, so the weights are arbitrary; rank and time already are one
quantity here, and heat is left out because only some lists carry it and no two lists
measure it alike (a score must compare items of one list fairly, whatever its source).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby
from typing import Protocol
from zoneinfo import ZoneInfo

from hotpress._hot.naming import hours_text
from hotpress._storage.hot_rows import RunRow as RunRow
from hotpress.types import SourceSpec, StoredItem


@dataclass(frozen=True, slots=True)
class DayEntry:
    item_id: int
    peak: int
    """Best rank during the day."""
    hours: float
    """Time on the list during the day (between refreshes that had it)."""
    score: float
    heat: float | None
    """Highest heat figure seen during the day."""
    first: int
    """First refresh of the day that had it (Unix seconds)."""


def _overlap(a: int, b: int, start: int, end: int) -> int:
    return max(0, min(b, end) - max(a, start))


def day_entries(runs: Iterable[RunRow], start: int, end: int) -> list[DayEntry]:
    """The items on the list in ``[start, end)`` (Unix seconds), best score first."""
    ordered = sorted(runs, key=lambda r: (r.item_id, r.first))
    in_day = [r for r in ordered if r.first < end and r.last >= start]
    length = max((r.rank for r in in_day), default=1)
    out: list[DayEntry] = []
    for item_id, group in groupby(ordered, key=lambda r: r.item_id):
        score = seconds = 0.0
        peak: int | None = None
        heat: float | None = None
        first: int | None = None
        previous: RunRow | None = None
        for run in group:
            weight = (length + 1 - run.rank) / length
            span = _overlap(run.first, run.last, start, end)
            gap = 0
            if run.cont and previous is not None:
                # Between two refreshes of an unbroken stay, it held the earlier rank.
                gap = _overlap(previous.last, run.first, start, end)
                score += gap * (length + 1 - previous.rank) / length
            seconds += span + gap
            score += span * weight
            if run.first < end and run.last >= start:
                peak = run.rank if peak is None else min(peak, run.rank)
                first = max(run.first, start) if first is None else first
                if run.heat is not None:
                    heat = run.heat if heat is None else max(heat, run.heat)
            previous = run
        if peak is None or first is None:
            continue
        out.append(
            DayEntry(item_id, peak, round(seconds / 3600, 2), round(score / 3600, 3), heat, first)
        )
    out.sort(key=lambda e: (-e.score, e.peak, e.first, e.item_id))
    return out


class DayStore(Protocol):
    def hot_runs_between(self, source_key: str, start: datetime, end: datetime) -> list[RunRow]: ...

    def site_items(
        self, ids: Iterable[int], output: str
    ) -> dict[int, tuple[StoredItem, str | None]]: ...


def day_bounds(day: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Start and end of the day ``YYYY-MM-DD`` in ``zone``."""
    d = date.fromisoformat(day)
    return datetime.combine(d, time(), zone), datetime.combine(d + timedelta(days=1), time(), zone)


def day_list(
    storage: DayStore, spec: SourceSpec, day: str, zone: ZoneInfo, output: str
) -> tuple[list[DayEntry], dict[int, tuple[StoredItem, str | None]]]:
    """The day's items by score, and those items with their paths in ``output``."""
    start, end = day_bounds(day, zone)
    runs = storage.hot_runs_between(spec.key, start, end)
    entries = day_entries(runs, int(start.timestamp()), int(end.timestamp()))
    found = storage.site_items([e.item_id for e in entries], output)
    return [e for e in entries if e.item_id in found], found


def list_days(first: datetime | None, last: datetime | None, zone: ZoneInfo) -> list[str]:
    """Every day (``YYYY-MM-DD`` in ``zone``) from the first recorded refresh to the last."""
    if first is None or last is None:
        return []
    day, end = first.astimezone(zone).date(), last.astimezone(zone).date()
    days = []
    while day <= end:
        days.append(day.isoformat())
        day += timedelta(days=1)
    return days


def digest_line(entry: DayEntry) -> str:
    """ "最高第 K 名 · 在榜 N 小时" for a digest entry."""
    return f"最高第 {entry.peak} 名 · 在榜 {hours_text(entry.hours)} 小时"
