"""The pipeline, stage by stage: fetch -> parse -> normalize -> store -> publish.

Each function takes its dependencies (settings, storage, HTTP client, clock, progress) as
arguments; the CLI wires them up. A failing source is a result, never an exception.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from hotpress import _normalize
from hotpress._expand import ExpandReport, expand_sources
from hotpress._fetch import FetchSettings, fetch_all, make_client
from hotpress._filters import held_back
from hotpress._fulltext import FulltextReport, fulltext_sources
from hotpress._hot import RankEntry, rank_entries
from hotpress._hot.stories import assign_stories
from hotpress._media import MediaReport, copy_missing, media_pass, media_targets
from hotpress._normalize import entry_key, normalize_entry, raw_digest
from hotpress._notify import NotifyReport, notify_round
from hotpress._parse import parse_feed
from hotpress._progress import NullProgress, Progress
from hotpress._publish.posts import OutputReport, publish_hexo
from hotpress._schedule import next_due
from hotpress._storage.base import Storage
from hotpress.config import FetchConfig, Settings
from hotpress.exceptions import ParseError
from hotpress.types import (
    FetchRequest,
    FetchResult,
    Item,
    ParsedEntry,
    ParsedFeed,
    SourceSpec,
    SourceState,
    StoreCounts,
)

__all__ = [
    "FetchReport",
    "OutputReport",
    "RunReport",
    "SourceOutcome",
    "SourceState",
    "Storage",
    "publish",
    "refresh",
    "run",
    "utcnow",
]

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class SourceOutcome:
    key: str
    url: str
    status: int | None
    counts: StoreCounts
    not_modified: bool = False
    error: str | None = None
    entries: int = 0


@dataclass(frozen=True, slots=True)
class FetchReport:
    outcomes: tuple[SourceOutcome, ...]
    expansions: ExpandReport = field(default_factory=ExpandReport)
    media: MediaReport = field(default_factory=MediaReport)
    fulltext: FulltextReport = field(default_factory=FulltextReport)
    notify: NotifyReport | None = None
    """What the pushes of this round did (``None``: no ``notify:`` target)."""

    @property
    def failed(self) -> list[SourceOutcome]:
        return [o for o in self.outcomes if o.error]

    @property
    def all_failed(self) -> bool:
        return bool(self.outcomes) and len(self.failed) == len(self.outcomes)

    @property
    def new(self) -> int:
        return sum(o.counts.new for o in self.outcomes)

    @property
    def updated(self) -> int:
        return sum(o.counts.updated for o in self.outcomes)


@dataclass(frozen=True, slots=True)
class RunReport:
    fetch: FetchReport | None = None
    outputs: tuple[OutputReport, ...] = field(default_factory=tuple)


PUBLIC_RSSHUB = frozenset({"rsshub.app"})
"""The shared public instance: not the user's own server, so it keeps the politeness."""


def rsshub_hosts(settings: Settings) -> frozenset[str]:
    """Host names of the RSSHub instance(s) the config names (``rsshub:``, globally or on a
    source with a route), but the public one: the user's own servers."""
    bases = [settings.rsshub]
    # A route source's URL is its RSSHub base + the route (its key).
    bases += [
        s.url[: -len(s.key)]
        for s in settings.sources
        if s.key.startswith("/") and s.url.endswith(s.key) and s.url.startswith("http")
    ]
    hosts = {(urlsplit(base).hostname or "").lower() for base in bases}
    return frozenset(hosts - PUBLIC_RSSHUB - {""})


def fetch_settings(config: FetchConfig, own_hosts: Iterable[str] = ()) -> FetchSettings:
    return FetchSettings(
        concurrency=config.concurrency,
        per_host=config.per_host,
        connect_timeout=min(10.0, config.timeout / 3),
        read_timeout=config.timeout,
        # One source's whole allowance, retries and their waits included: a server that
        # drips a byte now and then never trips the read timeout, only this.
        total_timeout=2 * config.timeout,
        max_body_bytes=int(config.max_body_mb * 1024 * 1024),
        retries=config.retries,
        min_host_interval=config.min_host_interval,
        own_hosts=frozenset(own_hosts),
    )


