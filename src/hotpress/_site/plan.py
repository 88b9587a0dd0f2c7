"""Decide which list pages and feeds changed, in one streaming pass over the archive order.

Pure: takes the items oldest first (only ids and revisions), the lists each item belongs to
and the digests of the last build; returns the pages to render with the item ids they show.
Memory holds one page per list, not the archive.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from hotpress._site.urls import list_page
from hotpress._storage.site_rows import OrderRow

Entry = tuple[int, int, int]
"""(item id, item revision, source revision): what a card on a page is built from."""


@dataclass(frozen=True, slots=True)
class PageJob:
    key: str
    file: str
    digest: str
    ids: tuple[int, ...]
    """Newest first, as shown."""
    page: int | None
    """``None`` for the front page, else the number counted from the oldest."""
    pages: int
    """Front page only: how many numbered pages the list has (0: the front shows all)."""
    total: int
    last: bool
    """A numbered page that is the newest one (its "newer" link goes to the front page)."""


@dataclass(slots=True)
class _Acc:
    base: str
    count: int = 0
    page: list[Entry] = field(default_factory=list)
    full: list[Entry] | None = None
    """The last full page, held back until we know whether a newer page follows."""
    tail: deque[Entry] = field(default_factory=deque)


@dataclass(slots=True)
class Plan:
    jobs: list[PageJob] = field(default_factory=list)
    feeds: dict[str, tuple[str, tuple[int, ...]]] = field(default_factory=dict)
    """List key -> (digest, newest ids first) for lists whose feeds changed."""
    counts: dict[str, int] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)
    """Every page and feed the build has now, path -> digest (the new state)."""
    fronts: dict[str, str] = field(default_factory=dict)
    """List key -> its front page's file, for every list."""

    def merge(self, other: Plan) -> None:
        self.jobs.extend(other.jobs)
        self.feeds.update(other.feeds)
        self.counts.update(other.counts)
        self.digests.update(other.digests)
        self.fronts.update(other.fronts)


def _digest(salt: str, *parts: object) -> str:
    return hashlib.sha1(repr((salt, *parts)).encode()).hexdigest()


def plan_lists(
    rows: Iterable[OrderRow],
    *,
    lists_of: Callable[[OrderRow], Iterable[str]],
    base_of: Callable[[str], str],
    source_revision: Mapping[int, int],
    per_page: int,
    feed_size: int,
    salt: str,
    before: Mapping[str, str],
    always: Iterable[str] = ("all",),
    has_feed: Callable[[str], bool] = lambda key: True,
    start: Mapping[str, int] | None = None,
) -> Plan:
    """``lists_of(row)`` names the lists an item is on; ``base_of`` gives a list's folder;
    ``has_feed(key)`` says whether the list has feeds. ``start``: for a list whose rows are
    given from a page boundary on (an incremental build), how many of its items come before
    them (a multiple of ``per_page``; the rows must then reach back at least
    ``max(per_page, feed_size)`` items, or to the list's first)."""
    plan = Plan()
    size = max(per_page, feed_size)
    start = start or {}
    accs = {
        key: _Acc(base_of(key), count=start.get(key, 0), tail=deque(maxlen=size))
        for key in (*always, *start)
    }

    def emit(key: str, acc: _Acc, page: int | None, entries: list[Entry], last: bool) -> None:
        file = list_page(acc.base, page)
        pages = 0 if acc.count <= per_page else -(-acc.count // per_page)
        shown = tuple(reversed(entries))
        context = (key, page, last) if page is not None else (key, None, pages, acc.count)
        digest = _digest(salt, context, shown)
        plan.digests[file] = digest
        if page is None:
            plan.fronts[key] = file
        if before.get(file) != digest:
            plan.jobs.append(
                PageJob(key, file, digest, tuple(e[0] for e in shown), page, pages, acc.count, last)
            )

    for row in rows:
        entry = (row.id, row.revision, source_revision[row.source_id])
        for key in lists_of(row):
            acc = accs.get(key)
            if acc is None:
                acc = accs[key] = _Acc(base_of(key), tail=deque(maxlen=size))
            if acc.full is not None:
                emit(key, acc, acc.count // per_page, acc.full, False)
                acc.full = None
            acc.count += 1
            acc.page.append(entry)
            acc.tail.append(entry)
            if len(acc.page) == per_page:
                acc.full, acc.page = acc.page, []
    for key, acc in accs.items():
        plan.counts[key] = acc.count
        if acc.count > per_page:
            if acc.full is not None:
                emit(key, acc, acc.count // per_page, acc.full, not acc.page)
            if acc.page:
                emit(key, acc, acc.count // per_page + 1, acc.page, True)
        emit(key, acc, None, list(acc.tail)[-per_page:], False)
        if not has_feed(key):
            continue
        newest = tuple(reversed(list(acc.tail)[-feed_size:]))
        feed_key = f"{acc.base}/feed.xml" if acc.base else "feed.xml"
        digest = _digest(salt, key, "feed", newest)
        plan.digests[feed_key] = digest
        if before.get(feed_key) != digest:
            plan.feeds[key] = (digest, tuple(e[0] for e in newest))
    return plan
