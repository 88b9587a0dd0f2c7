"""An incremental build whose cost follows what changed: when the archive only gained items
(and sources) since the last build, the lists are planned from their newest pages alone.

A full build reads every item's order row (``plan.plan_lists``) and sitemap row; at
1,000,000 items that is most of a build that adds 50. So every build also keeps a snapshot in
its state (``@lists``): the archive fingerprint it planned from, the mark of its newest item,
a digest of the sources, every list's item count and front page, the search segments and
each sitemap part's newest date (``snapshot.py``). The next build compares the archive with it
(:func:`check`); if nothing
but new items and new sources came, a list that gained items has changed only from the page
holding its oldest new item on (pages are numbered from the oldest), and the build reads just
those rows, newest first, with indexed queries (:func:`tail_plan`). Anything else (an edited,
removed or re-filtered item, a changed source) takes the full pass. Both give the same pages,
byte for byte (``tests/test_site_tail.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from hotpress._site import extra, searchindex
from hotpress._site.build_parts import ListKeys
from hotpress._site.plan import Plan, plan_lists
from hotpress._site.snapshot import KEY, Snapshot, added_since
from hotpress._site.urls import list_page
from hotpress._storage.site_rows import (
    Fingerprint,
    ItemMark,
    OrderRow,
    SitemapRow,
    SiteSource,
    SiteStore,
)

_SHARE = 50
_MANY = 5000
"""A category holding less than 1/_SHARE of the items, from at most _MANY sources, is read
by its sources (one query; SQLite takes 32,766 parameters); a larger one from the newest
items of all, filtered here."""


class _Reader:
    """A list's newest rows, read with indexed queries (more each time more are needed)."""

    def __init__(
        self,
        storage: SiteStore,
        key: str,
        lists_of: ListKeys,
        sources: Mapping[int, SiteSource],
        counts: Mapping[str, int],
    ) -> None:
        self.key = key
        self.share = 1
        self.member: Callable[[OrderRow], bool] = lambda row: True
        self.fetch: Callable[[int], list[OrderRow]] = lambda limit: storage.site_newest(limit)
        if key.startswith("c"):
            path = extra.category_path(key)
            ids = sorted(s.id for s in sources.values() if s.category[: len(path)] == path)
            total, own = counts.get("all", 0), counts.get(key, 0)
            if own * _SHARE < total and len(ids) <= _MANY:
                self.fetch = lambda limit: storage.site_newest(limit, sources=ids)
            else:
                wanted = frozenset(ids)
                self.member = lambda row: row.source_id in wanted
                self.share = max(1, total // max(own, 1))
        elif key.startswith("m"):
            year, month = int(key[1:5]), int(key[6:8])
            first = datetime(year, month, 1, tzinfo=lists_of.zone)
            after = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=lists_of.zone)
            # Two days either side: the exact boundary is the one ListKeys draws.
            since = int((first - timedelta(days=2)).timestamp())
            until = int((after + timedelta(days=2)).timestamp())
            self.fetch = lambda limit: storage.site_newest(limit, since=since, until=until)
            self.member = lambda row: key in lists_of(row)

    def newest(self, enough: Callable[[list[OrderRow]], bool]) -> list[OrderRow]:
        """The newest rows, until ``enough`` of them or all."""
        limit = 256 * self.share
        while True:
            raw = self.fetch(limit)
            rows = [r for r in raw if self.member(r)]
            if enough(rows) or len(raw) < limit:
                return rows
            limit *= 4


@dataclass(frozen=True, slots=True)
class ListOptions:
    """What ``plan_lists`` is given besides the rows, the revisions and the digests."""

    lists_of: ListKeys
    base_of: Callable[[str], str]
    per_page: int
    feed_size: int
    salt: str
    has_feed: Callable[[str], bool]


