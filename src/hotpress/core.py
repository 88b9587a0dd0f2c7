"""The pipeline, stage by stage: fetch -> parse -> normalize -> store -> publish.

Each function takes its dependencies (settings, storage, HTTP client, clock, progress) as
arguments; the CLI wires them up. A failing source is a result, never an exception.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from hotpress._after import after_refresh
from hotpress._expand import ExpandReport, expand_sources
from hotpress._fetch import FetchSettings, fetch_all, make_client
from hotpress._fetch_options import PUBLIC_RSSHUB, fetch_settings, rsshub_hosts
from hotpress._fulltext import FulltextReport, fulltext_sources
from hotpress._hot.stories import assign_stories
from hotpress._media import MediaReport, copy_missing, media_targets
from hotpress._notify import NotifyReport
from hotpress._pool import ArchivePool, worker_count
from hotpress._progress import NullProgress, Progress
from hotpress._publish.posts import publish_hexo
from hotpress._publish.report import OutputReport
from hotpress._readers import Readers
from hotpress._reading import (
    Reading,
    SourceOutcome,
    parse_result,
    read_result,
    save_reading,
    store_result,
)
from hotpress._retention import RetentionReport, apply_retention
from hotpress._storage.base import Storage
from hotpress.config import Settings
from hotpress.types import (
    FetchRequest,
    FetchResult,
    SourceSpec,
    SourceState,
)

__all__ = [
    "PUBLIC_RSSHUB",
    "FetchReport",
    "OutputReport",
    "Reading",
    "RunReport",
    "SourceOutcome",
    "SourceState",
    "Storage",
    "fetch_settings",
    "parse_result",
    "publish",
    "read_result",
    "refresh",
    "rsshub_hosts",
    "run",
    "run_round",
    "save_reading",
    "store_result",
    "utcnow",
]

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


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
    retention: RetentionReport | None = None
    """What retention removed (``None``: no limit configured, or nothing published)."""


async def refresh(
    settings: Settings,
    storage: Storage,
    *,
    client: httpx.AsyncClient | None = None,
    keys: Sequence[str] | None = None,
    clock: Clock = utcnow,
    progress: Progress | None = None,
    lease: str | None = None,
    pool: ArchivePool | None = None,
) -> FetchReport:
    """Fetch the configured sources (or only ``keys``) and store what they hold.

    ``lease``: a worker's refresh of sources a scheduler leased to this token (who synced the
    sources already); each is stored only while the lease is still its own: it reads every
    body in this process (it is one of many processes already). ``pool``: the run's worker
    processes, which read a large round's bodies (without one, the refresh starts its own
    as ``fetch.read_workers`` says, and stops it when it ends)."""
    if pool is None and lease is None:
        workers = run_pool(settings, storage)
        try:
            return await refresh(
                settings,
                storage,
                client=client,
                keys=keys,
                clock=clock,
                progress=progress,
                pool=workers,
            )
        finally:
            await asyncio.get_running_loop().run_in_executor(None, workers.close)
    progress = progress or NullProgress()
    started = clock()
    if lease is None:
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
                specs, requests, storage, own, options, clock, progress, settings, pool, lease
            )
            if lease is None:
                report = await after_refresh(
                    settings, storage, own, options, clock, report, started
                )
    else:
        report = await _refresh(
            specs, requests, storage, client, options, clock, progress, settings, pool, lease
        )
        if lease is None:
            report = await after_refresh(settings, storage, client, options, clock, report, started)
    # A worker's refresh (``lease``) leaves them to the round's sender (``_after.after_round``):
    # they work on the whole archive, once a round, on the machine that publishes.
    return report


async def _refresh(
    specs: dict[str, SourceSpec],
    requests: list[FetchRequest],
    storage: Storage,
    client: httpx.AsyncClient,
    options: FetchSettings,
    clock: Clock,
    progress: Progress,
    settings: Settings,
    pool: ArchivePool | None,
    lease: str | None = None,
) -> FetchReport:
    loop = asyncio.get_running_loop()
    stored: list[asyncio.Future[SourceOutcome]] = []

    def save(
        spec: SourceSpec, result: FetchResult, reading: Reading | None, digest: str | None = None
    ) -> SourceOutcome:
        outcome = store_result(
            spec, result, storage, now=clock(), lease=lease, digest=digest, reading=reading
        )
        progress.advance("sources", failed=outcome.error is not None)
        stored_items = outcome.counts.new + outcome.counts.updated
        if stored_items:
            progress.advance("items", stored_items)
        return outcome

    # The pool reads only for a refresh that is not a lease's (that one is a worker already).
    readers_pool = pool if pool is not None and pool.usable and lease is None else None
    known = {key: storage.body_digest(key) for key in specs} if readers_pool else {}

    progress.begin("sources", len(requests))
    progress.begin("items", None)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hotpress-store") as worker:
        readers = Readers(readers_pool, worker, save, known) if readers_pool else None

        def on_result(result: FetchResult) -> None:
            spec = specs[result.source_key]
            if readers is not None:
                stored.append(readers.put(spec, result))
            else:
                stored.append(loop.run_in_executor(worker, save, spec, result, None))

        try:
            await fetch_all(requests, client=client, settings=options, on_result=on_result)
        finally:
            try:
                # Whatever was fetched is stored, even when the batch stops on a bug.
                results = await asyncio.gather(*stored, return_exceptions=True)
            finally:
                if readers is not None:
                    readers.close()
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
    outcomes = [o for o in outcomes if not o.lost]
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


def run_pool(settings: Settings, storage: Storage) -> ArchivePool:
    """Worker processes for one run (``fetch.read_workers``; none spawned until needed)."""
    return ArchivePool(storage.opener(), worker_count(settings.fetch.read_workers))


def publish(
    settings: Settings,
    storage: Storage,
    *,
    force: bool = False,
    progress: Progress | None = None,
    pool: ArchivePool | None = None,
) -> tuple[OutputReport, ...]:
    """Write every configured output from the archive (only what changed); ``pool``: the
    run's worker processes, which write many Hexo posts beside this one."""
    storage.sync_sources(settings.sources)
    reports: list[OutputReport] = []
    copy_media(settings)
    if settings.hexo_dir is not None:
        reports.append(
            publish_hexo(storage, settings.hexo_dir, force=force, progress=progress, pool=pool)
        )
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