def parse_result(spec: SourceSpec, content: bytes, result: FetchResult) -> ParsedFeed:
    """The fetched body as a feed, read in the source's timezone; ParseError if it is none."""
    return parse_feed(
        content, url=result.url, content_type=result.content_type, timezone=spec.timezone
    )


# Where the entries start. RSSHub renders every response afresh (lastBuildDate, a cache
# note), so whole bodies rarely repeat while their entries do: the digest covers the
# entries' bytes and what decides how they are read (XML declaration, Content-Type).
_FIRST_ENTRY = (b"<item", b"<entry", b'"items"')


def _digest(content: bytes, content_type: str | None) -> str:
    digest = hashlib.blake2b(digest_size=16)
    # A new normalizer reads every body again (stored entries are then normalized again).
    digest.update(_normalize.NORMALIZE_VERSION.encode() + b"\0")
    digest.update((content_type or "").encode("latin-1", "replace") + b"\0")
    starts = [at for marker in _FIRST_ENTRY if (at := content.find(marker)) > 0]
    if starts and b"<!DOCTYPE" not in content[: min(starts)]:
        head = content[: content.find(b"?>") + 2] if content.startswith(b"<?xml") else b""
        digest.update(head + b"\0" + content[min(starts) :])
    else:
        digest.update(content)
    return digest.hexdigest()


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
        item = normalize_entry(spec, entry, feed.link, digest)
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


def read_result(spec: SourceSpec, result: FetchResult, storage: Storage) -> Reading:
    """Parse and normalize one fetched body: the costly part, reading but never writing the
    archive (the split a fleet of fetch workers keeps: they read, one place writes). A body
    whose entries are byte for byte the last ones stored is not parsed again; entries stored
    unchanged are not normalized."""
    if result.error is not None or result.not_modified or result.content is None:
        return Reading(None, [], None, None, result.not_modified, result.error)
    digest = _digest(result.content, result.content_type)
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


def save_reading(
    spec: SourceSpec, result: FetchResult, reading: Reading, storage: Storage, *, now: datetime
) -> SourceOutcome:
    """Store what :func:`read_result` gave, with the fetch, in one transaction."""
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
    spec: SourceSpec, result: FetchResult, storage: Storage, *, now: datetime
) -> SourceOutcome:
    """Parse, normalize and store one fetched source in one transaction."""
    return save_reading(spec, result, read_result(spec, result, storage), storage, now=now)


async def refresh(
    settings: Settings,
    storage: Storage,
    *,
    client: httpx.AsyncClient | None = None,
    keys: Sequence[str] | None = None,
    clock: Clock = utcnow,
    progress: Progress | None = None,
) -> FetchReport:
    """Fetch the configured sources (or only ``keys``) and store what they hold."""
    progress = progress or NullProgress()
    started = clock()
    storage.sync_sources(settings.sources)
    wanted = set(keys) if keys is not None else None
    specs = {s.key: s for s in settings.sources if wanted is None or s.key in wanted}
    requests = [
        FetchRequest(source_key=s.key, url=s.url, validators=storage.validators(s.key))
        for s in specs.values()
    ]
    # Parsing, sanitizing and storing run on one worker thread (the only user of the archive
    # while the fetches run), so the event loop keeps starting requests meanwhile.
    options = fetch_settings(settings.fetch, rsshub_hosts(settings))
    if client is None:
        async with make_client(options) as own:
            report = await _refresh(
                specs, requests, storage, own, options, clock, progress, settings
            )
            report = await _media(settings, storage, own, options, clock, report)
    else:
        report = await _refresh(
            specs, requests, storage, client, options, clock, progress, settings
        )
        report = await _media(settings, storage, client, options, clock, report)
    if settings.notify:
        pushed = notify_round(settings.notify, storage, now=clock(), since=started)
        report = replace(report, notify=pushed)
    return report


async def _media(
    settings: Settings,
    storage: Storage,
    client: httpx.AsyncClient,
    options: FetchSettings,
    clock: Clock,
    report: FetchReport,
) -> FetchReport:
    """The images of every new or changed body (``images: local`` / ``image_proxy``)."""
    if settings.media_dir is None:
        return report
    sources = {s.key: s for s in settings.sources}
    media = await media_pass(
        settings.images,
        sources,
        storage,
        root=settings.media_dir,
        client=client,
        fetch=options,
        now=clock(),
    )
    return replace(report, media=media)


