"""The decision step: what changed in one fetched body since the last time, and storing it.

``read_result`` parses and normalizes (reading the archive, never writing it: worker processes
can run it); ``save_reading`` stores the fetch and its items in one transaction, flags what the
filters hold back and records a hot list's ranks. ``store_result`` is both, in one place.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from hotpress import _normalize
from hotpress._filters import held_back
from hotpress._hot import RankEntry, rank_entries
from hotpress._normalize import entry_key, normalize_entry, raw_digest
from hotpress._parse import parse_feed
from hotpress._pool import archive
from hotpress._schedule import next_due
from hotpress._storage.base import Storage
from hotpress.exceptions import LeaseLostError, ParseError
from hotpress.types import FetchResult, Item, ParsedEntry, ParsedFeed, SourceSpec, StoreCounts


@dataclass(frozen=True, slots=True)
class SourceOutcome:
    key: str
    url: str
    status: int | None
    counts: StoreCounts
    not_modified: bool = False
    error: str | None = None
    entries: int = 0
    lost: bool = False
    """A worker's late duplicate: its lease was gone, nothing was stored (``error`` says so)."""


def parse_result(spec: SourceSpec, content: bytes, result: FetchResult) -> ParsedFeed:
    """The fetched body as a feed, read in the source's timezone; ParseError if it is none."""
    return parse_feed(
        content, url=result.url, content_type=result.content_type, timezone=spec.timezone
    )


# Where the entries start. RSSHub renders every response afresh (lastBuildDate, a cache
# note), so whole bodies rarely repeat while their entries do: the digest covers the
# entries' bytes and what decides how they are read (XML declaration, Content-Type).
_FIRST_ENTRY = (b"<item", b"<entry", b'"items"')
# The first of them in one scan that stops there (a find per marker read an RSS body to
# its end looking for "<entry" and '"items"': a third of the digest's time).
_FIRST_ENTRY_AT = re.compile(b"|".join(re.escape(marker) for marker in _FIRST_ENTRY))


def _entries_start(content: bytes) -> int:
    """Where the first marker that is not at offset 0 starts (-1: none)."""
    found = _FIRST_ENTRY_AT.search(content)
    if found is None:
        return -1
    if found.start() > 0:
        return found.start()
    # A marker at offset 0 does not count (nor do its later places): each other one's first.
    starts = [at for marker in _FIRST_ENTRY if (at := content.find(marker)) > 0]
    return min(starts, default=-1)


def _digest(content: bytes, content_type: str | None) -> str:
    # SHA-256: hardware-accelerated on today's x86 and ARM CPUs, twice as fast as blake2b
    # here (bench/ingest.py's corpus: 0.024 s against 0.046 s for its 43 MB). A digest an
    # older hotpress stored (blake2b) only makes the next fetch parse the body once: its
    # entries are then found unchanged by their raw digests, nothing is normalized again.
    digest = hashlib.sha256()
    # A new normalizer reads every body again (stored entries are then normalized again).
    digest.update(_normalize.NORMALIZE_VERSION.encode() + b"\0")
    digest.update((content_type or "").encode("latin-1", "replace") + b"\0")
    start = _entries_start(content)
    if start > 0 and b"<!DOCTYPE" not in content[:start]:
        head = content[: content.find(b"?>") + 2] if content.startswith(b"<?xml") else b""
        digest.update(head + b"\0")
        digest.update(memoryview(content)[start:])  # no copy of the body
    else:
        digest.update(content)
    return digest.hexdigest()[:32]


def _changed_items(
    spec: SourceSpec, feed: ParsedFeed, storage: Storage
) -> tuple[list[Item], list[str], list[tuple[str, ParsedEntry]]]:
    """Normalize only the entries that changed since they were stored; the identities of the
    others come back as seen. Sanitizing is the costly step, and most entries of a hot list
    are the same from one refresh to the next. Last: every entry with its identity, in feed
    order (a hot list's ranks)."""
    keyed = [(entry_key(spec, entry), entry) for entry in feed.entries]
    digests = [raw_digest(entry) if key is not None else None for key, entry in keyed]
    # The first entry of a key speaks for it (as the first of an identity is the one kept).
    raw = {key: d for (key, _), d in reversed(list(zip(keyed, digests, strict=True))) if key and d}
    unchanged = storage.unchanged_entries(spec.key, raw)
    items: list[Item] = []
    seen: list[str] = []
    done: set[str] = set()
    order: list[tuple[str, ParsedEntry]] = []
    for (key, entry), digest in zip(keyed, digests, strict=True):
        if key is not None and key in unchanged:
            order.append((key, entry))
            if key not in done:
                done.add(key)
                seen.append(key)
            continue
        item = normalize_entry(spec, entry, feed.link, digest, key)
        order.append((item.identity, entry))
        if item.identity not in done:
            done.add(item.identity)
            items.append(item)
    return items, seen, order