def run_round(
    settings: Settings,
    storage: Storage,
    *,
    keys: Sequence[str] | None = None,
    fetch: bool = True,
    publish_outputs: bool = True,
    force: bool = False,
    publish_unchanged: bool = True,
    clock: Clock = utcnow,
    progress: Progress | None = None,
) -> RunReport:
    """One round: fetch -> publish -> retention, the one place they are put together
    (``run`` here, the CLI's ``run``/``fetch``/``publish`` and ``watch`` all call it).

    ``fetch``/``publish_outputs`` pick the stages; retention follows publishing when the
    config keeps a limit. ``publish_unchanged=False`` skips publishing when the fetch stored
    nothing new or changed (``watch``'s later rounds: publishing is incremental anyway, the
    skip saves the scan)."""
    pool = run_pool(settings, storage)  # shared by the fetch and the Hexo posts
    try:
        fetched = (
            asyncio.run(
                refresh(settings, storage, keys=keys, clock=clock, progress=progress, pool=pool)
            )
            if fetch
            else None
        )
        outputs: tuple[OutputReport, ...] = ()
        changed = fetched is None or bool(fetched.new or fetched.updated)
        if publish_outputs and (publish_unchanged or changed):
            outputs = publish(settings, storage, force=force, progress=progress, pool=pool)
    finally:
        pool.close()
    kept = None
    if publish_outputs and settings.retention:
        kept = apply_retention(settings, storage, now=clock())
    return RunReport(fetch=fetched, outputs=outputs, retention=kept)


def run(
    settings: Settings,
    storage: Storage,
    *,
    keys: Sequence[str] | None = None,
    clock: Clock = utcnow,
    progress: Progress | None = None,
) -> RunReport:
    """Fetch, publish and apply retention: one :func:`run_round`."""
    return run_round(settings, storage, keys=keys, clock=clock, progress=progress)
