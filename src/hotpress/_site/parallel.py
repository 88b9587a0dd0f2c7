"""Item pages and list pages rendered by a pool of worker processes during a full build.

A full build of a large archive spends most of its time on item pages and list pages:
rendering them (one Python thread can only use one core) and creating their files and folders
(kernel time). Both spread over cores, so the build hands the work to worker processes, each
with its own archive connection (``Storage.opener()``), renderer and writer, while the main
process goes on with the feeds, the search index and the fixed pages.

Item pages go out in *shards*: every item of the sources whose id is ``k`` modulo the shard
count. An item page shows its source neighbours and a new item re-renders them; they are in
the same shard, so no page is written by two processes. List pages go out in chunks of whole
lists (a card rendered for one page of a list is reused for the list's other pages and for
the other lists in the chunk). Paths are reserved before the pool starts, so list pages can
link to item pages still being written.

Workers are spawned, not forked: the parent may run threads (the progress display) and holds
an open SQLite connection, neither of which survives a fork safely. Spawning costs ~0.2 s per
worker, which is why only a large full build uses the pool.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hotpress._progress import NullProgress, Progress
from hotpress._publish.writer import Writer
from hotpress._site.items import ItemPages
from hotpress._site.listing import render_lists
from hotpress._site.pages import Renderer
from hotpress._site.plan import PageJob, Plan
from hotpress._site.theme import make_env
from hotpress._storage.base import Storage
from hotpress._storage.site_rows import SiteSource
from hotpress.config import SiteConfig
from hotpress.exceptions import HotpressError, PublishError, StorageError

if TYPE_CHECKING:
    from hotpress._storage.base import Storage

__all__ = [
    "MIN_ITEMS",
    "SitePool",
    "WorkerContext",
    "workers_for",
]

MIN_ITEMS = 2000
"""A full build of an archive with fewer items stays in one process (unless ``site.workers``
is set)."""
SHARDS_PER_WORKER = 4
"""More shards than workers, so one large source does not leave a worker idle at the end."""
ITEMS, PAGES = "site items", "site pages"
"""The progress stages the build shows."""
LIST_CHUNK = 100
"""List pages per task (small lists are kept together)."""
LIST_PIECE = 4 * LIST_CHUNK
"""A longer list is split into tasks of this many pages: one list of every item (a month
whose 100,000 items share one date) must not leave one worker rendering it alone at the end."""


def workers_for(site: SiteConfig, storage: Storage, min_items: int = MIN_ITEMS) -> int:
    """Worker processes a build may use: ``site.workers`` when set, else one per core (at
    most 8) once the archive holds ``min_items`` items; below 2, none."""
    workers = site.workers
    if workers is None:
        workers = min(os.cpu_count() or 1, 8)
        if workers < 2 or storage.count_items() < min_items:
            return 0
    return workers if workers >= 2 else 0


@dataclass(frozen=True, slots=True)
class WorkerContext:
    """What a worker needs to render item and list pages (picklable)."""

    opener: Callable[[], Storage]
    theme: Path | None
    site: SiteConfig
    timezone: str
    root: Path
    output: str
    hot_keys: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ShardResult:
    stage: str
    """The progress stage it counts for."""
    due: int
    written: int
    unchanged: int
    error: tuple[str, str, str | None] | None = None
    """(kind, message, path) of a hotpress error, re-raised in the main process."""


@dataclass(slots=True)
class _Worker:
    context: WorkerContext
    storage: Storage
    writer: Writer
    renderer: Renderer
    pages: ItemPages


_worker: _Worker | None = None


def _start_worker(context: WorkerContext) -> None:
    global _worker
    storage = context.opener()
    # Never closed: closing removes the shared temp folder, which other workers still use;
    # the main process's writer removes it at the end of the build.
    writer = Writer(context.root, durable=False)
    # The main process stored every category's folder before starting the pool.
    renderer = Renderer(
        make_env(context.theme),
        context.site,
        context.timezone,
        storage.site_category_dirs(),
        context.hot_keys,
    )
    pages = ItemPages(storage, writer, renderer, context.output)
    _worker = _Worker(context, storage, writer, renderer, pages)


def _run(stage: str, work: Callable[[_Worker], int]) -> ShardResult:
    if _worker is None:
        raise RuntimeError("worker not started")
    writer = _worker.writer
    written, unchanged = writer.written, writer.unchanged
    try:
        due = work(_worker)
    except PublishError as exc:
        return ShardResult(stage, 0, 0, 0, ("publish", exc.message, exc.path))
    except HotpressError as exc:
        return ShardResult(stage, 0, 0, 0, ("storage", str(exc), None))
    return ShardResult(stage, due, writer.written - written, writer.unchanged - unchanged)


def _render_shard(shard: int, shards: int, force: bool) -> ShardResult:
    def work(w: _Worker) -> int:
        return w.pages.render(force=force, on_item=lambda: None, shard=(shard, shards))

    return _run(ITEMS, work)


def _render_lists(
    jobs: list[PageJob], counts: dict[str, int], sources: dict[int, SiteSource], per_page: int
) -> ShardResult:
    def work(w: _Worker) -> int:
        plan = Plan(jobs=jobs, counts=counts)
        render_lists(
            plan,
            w.storage,
            w.writer,
            w.renderer,
            sources,
            per_page,
            NullProgress(),
            w.context.output,
        )
        return len(jobs)

    return _run(PAGES, work)


class SitePool:
    """Worker processes rendering item pages (:meth:`items`) and list pages (:meth:`lists`);
    :meth:`finish` waits for all of them."""

    def __init__(self, context: WorkerContext, *, workers: int, progress: Progress) -> None:
        self._progress = progress
        self._root = context.root
        self._workers = workers
        self._executor = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(context,),
        )
        self._futures: list[Future[ShardResult]] = []
        self.written = 0
        self.unchanged = 0
        self.list_paths = 0
        """List pages and feeds the workers wrote or found unchanged."""

    def items(self, *, force: bool) -> None:
        """Queue every pending item page, in shards of sources."""
        shards = self._workers * SHARDS_PER_WORKER
        for k in range(shards):
            self._futures.append(self._executor.submit(_render_shard, k, shards, force))

    def lists(self, plan: Plan, sources: dict[int, SiteSource], per_page: int) -> None:
        """Queue the plan's list pages: small lists together, long ones in pieces."""
        by_list: dict[str, list[PageJob]] = {}
        for job in plan.jobs:
            by_list.setdefault(job.key, []).append(job)
        chunk: list[PageJob] = []
        for jobs in by_list.values():
            for start in range(0, len(jobs), LIST_PIECE):
                chunk.extend(jobs[start : start + LIST_PIECE])
                if len(chunk) >= LIST_CHUNK:
                    self._submit_lists(chunk, plan.counts, sources, per_page)
                    chunk = []
        if chunk:
            self._submit_lists(chunk, plan.counts, sources, per_page)

    def _submit_lists(
        self,
        jobs: list[PageJob],
        counts: dict[str, int],
        sources: dict[int, SiteSource],
        per_page: int,
    ) -> None:
        future = self._executor.submit(_render_lists, jobs, counts, sources, per_page)
        self._futures.append(future)

    def finish(self) -> None:
        """Wait for every task, counting each as it completes; raise the first error."""
        try:
            for future in as_completed(self._futures):
                self._count(future)
        finally:
            self.close()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _count(self, future: Future[ShardResult]) -> None:
        try:
            result = future.result()
        except BrokenProcessPool as exc:
            message = f"a page-rendering worker process died: {exc}"
            raise PublishError(message, path=self._root) from exc
        if result.error is not None:
            kind, message, path = result.error
            if kind == "publish":
                raise PublishError(message, path=path or "")
            raise StorageError(message)
        self.written += result.written
        self.unchanged += result.unchanged
        if result.stage == PAGES:
            self.list_paths += result.written + result.unchanged
        self._progress.advance(result.stage, result.due)