@dataclass(frozen=True, slots=True)
class Reading:
    """What reading one fetched body gave (picklable: worker processes make it)."""

    items: list[Item] | None
    """The changed entries as items; ``None`` when nothing was read."""
    seen: list[str]
    """Identities of the entries stored unchanged."""
    ttl: int | None
    digest: str | None
    same: bool
    """The entries are byte for byte the last ones stored (or the server said 304)."""
    error: str | None
    ranks: tuple[RankEntry, ...] | None = None
    """A hot list's positions in this body (``None``: not a hot list, or not read)."""
    titles: tuple[tuple[str, str], ...] | None = None
    """(identity, title) of every entry in feed order, for the filters (``None``: not read)."""


def body_digest(result: FetchResult) -> str | None:
    """The digest :func:`read_result` compares with the stored one (``None``: no body)."""
    if result.error is not None or result.not_modified or result.content is None:
        return None
    return _digest(result.content, result.content_type)


def read_result(
    spec: SourceSpec, result: FetchResult, storage: Storage, *, digest: str | None = None
) -> Reading:
    """Parse and normalize one fetched body: the costly part, reading but never writing the
    archive (the split a fleet of fetch workers keeps: they read, one place writes). A body
    whose entries are byte for byte the last ones stored is not parsed again; entries stored
    unchanged are not normalized. ``digest``: the body's :func:`body_digest`, if known."""
    if result.error is not None or result.not_modified or result.content is None:
        return Reading(None, [], None, None, result.not_modified, result.error)
    digest = digest or _digest(result.content, result.content_type)
    # A hot list with no recorded ranks yet (just marked `hotlist:`) reads its body once.
    if digest == storage.body_digest(spec.key) and (
        not spec.hotlist or storage.hot_known(spec.key)
    ):
        return Reading(None, [], None, digest, True, None)
    try:
        feed = parse_result(spec, result.content, result)
    except ParseError as exc:
        return Reading(None, [], None, digest, False, exc.message)
    items, seen, order = _changed_items(spec, feed, storage)
    ranks = rank_entries(order, spec.heat) if spec.hotlist else None
    titles = tuple((identity, entry.title) for identity, entry in order) if spec.filters else None
    return Reading(items, seen, feed.ttl_minutes, digest, False, None, ranks, titles)


def read_in_worker(spec: SourceSpec, result: FetchResult, digest: str) -> Reading:
    """:func:`read_result` in a worker process of the run's pool, through its archive. Here,
    not in ``_readers``: a worker imports only what it runs (not asyncio, ~35 ms a spawn)."""
    return read_result(spec, result, archive(), digest=digest)


def save_reading(
    spec: SourceSpec,
    result: FetchResult,
    reading: Reading,
    storage: Storage,
    *,
    now: datetime,
    lease: str | None = None,
) -> SourceOutcome:
    """Store what :func:`read_result` gave, with the fetch, in one transaction (a worker's:
    only while ``lease`` is still the source's, see ``Storage.save_fetch``)."""
    error = reading.error
    errors_before = storage.error_count(spec.key)
    due = next_due(
        now,
        interval_minutes=spec.interval_minutes,
        error_count=errors_before + 1 if error else 0,
        retry_after=result.retry_after,
        max_age=result.max_age,
        ttl_minutes=reading.ttl,
    )
    same = reading.same
    try:
        counts = storage.save_fetch(
            spec.key,
            result,
            reading.items,
            now=now,
            error=error,
            next_due=due,
            seen=reading.seen,
            body_digest=reading.digest if error is None else None,
            same_as_before=same and error is None,
            lease=lease,
        )
    except LeaseLostError as exc:
        return SourceOutcome(
            spec.key, spec.url, result.status, StoreCounts(), error=str(exc), lost=True
        )
    if error is None:
        _apply_filters(spec, reading, storage, now)
    if spec.hotlist and error is None and (reading.ranks is not None or same):
        # Same body or a 304: still on the list at the same ranks.
        storage.record_ranks(spec.key, reading.ranks, now=now)
    return SourceOutcome(
        key=spec.key,
        url=spec.url,
        status=result.status,
        counts=counts,
        not_modified=same,
        error=error,
        entries=len(reading.items or ()) + len(reading.seen),
    )


def _apply_filters(spec: SourceSpec, reading: Reading, storage: Storage, now: datetime) -> None:
    """Flag the refresh's items the filters hold back (archived, not published). An unchanged
    body is judged on the stored titles, so a filter edited in the config applies at the next
    refresh of any kind."""
    if not spec.filters:
        storage.clear_filtered(spec.key)
        return
    titles = reading.titles
    if titles is None:
        titles = tuple(storage.seen_titles(spec.key, now))
    storage.mark_filtered(spec.key, held_back(spec.filters, titles))


def store_result(
    spec: SourceSpec,
    result: FetchResult,
    storage: Storage,
    *,
    now: datetime,
    lease: str | None = None,
    digest: str | None = None,
    reading: Reading | None = None,
) -> SourceOutcome:
    """Parse, normalize and store one fetched source in one transaction (``digest``: the
    body's :func:`body_digest`, if known; ``reading``: what a worker process read of it
    already, then only stored)."""
    if reading is None:
        reading = read_result(spec, result, storage, digest=digest)
    return save_reading(spec, result, reading, storage, now=now, lease=lease)
