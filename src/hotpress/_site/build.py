"""Build the static site from the archive, writing only what changed.

Order matters: item pages first (they fix each new item's path in ``publications``), then the
list pages and feeds that link to them, then the fixed pages, sitemap and search index.
A build over an unchanged archive stops after one query (the archive fingerprint).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from hotpress._progress import NullProgress, Progress
from hotpress._publish.report import OutputReport
from hotpress._publish.writer import Writer, sweep_temp
from hotpress._site import extra, listing, parallel, searchindex, status, tail
from hotpress._site.build_parts import (
    OUTPUT,
    ListKeys,
    count_files,
    render_fixed,
    render_search,
)
from hotpress._site.hot import build_hot, lists_due
from hotpress._site.hot_worker import MIN_ITEMS as HOT_WORKER_ITEMS
from hotpress._site.hot_worker import HotJob, HotWorker
from hotpress._site.items import ItemPages
from hotpress._site.pages import Renderer
from hotpress._site.slugs import category_dirs
from hotpress._site.snapshot import KEY as SNAPSHOT
from hotpress._site.snapshot import Snapshot, snapshot
from hotpress._site.state import BuildState
from hotpress._site.theme import fingerprint, make_env
from hotpress._storage.base import Storage
from hotpress._storage.site_rows import Fingerprint, ItemMark, OrderRow, SiteSource, SiteStore
from hotpress.config import Settings
from hotpress.exceptions import PublishError

FEED_SIZE = 30
LAYOUT_VERSION = "1"
"""Bump when the Python side of rendering changes, so every page is rebuilt once."""


class SiteStorage(Storage, SiteStore, Protocol):
    """A backend usable for the site: the pipeline's storage plus the site's read queries."""


def build_site(
    settings: Settings,
    storage: SiteStorage,
    *,
    progress: Progress | None = None,
    now: datetime | None = None,
    force: bool = False,
) -> OutputReport:
    if settings.site_dir is None:
        raise PublishError("no site folder configured (output.site)", path=settings.path)
    progress = progress or NullProgress()
    root = settings.site_dir
    theme = Path(settings.site.theme) if settings.site.theme else None
    if theme is not None and not theme.is_absolute():
        theme = settings.path.resolve().parent / theme
    salt = hashlib.sha1(
        f"{LAYOUT_VERSION}\0{fingerprint(theme)}"
        f"\0{settings.site.model_dump_json(exclude={'workers'})}"
        f"\0{settings.timezone}".encode()
    ).hexdigest()
    state = BuildState(storage)
    archive_mark = storage.site_fingerprint()
    mark = f"{salt}:{archive_mark.text()}"
    # Pages never show the build time (relative dates are made in the browser); ``now`` only
    # stands in for the status page's "as of" before any source was fetched.
    now = now or datetime.now(UTC)
    hot_specs = [s for s in settings.sources if s.hotlist]
    hot_keys = frozenset(s.key for s in hot_specs)
    hot_marks = sum(1 for k in state.marks if k.startswith("@hot/"))
    # The state's entries but "@build", "@files" and the hot lists' marks.
    known = len(state) - 1 - ("@files" in state) - hot_marks
    if not force and state.get("@build") == mark and (root / "index.html").is_file():
        try:
            sweep_temp(root)  # what a killed build left behind
        except PublishError as exc:
            return OutputReport(OUTPUT, error=str(exc))
        # Fetch results change the status page and the hot lists without changing the
        # archive's items.
        hot_written = hot_unchanged = hot_created = 0
        if hot_specs:
            renderer = Renderer(
                make_env(theme), settings.site, settings.timezone, category_dirs(storage), hot_keys
            )
            try:
                done = build_hot(
                    hot_specs, storage, renderer, root, state.marks, salt, OUTPUT, items_done=False
                )
            except PublishError as exc:
                return OutputReport(OUTPUT, 0, 0, str(exc))
            hot_written, hot_unchanged, hot_created = done.written, done.unchanged, done.created
        written, unchanged, created, error = _status(settings, storage, theme, root, now)
        files = int(state["@files"]) + created + hot_created if "@files" in state else None
        return OutputReport(
            OUTPUT,
            written + hot_written,
            known + unchanged + hot_unchanged,
            error,
            total=files,
        )
    # The same test as _build's: a full build (every item page rendered, with its rank chart)
    # counts the folder's files afterwards.
    full = force or state.get("@salt") != salt or not (root / "index.html").is_file()
    # Category folders are given out (and stored) before any page links to one.
    listed = storage.site_sources()  # (20,000 at 1,000,000 items: read once)
    dirs = category_dirs(storage, listed)
    renderer = Renderer(make_env(theme), settings.site, settings.timezone, dirs, hot_keys)
    # Not durable: the site is rebuilt from the archive; the rename still keeps it atomic.
    writer = Writer(root, durable=False)
    hot_state = {} if force else state.marks
    # An incremental build that also has hot lists to build does them in a worker process
    # beside the lists (``hot_worker.py``), from when the due item pages are written.
    beside = (
        bool(hot_specs)
        and not full
        and "@build" in state
        and lists_due(hot_specs, storage, hot_state, salt, root)
        and parallel.workers_for(settings.site, storage, HOT_WORKER_ITEMS) >= 2
    )
    rendered: list[frozenset[int]] = []
    worker: HotWorker | None = None

    def after_items(done: frozenset[int]) -> None:
        nonlocal worker
        rendered.append(done)
        opener = storage.opener()
        if beside and opener is not None:
            worker = HotWorker(
                HotJob(
                    opener,
                    theme,
                    settings.site,
                    settings.timezone,
                    root,
                    OUTPUT,
                    hot_keys,
                    tuple(hot_specs),
                    hot_state,
                    salt,
                    done,
                )
            )

    sources = {s.id: s for s in listed}
    run = _Run(settings, storage, writer, renderer, salt, state, progress, theme, archive_mark)
    run = replace(run, sources=sources, after_items=after_items)
    try:
        try:
            worker_lists = _build(run, force)
            if worker is not None:
                hot = worker.result(storage)
        finally:
            # After the worker: closing removes the temp folder its writer shares.
            if worker is not None:
                worker.close()
            writer.close()
        if worker is None:
            hot = build_hot(
                hot_specs,
                storage,
                renderer,
                root,
                hot_state,
                salt,
                OUTPUT,
                items_done=full,
                done=rendered[0] if rendered else frozenset(),
            )
    except PublishError as exc:
        return OutputReport(OUTPUT, writer.written, writer.unchanged, str(exc))
    skipped = max(0, known - writer.path_count - worker_lists)
    written, unchanged, created, error = _status(settings, storage, theme, root, now, renderer)
    if full or "@files" not in state or "@build" not in state:
        files = count_files(root)
    else:  # a build never deletes a file: the folder grew by the files it created
        files = int(state["@files"]) + writer.created + created + hot.created
    storage.save_site_state({"@build": mark, "@files": str(files)})
    return OutputReport(
        OUTPUT,
        writer.written + written + hot.written,
        writer.unchanged + skipped + unchanged + hot.unchanged,
        error,
        total=files,
    )


def _status(
    settings: Settings,
    storage: SiteStorage,
    theme: Path | None,
    root: Path,
    now: datetime,
    renderer: Renderer | None = None,
) -> tuple[int, int, int, str | None]:
    """Write the ``status/`` page when ``site.status`` is on: (written, unchanged, created,
    error). It is not part of the build state: it is rendered on every build (two queries)."""
    if not settings.site.status:
        return 0, 0, 0, None
    if renderer is None:
        renderer = Renderer(make_env(theme), settings.site, settings.timezone)
    writer = Writer(root, durable=False)
    try:
        for name, data in status.status_files(settings.sources, storage, renderer, now):
            writer.write(name, data)
    except PublishError as exc:
        return writer.written, writer.unchanged, writer.created, str(exc)
    finally:
        writer.close()
    return writer.written, writer.unchanged, writer.created, None


@dataclass(frozen=True, slots=True)
class _Run:
    """What every step of one build works with."""

    settings: Settings
    storage: SiteStorage
    writer: Writer
    renderer: Renderer
    salt: str
    state: BuildState
    """The last build's state (page digests, marks)."""
    progress: Progress
    theme: Path | None
    fingerprint: Fingerprint
    """The archive's, taken before anything was read."""
    sources: dict[int, SiteSource] = field(default_factory=dict)
    """Every source (``site_sources``), by id."""
    after_items: Callable[[frozenset[int]], None] | None = None
    """Called with the items whose page was rendered, once the due item pages are written
    (incremental builds, in the main process)."""


