"""Pure decisions of the expand stage: no I/O, no clock of their own."""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta
from urllib.parse import quote

from hotpress.types import ExpandSpec, ExpansionState, ParsedEntry, ParsedFeed

FREE_RETRIES = 2
"""Failed attempts retried at the very next refresh; after that, retries back off."""
MAX_RETRY_WAIT = timedelta(hours=24)


@functools.lru_cache(maxsize=64)
def _pattern(link: str) -> re.Pattern[str]:
    return re.compile(link)


def expansion_url(spec: ExpandSpec, link: str | None) -> str | None:
    """The URL to expand an item from: the template filled with the named groups of the
    first match in the item's link (each value percent-encoded); ``None`` if no match."""
    if not link:
        return None
    match = _pattern(spec.link).search(link)
    if match is None:
        return None
    values = {name: quote(value or "", safe="") for name, value in match.groupdict().items()}
    return spec.url.format_map(values)


def is_due(state: ExpansionState, url: str, now: datetime) -> bool:
    """Never tried, a new URL, or its time has come (refresh passed, or a retry is due)."""
    if state.url != url or state.next_try is None:
        return True
    return state.next_try <= now


def retry_at(now: datetime, failures: int, interval_minutes: int) -> datetime:
    """When a failed expansion is tried again: at the source's next refresh for the first
    ``FREE_RETRIES`` failures, then after 2, 4, 8… source intervals (at most 24 h)."""
    if failures <= FREE_RETRIES:
        return now
    wait = timedelta(minutes=interval_minutes) * (1 << min(failures - FREE_RETRIES, 16))
    return now + min(wait, MAX_RETRY_WAIT)


def _body(entry: ParsedEntry) -> str:
    return entry.content or entry.summary


def choose_entry(feed: ParsedFeed, mode: str) -> ParsedEntry | None:
    """The entry whose body becomes the item's: the first with a body, or the longest."""
    entries = [entry for entry in feed.entries if _body(entry).strip()]
    if not entries:
        return None
    if mode == "longest":
        return max(entries, key=lambda entry: len(_body(entry)))
    return entries[0]