class Present(Mapping[str, str]):
    """The last build's state as ``plan_lists`` asks it: a page whose file is gone (deleted
    by hand) has no digest, so it is rendered again. Checked for the pages asked about only."""

    def __init__(self, state: Mapping[str, str], prefix: str) -> None:
        self.state = state
        self.prefix = prefix

    def __getitem__(self, key: str) -> str:
        value = self.state[key]
        if key[0] != "@" and not os.path.isfile(self.prefix + key):
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return (k for k in self.state if k in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def check(
    storage: SiteStore,
    state: Mapping[str, str],
    fingerprint: Fingerprint,
    sources: Mapping[int, SiteSource],
) -> tuple[Snapshot, list[ItemMark]] | None:
    """The last build's snapshot and the items added since, if the archive gained nothing
    but items and sources since it (then the only items whose pages are due are those);
    ``None`` for a full pass."""
    snap = Snapshot.parse(state.get(KEY))
    if snap is None or any(f"@search/{k}" not in state for k in snap.segments):
        return None
    added = added_since(storage, snap, fingerprint, list(sources.values()))
    return None if added is None else (snap, added)


def start(
    storage: SiteStore,
    snap: Snapshot,
    added: Sequence[ItemMark],
    sources: Mapping[int, SiteSource],
    state: Mapping[str, str],
    prefix: str,
    options: ListOptions,
) -> tuple[Plan, TailSegments, Present] | None:
    """The plan, search segments and last state of a tail build (:func:`check` said so);
    ``None`` if a list is not as the snapshot says (then the full pass)."""
    before = Present(state, prefix)
    plan = tail_plan(storage, added, snap, options, sources, before)
    if plan is None:
        return None
    revisions = {s.id: s.revision for s in sources.values()}
    touched = {a.id // searchindex.SEGMENT for a in added if not a.filtered}
    segments = TailSegments(storage, options.salt, state, snap.segments, touched, revisions)
    return plan, segments, before


def sitemap_rows(
    storage: SiteStore,
    output: str,
    snap: Snapshot,
    changed: Iterable[int],
    stale: Callable[[int], bool],
) -> tuple[Iterator[SitemapRow], dict[int, int]]:
    """The rows of the sitemap parts to render again (the changed ones, and any whose file
    is gone), and the newest dates of the others from ``snap``."""
    chunks = sorted({*changed, *(c for c in snap.sitemaps if stale(c))})
    known = {c: v for c, v in snap.sitemaps.items() if c not in chunks}
    size = extra.SITEMAP_CHUNK
    rows = (r for c in chunks for r in storage.site_sitemap(output, c * size, (c + 1) * size))
    return rows, known


def tail_plan(
    storage: SiteStore,
    added: Sequence[ItemMark],
    snap: Snapshot,
    options: ListOptions,
    sources: Mapping[int, SiteSource],
    before: Mapping[str, str],
) -> Plan | None:
    """The plan of :func:`plan.plan_lists` over the whole archive, from the lists that gained
    ``added`` alone: pages before the one holding a list's oldest new item keep their digests
    (they are not in ``plan.digests``: the state has them). ``None`` if a list's rows are not
    as the snapshot says (the caller then takes the full pass)."""
    lists_of, base_of, per_page = options.lists_of, options.base_of, options.per_page
    revisions = {s.id: s.revision for s in sources.values()}
    size = max(per_page, options.feed_size)
    new_rows: dict[str, list[OrderRow]] = {}
    for mark in added:
        if not mark.filtered:
            row = mark.order()
            for key in lists_of(row):
                new_rows.setdefault(key, []).append(row)
    plan = Plan()
    for key, rows in new_rows.items():
        oldest = min((r.date, r.id) for r in rows)
        before_count = snap.counts.get(key, 0)
        count = before_count + len(rows)
        reader = _Reader(storage, key, lists_of, sources, snap.counts)
        got = reader.newest(_enough(oldest, before_count, count, per_page, size))
        at = _position(got, oldest)
        if at is None:
            return None
        first = _start(count - at - 1, before_count, count, per_page, size)
        if len(got) < count - first:
            return None
        part = plan_lists(
            reversed(got[: count - first]),
            lists_of=_only(key),
            base_of=base_of,
            source_revision=revisions,
            per_page=per_page,
            feed_size=options.feed_size,
            salt=options.salt,
            before=before,
            always=(),
            has_feed=options.has_feed,
            start={key: first},
        )
        plan.merge(part)
    counts = {**snap.counts, **plan.counts}
    plan.counts = counts
    fronts = {**snap.fronts, **plan.fronts}
    plan.fronts = {key: fronts.get(key) or list_page(base_of(key), None) for key in counts}
    return plan


def full_plan(
    rows: Iterable[OrderRow],
    revisions: Mapping[int, int],
    before: Mapping[str, str],
    options: ListOptions,
) -> Plan:
    """The plan from every item's row (the full pass)."""
    return plan_lists(
        rows,
        lists_of=options.lists_of,
        base_of=options.base_of,
        source_revision=revisions,
        per_page=options.per_page,
        feed_size=options.feed_size,
        salt=options.salt,
        before=before,
        has_feed=options.has_feed,
    )


def _start(at: int, old: int, count: int, per_page: int, size: int) -> int:
    """Where a list's changed rows begin (of ``count``, ``old`` before the build): the page
    holding position ``at`` (counted from the oldest), the page that was the newest (its
    "last" mark may change), and far enough back for the front page and the feed."""
    page = min(at // per_page + 1, -(-old // per_page)) if old > per_page else 1
    return max(0, min((page - 1) * per_page, (count - size) // per_page * per_page))


def _position(rows: Sequence[OrderRow], oldest: tuple[int, int]) -> int | None:
    return next((i for i, r in enumerate(rows) if (r.date, r.id) == oldest), None)


def _enough(
    oldest: tuple[int, int], old: int, count: int, per_page: int, size: int
) -> Callable[[list[OrderRow]], bool]:
    def enough(found: list[OrderRow]) -> bool:
        at = _position(found, oldest)
        return at is not None and len(found) >= count - _start(
            count - at - 1, old, count, per_page, size
        )

    return enough


def _only(key: str) -> Callable[[OrderRow], tuple[str]]:
    return lambda row: (key,)


class LazyIds(dict[int, list[int]]):
    """Segment -> its item ids (oldest first by (date, id)), read when first asked for."""

    def __init__(self, storage: SiteStore) -> None:
        super().__init__()
        self.storage = storage

    def __missing__(self, segment: int) -> list[int]:
        low = segment * searchindex.SEGMENT
        ids = [r.id for r in self.storage.site_segment(low, low + searchindex.SEGMENT)]
        self[segment] = ids
        return ids


class TailSegments:
    """The search segments of a tail build: the state's digests, those holding a new item
    computed again (the same digest ``SegmentDigests`` gives from the full pass)."""

    def __init__(
        self,
        storage: SiteStore,
        salt: str,
        state: Mapping[str, str],
        segments: Iterable[int],
        touched: Iterable[int],
        revisions: Mapping[int, int],
    ) -> None:
        self.ids = LazyIds(storage)
        self._digests: dict[int, str] = {}
        for segment in segments:
            self._digests[segment] = state[f"@search/{segment}"]
        for segment in sorted(set(touched)):
            fresh = searchindex.SegmentDigests(salt)
            low = segment * searchindex.SEGMENT
            for row in storage.site_segment(low, low + searchindex.SEGMENT):
                fresh.add(row.id, row.revision, revisions[row.source_id])
            self.ids[segment] = fresh.ids[segment]
            self._digests.update(fresh.digests())

    def digests(self) -> dict[int, str]:
        return dict(sorted(self._digests.items()))


__all__ = [
    "KEY",
    "LazyIds",
    "ListOptions",
    "Present",
    "Snapshot",
    "TailSegments",
    "added_since",
    "check",
    "full_plan",
    "sitemap_rows",
    "start",
    "tail_plan",
]