def _build(run: _Run, force: bool) -> int:
    """Build; how many list pages and feeds worker processes wrote or found unchanged."""
    state, writer, progress = run.state, run.writer, run.progress
    # An output folder emptied by hand (no home page) is built again in full: the archive
    # says its item pages are published, but their files are gone.
    rebuild = force or state.get("@salt") != run.salt or not (writer.root / "index.html").is_file()
    first_build = "@build" not in state
    sources = run.sources
    known = None
    if not rebuild and not first_build:
        known = tail.check(run.storage, state, run.fingerprint, sources)
    pages = ItemPages(run.storage, writer, run.renderer, OUTPUT)
    # Only new items are due when nothing else changed (no pass over every publication).
    pages.after = known[0].fingerprint.max_id if known is not None else 0
    pages.reserve(first_build=first_build)
    progress.begin("site items", None)
    pool = _site_pool(run) if rebuild or first_build else None
    try:
        if pool is None:
            try:
                pages.render(force=rebuild, on_item=lambda: progress.advance("site items"))
            finally:
                progress.end("site items")
            if run.after_items is not None:
                run.after_items(pages.rendered)
        else:
            pool.items(force=rebuild)
        _build_lists(run, rebuild, pool, sources, known)
        if pool is None:
            return 0
        pool.finish()
        writer.written += pool.written
        writer.unchanged += pool.unchanged
        return pool.list_paths
    finally:
        if pool is not None:
            pool.close()
            progress.end("site items")
            progress.end("site pages")