async def _refresh(
    specs: dict[str, SourceSpec],
    requests: list[FetchRequest],
    storage: Storage,
    client: httpx.AsyncClient,
    options: FetchSettings,
    clock: Clock,
    progress: Progress,
    settings: Settings,
) -> FetchReport:
    loop = asyncio.get_running_loop()
    stored: list[asyncio.Future[SourceOutcome]] = []

    def store(result: FetchResult) -> SourceOutcome:
        outcome = store_result(specs[result.source_key], result, storage, now=clock())
        progress.advance("sources", failed=outcome.error is not None)
        stored_items = outcome.counts.new + outcome.counts.updated
        if stored_items:
            progress.advance("items", stored_items)
        return outcome

    progress.begin("sources", len(requests))
    progress.begin("items", None)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hotpress-store") as worker:

        def on_result(result: FetchResult) -> None:
            stored.append(loop.run_in_executor(worker, store, result))

        try:
            await fetch_all(requests, client=client, settings=options, on_result=on_result)
        finally:
            # Whatever was fetched is stored, even when the batch stops on a bug.
            results = await asyncio.gather(*stored, return_exceptions=True)
            progress.end("sources")
            progress.end("items")
    outcomes: list[SourceOutcome] = []
    for outcome in results:
        if isinstance(outcome, BaseException):
            raise outcome
        outcomes.append(outcome)
    order = {key: i for i, key in enumerate(specs)}
    outcomes.sort(key=lambda o: order[o.key])
    # The second feeds of the sources that refreshed well (a failing RSSHub is not asked for
    # their expansions as well); failed expansions wait for the source's next refresh.
    expandable = [specs[o.key] for o in outcomes if o.error is None and specs[o.key].expand]
    expansions = await expand_sources(
        expandable, storage, client=client, settings=options, now=clock()
    )
    extractable = [specs[o.key] for o in outcomes if o.error is None and specs[o.key].fulltext]
    fulltext = await fulltext_sources(
        extractable,
        storage,
        client=client,
        settings=options,
        now=clock(),
        allow_private=settings.images.allow_private,
    )
    for outcome in outcomes:
        if specs[outcome.key].hotlist and outcome.error is None:
            assign_stories(
                storage,
                outcome.key,
                now=clock(),
                threshold=settings.stories.threshold,
                window_hours=settings.stories.window_hours,
            )
    return FetchReport(tuple(outcomes), expansions, fulltext=fulltext)


def publish(
    settings: Settings,
    storage: Storage,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> tuple[OutputReport, ...]:
    """Write every configured output from the archive (only what changed)."""
    storage.sync_sources(settings.sources)
    reports: list[OutputReport] = []
    copy_media(settings)
    if settings.hexo_dir is not None:
        reports.append(publish_hexo(storage, settings.hexo_dir, force=force, progress=progress))
        digests = [s for s in settings.sources if s.hotlist and s.digest == "daily"]
        if digests:
            from hotpress._publish.hot_digest import publish_digests

            reports.append(publish_digests(digests, storage, settings.hexo_dir, settings.timezone))
    if settings.site_dir is not None:
        from hotpress._site import build_site

        reports.append(build_site(settings, storage, progress=progress, force=force))
    return tuple(reports)


def copy_media(settings: Settings) -> int:
    """Copy kept images Hexo's ``source/media/`` does not hold yet (``images: local``; the
    site's build copies its own)."""
    if settings.images.mode != "local" or settings.media_dir is None:
        return 0
    targets = media_targets(settings.hexo_dir, None)
    return sum(copy_missing(settings.media_dir, target) for target in targets)


def run(
    settings: Settings,
    storage: Storage,
    *,
    keys: Sequence[str] | None = None,
    clock: Clock = utcnow,
    progress: Progress | None = None,
) -> RunReport:
    fetched = asyncio.run(refresh(settings, storage, keys=keys, clock=clock, progress=progress))
    outputs = publish(settings, storage, progress=progress)
    return RunReport(fetch=fetched, outputs=outputs)
