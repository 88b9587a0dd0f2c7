"""What hot-list pages show, as template context (pure: no archive, no files)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup

from hotpress._hot.chart import rank_chart, sparkline
from hotpress._hot.model import HotEntry
from hotpress._hot.naming import hours_text


@dataclass(frozen=True, slots=True)
class HotRow:
    rank: int | None
    title: str
    url: str
    hours: str
    peak: int
    spark: Markup
    heat: str = ""
    score: str = ""
    also: str = ""
    """"微博热搜 #3 · 百度热搜 #7": the same story on other lists."""


@dataclass(frozen=True, slots=True)
class StoryRow:
    count: int
    """How many lists carry the story now."""
    best: int
    title: str
    url: str
    lists: str


def _local(when: datetime, zone: ZoneInfo) -> str:
    return when.astimezone(zone).strftime("%m-%d %H:%M")


def item_hot(
    entry: HotEntry, zone: ZoneInfo, list_url: str, list_name: str, also: str = ""
) -> dict[str, object]:
    """The item page's block, as of the item's last rank change, so a refresh that leaves
    it where it was does not touch its page: on the list, "现第 R 名 · 自 <time> 起在榜"
    (the stay's start, a ``<time>`` the site script also shows as "N 小时前") and the chart
    up to the last change; off the list, its whole stay ("在榜 N 小时") and chart."""
    on = entry.rank is not None
    history = tuple(p for p in entry.history if p[0] <= entry.changed) if on else entry.history
    hours = hours_text(entry.hours_on_list)
    stay = _local(entry.stay_start, zone)
    stand = f"现第 {entry.rank} 名，自 {stay} 起在榜" if on else f"在榜 {hours} 小时"
    chart = rank_chart(
        history,
        worst=max(10, *(rank for _, rank in history)),
        start=_local(entry.first_seen, zone),
        end=_local(entry.changed if on else entry.last_seen, zone),
        label=f"排名走势：最高第 {entry.peak_rank} 名，{stand}",
    )
    return {
        "rank": entry.rank,
        "hours": hours,
        "stay": stay,
        "stay_iso": entry.stay_start.astimezone(zone).isoformat(),
        "first": _local(entry.first_seen, zone),
        "peak": entry.peak_rank,
        "chart": Markup(chart),
        "list_url": list_url,
        "list_name": list_name,
        "also": also,
    }


def heat_text(heat: float | None) -> str:
    if heat is None:
        return ""
    if heat >= 1e8:
        return f"{heat / 1e8:.1f} 亿"
    if heat >= 1e4:
        return f"{heat / 1e4:.0f} 万"
    return f"{heat:.0f}"


def list_row(entry: HotEntry, url: str, worst: int, also: str = "") -> HotRow:
    spark = sparkline(entry.history, worst=worst, label=f"最高第 {entry.peak_rank} 名")
    return HotRow(
        rank=entry.rank,
        title=entry.title,
        url=url,
        hours=hours_text(entry.hours_on_list),
        peak=entry.peak_rank,
        spark=Markup(spark),
        heat=heat_text(entry.heat),
        also=also,
    )