def _site_pool(run: _Run) -> parallel.SitePool | None:
    """Worker processes for the item and list pages of a full build (``workers_for``)."""
    settings, storage = run.settings, run.storage
    workers = parallel.workers_for(settings.site, storage)
    opener = storage.opener()
    if opener is None or not workers:
        return None
    context = parallel.WorkerContext(
        opener,
        run.theme,
        settings.site,
        settings.timezone,
        run.writer.root,
        OUTPUT,
        run.renderer.hot_keys,
    )
    return parallel.SitePool(context, workers=workers, progress=run.progress)


def _build_lists(
    run: _Run,
    rebuild: bool,
    pool: parallel.SitePool | None,
    sources: dict[int, SiteSource],
    known: tuple[Snapshot, list[ItemMark]] | None,
) -> None:
    """Everything but the item pages: lists, feeds, search, fixed pages, sitemaps, state;
    ``known``: the snapshot and the new items of a tail build (``tail.check``)."""
    settings, storage, writer, renderer = run.settings, run.storage, run.writer, run.renderer
    salt, state, progress = run.salt, run.state, run.progress
    lists_of = ListKeys(sources, ZoneInfo(settings.timezone), months=settings.site.archives)
    revisions = {s.id: s.revision for s in sources.values()}
    # Files deleted by hand are rebuilt: a page whose file is gone counts as changed.
    # (os.path on strings: pathlib's joins cost more than the stat, 20,000 times over.)
    prefix = f"{writer.root}{os.sep}"
    options = tail.ListOptions(
        lists_of,
        lambda key: listing.list_base(key, renderer),
        settings.site.per_page,
        FEED_SIZE,
        salt,
        renderer.has_feeds,
    )
    quick = None if known is None else tail.start(storage, *known, sources, state, prefix, options)
    segments: searchindex.Segments
    before: Mapping[str, str]
    lastmods: dict[int, int]
    if quick is not None:
        plan, segments, before = quick
        seen = run.fingerprint.max_id
    else:
        before = {} if rebuild else state.everything()
        before = {p: d for p, d in before.items() if p[0] == "@" or os.path.isfile(prefix + p)}
        digests = segments = searchindex.SegmentDigests(salt)
        seen = 0

        def order() -> Iterator[OrderRow]:
            # The one pass over the archive also fingerprints the search segments.
            nonlocal seen
            for row in storage.site_order():
                digests.add(row.id, row.revision, revisions[row.source_id])
                seen = max(seen, row.id)
                yield row

        plan = tail.full_plan(order(), revisions, before, options)
    progress.begin("site pages", len(plan.jobs))
    if pool is not None:
        pool.lists(plan, sources, settings.site.per_page)  # the stage ends when they are done
    else:
        try:
            listing.render_lists(
                plan, storage, writer, renderer, sources, settings.site.per_page, progress, OUTPUT
            )
        finally:
            progress.end("site pages")
    listing.render_feeds(plan, storage, writer, renderer, sources, OUTPUT)
    seg_state, index_state = render_search(
        storage, writer, renderer, segments, before, state, sources, write=settings.site.search
    )
    per_chunk = extra.SITEMAP_CHUNK // searchindex.SEGMENT
    changed = {k for k, v in seg_state.items() if before.get(k) != v}
    if quick is None:
        changed |= {k for k in before if k.startswith("@search/") and k not in seg_state}
    changed_chunks = {int(k.split("/")[1]) // per_chunk for k in changed}

    def stale_chunk(chunk: int) -> bool:
        # A part changes only with its items, which change their search segment's digest.
        name = f"sitemap-items-{chunk + 1}.xml"
        return chunk in changed_chunks or not os.path.isfile(prefix + name)

    if quick is None or known is None:
        rows, lastmods = storage.site_sitemap(OUTPUT), {}
    else:
        rows, lastmods = tail.sitemap_rows(storage, OUTPUT, known[0], changed_chunks, stale_chunk)
    render_fixed(run.theme, plan, storage, writer, renderer, sources, stale_chunk, rows, lastmods)
    # The snapshot a later build may plan from: only if no item came during this pass.
    fresh = seen <= run.fingerprint.max_id
    made = snapshot(
        storage,
        run.fingerprint,
        sources.values(),
        plan.counts,
        segments.digests(),
        lastmods,
        plan.fronts,
    )
    changes = {**plan.digests, **seg_state, **index_state, "@salt": salt}
    changes[SNAPSHOT] = made.text() if fresh else ""
    last = state if quick is not None else state.everything()  # (a page at a time: few)
    storage.save_site_state({k: v for k, v in changes.items() if last.get(k) != v})


__all__ = ["OUTPUT", "SiteStorage", "build_site"]
