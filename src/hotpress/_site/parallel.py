"""Item pages rendered by a pool of worker processes during a full build.

A full build of a large archive spends most of its time on item pages: rendering them (one
Python thread can only use one core) and creating their files (kernel time). Both spread over
cores, so the build hands *shards* of the archive to worker processes, each with its own
archive connection (``Storage.opener()``), renderer and writer, while the main process goes on
with the list pages, feeds and search index. A shard is every item of the sources whose id is
``k`` modulo the shard count: an item page shows its source neighbours and a new item
re-renders them, and they are in the same shard, so no page is written by two processes.
Paths are reserved before the pool starts, so the list pages can link to pages still being
written.

Workers are spawned, not forked: the parent may run threads (the progress display) and holds
an open SQLite connection, neither of which survives a fork safely. Spawning costs ~0.2 s per
worker, which is why only a large full build uses the pool.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hotpress._progress import Progress
from hotpress._publish.writer import Writer
from hotpress._site.items import ItemPages
from hotpress._site.pages import Renderer
from hotpress._site.theme import make_env
from hotpress.config import SiteConfig
from hotpress.exceptions import HotpressError, PublishError, StorageError

if TYPE_CHECKING:
    from hotpress._storage.base import Storage

__all__ = ["MIN_ITEMS", "ItemPool", "WorkerContext"]

MIN_ITEMS = 2000
"""A build with fewer items due stays in one process."""
SHARDS_PER_WORKER = 4
"""More shards than workers, so one large source does not leave a worker idle at the end."""


@dataclass(frozen=True, slots=True)
class WorkerContext:
    """What a worker needs to render item pages (picklable)."""

    opener: Callable[[], Storage]
    theme: Path | None
    site: SiteConfig
    timezone: str
    root: Path
    output: str


@dataclass(frozen=True, slots=True)
class ShardResult:
    due: int
    written: int
    unchanged: int
    error: tuple[str, str, str | None] | None = None
    """(kind, message, path) of a hotpress error, re-raised in the main process."""


_worker: tuple[ItemPages, Writer] | None = None


def _start_worker(context: WorkerContext) -> None:
    global _worker
    storage = context.opener()
    # Never closed: closing removes the shared temp folder, which other workers still use;
    # the main process's writer removes it at the end of the build.
    writer = Writer(context.root, durable=False)
    renderer = Renderer(make_env(context.theme), context.site, context.timezone)
    # ItemPages needs the site queries, which every Storage has (Storage extends SiteStore).
    _worker = (ItemPages(storage, writer, renderer, context.output), writer)


def _render_shard(shard: int, shards: int, force: bool) -> ShardResult:
    if _worker is None:
        raise RuntimeError("worker not started")
    pages, writer = _worker
    written, unchanged = writer.written, writer.unchanged
    try:
        due = pages.render(force=force, on_item=lambda: None, shard=(shard, shards))
    except PublishError as exc:
        return ShardResult(0, 0, 0, ("publish", exc.message, exc.path))
    except HotpressError as exc:
        return ShardResult(0, 0, 0, ("storage", str(exc), None))
    return ShardResult(due, writer.written - written, writer.unchanged - unchanged)


class ItemPool:
    """Renders the pending item pages in ``workers`` processes; :meth:`finish` waits."""

    def __init__(
        self, context: WorkerContext, *, workers: int, force: bool, progress: Progress
    ) -> None:
        self._progress = progress
        self._root = context.root
        self._executor = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(context,),
        )
        shards = workers * SHARDS_PER_WORKER
        self._futures: list[Future[ShardResult]] = [
            self._executor.submit(_render_shard, k, shards, force) for k in range(shards)
        ]
        self._counted: set[int] = set()
        self.written = 0
        self.unchanged = 0

    def poll(self) -> None:
        """Count the shards done so far (never waits)."""
        for index, future in enumerate(self._futures):
            if index not in self._counted and future.done():
                self._count(index, future)

    def finish(self) -> None:
        """Wait for every shard; raise the first error a worker met."""
        try:
            for index, future in enumerate(self._futures):
                if index not in self._counted:
                    self._count(index, future)
        finally:
            self.close()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _count(self, index: int, future: Future[ShardResult]) -> None:
        self._counted.add(index)
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
        self._progress.advance("site items", result.due)
