"""``digest: daily``: one Hexo post per day and hot list, in the posts' own front matter.

The post goes to ``<category path>/日报/<channel> 日报 YYYY-MM-DD.md`` with ``日报`` as its
last category level; its date is the day's last second (so it sorts after the day's items),
its cover the placeholder fixed by the digest's identity. Each list remembers in the build
state the refresh it was last written from (``@hexo-digest/<slug>``): with no refresh since,
nothing is read; otherwise the days from that refresh's day on are written again (a post
with the same bytes is left alone).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from hotpress._hot.digest import day_bounds, day_list, digest_line, list_days
from hotpress._hot.naming import hot_slug
from hotpress._hot.stories import also_in
from hotpress._publish.filenames import category_dir, safe_component
from hotpress._publish.hexo import render_post
from hotpress._publish.posts import OUTPUT
from hotpress._publish.report import OutputReport
from hotpress._publish.theme_text import theme_text
from hotpress._publish.writer import Writer
from hotpress.exceptions import PublishError
from hotpress.types import SourceSpec

if TYPE_CHECKING:
    from hotpress._storage.base import Storage

NAME = "hexo digests"
LEVEL = "日报"


def digest_post(storage: Storage, spec: SourceSpec, day: str, zone: ZoneInfo) -> bytes | None:
    """The day's digest post, or ``None`` when the list had no item that day."""
    entries, found = day_list(storage, spec, day, zone, OUTPUT)
    if not entries:
        return None
    lines = []
    peers = storage.story_peers([e.item_id for e in entries])
    for entry in entries:
        item, _ = found[entry.item_id]
        title = escape(item.title)
        link = f'<a href="{escape(item.link)}">{title}</a>' if item.link else title
        also = also_in(peers[entry.item_id])
        elsewhere = f" · 也在: {escape(also)}" if also else ""
        lines.append(f"<li>{link} · {digest_line(entry)}{elsewhere}</li>")
    _, end = day_bounds(day, zone)
    return render_post(
        title=f"{spec.category[-1]} {LEVEL} {day}",
        categories=(*spec.category, LEVEL),
        author=spec.author,
        date=end - timedelta(seconds=1),
        cover=None,
        identity=hashlib.sha256(f"digest\0{spec.key}\0{day}".encode()).hexdigest()[:32],
        body_html="<ol>" + "".join(lines) + "</ol>",
    )


def digest_path(spec: SourceSpec, day: str) -> str:
    # The same shown text as the item posts' folders and names (see theme_text).
    levels = [theme_text(level) for level in spec.category]
    folder = category_dir((*levels, LEVEL)).as_posix()
    name = safe_component(f"{levels[-1]} {LEVEL} {day}", fallback=day)
    return f"{folder}/{name}.md"


def publish_digests(
    specs: Sequence[SourceSpec],
    storage: Storage,
    root: Path,
    timezone: str,
    *,
    force: bool = False,
) -> OutputReport:
    """Write the daily digests that changed since the last run."""
    zone = ZoneInfo(timezone)
    state = storage.site_state()
    writer = Writer(root)
    changes: dict[str, str] = {}
    try:
        for spec in specs:
            key = f"@hexo-digest/{hot_slug(spec.key)}"
            last = storage.hot_last(spec.key)
            if last is None or (not force and state.get(key) == str(int(last.timestamp()))):
                continue
            days = list_days(storage.hot_first(spec.key), last, zone)
            prior = None if force else state.get(key)
            if prior is not None:  # the day of the refresh written last, and later ones
                since = datetime.fromtimestamp(int(prior), UTC).astimezone(zone)
                days = [d for d in days if d >= since.date().isoformat()]
            for day in days:
                data = digest_post(storage, spec, day, zone)
                if data is not None:
                    writer.write(digest_path(spec, day), data)
            changes[key] = str(int(last.timestamp()))
    except PublishError as exc:
        return OutputReport(NAME, writer.written, writer.unchanged, str(exc))
    finally:
        writer.close()
        storage.save_site_state(changes)
    return OutputReport(NAME, writer.written, writer.unchanged)
