"""The hot-list pages of an incremental build, in a worker process beside the main one.

A round that brings new items and refreshes the hot lists gives the build two independent
pieces of work, each one Python thread's worth: the archive's lists (one pass over every
item: list pages, feeds, search index, sitemaps) and the hot pages (each refreshed list's
page, the day's digest with its feeds, the stories page, the item pages whose rank
changed). On a machine with two cores or more the hot pages go to one spawned worker
process, started once the main process has written the item pages that were due (the
worker is told which, so no page is written by both), and the main process does the lists
meanwhile. The worker reads the archive through its own connection (``Storage.opener()``)
and writes its files through its own writer; the main process stores the lists'
build marks it returns, so the archive keeps one writer.

Spawning costs ~0.4 s of the worker's own CPU (a new interpreter, the renderer's imports and
templates), paid on the other core while the main process works, so the worker is used only
beside list work (never for a build that only refreshed hot lists), and only where that
list work outlasts the start: with ``site.workers`` set (2 or more), else with 2+ cores and
``MIN_ITEMS`` items. At 10,000 items the lists take ~0.35 s and the worker gained nothing
(+50 items with a typical refresh: 0.89-1.08 s against 0.98-1.10 s in one process); at
100,000 (~1.5 s of lists) it took the build from 2.1-2.5 s to 1.7-1.8 s.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hotpress._publish.writer import Writer
from hotpress._site.hot import HotPages, HotReport
from hotpress._site.pages import Renderer
from hotpress._site.theme import make_env
from hotpress.config import SiteConfig
from hotpress.exceptions import HotpressError, PublishError, StorageError
from hotpress.types import SourceSpec

if TYPE_CHECKING:
    from hotpress._site.build import SiteStorage
    from hotpress._storage.base import Storage

__all__ = ["MIN_ITEMS", "HotJob", "HotWorker"]

MIN_ITEMS = 50_000
"""Items from which the hot pages go to a worker when ``site.workers`` is not set."""


@dataclass(frozen=True, slots=True)
class HotJob:
    """What the worker needs (picklable)."""

    opener: Callable[[], Storage]
    theme: Path | None
    site: SiteConfig
    timezone: str
    root: Path
    output: str
    hot_keys: frozenset[str]
    specs: tuple[SourceSpec, ...]
    state: dict[str, str]
    salt: str
    done: frozenset[int]
    """Item pages the main process wrote in this build: not rendered again."""


@dataclass(frozen=True, slots=True)
class _Result:
    report: HotReport | None
    error: tuple[str, str, str | None] | None = None
    """(kind, message, path) of a hotpress error, raised again in the main process."""


def _run(job: HotJob) -> _Result:
    storage: SiteStorage = job.opener()
    try:
        renderer = Renderer(
            make_env(job.theme),
            job.site,
            job.timezone,
            storage.site_category_dirs(),
            job.hot_keys,
        )
        # Not closed: closing removes the temp folder the main process's writer still uses.
        writer = Writer(job.root, durable=False)
        pages = HotPages(storage, writer, renderer, job.output)
        pages.items.skip(job.done)
        changes = pages.build(job.specs, job.state, job.salt, items_done=False)
        return _Result(HotReport(writer.written, writer.unchanged, changes, writer.created))
    except PublishError as exc:
        return _Result(None, ("publish", exc.message, exc.path))
    except HotpressError as exc:
        return _Result(None, ("storage", str(exc), None))
    finally:
        storage.close()


class HotWorker:
    """One worker process building the hot pages; :meth:`result` waits for it."""

    def __init__(self, job: HotJob) -> None:
        self._root = job.root
        self._executor = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        self._future: Future[_Result] = self._executor.submit(_run, job)

    def result(self, storage: SiteStorage) -> HotReport:
        """Wait for the worker; store the lists' build marks; raise its error."""
        try:
            result = self._future.result()
        except BrokenProcessPool as exc:
            message = f"the hot-page worker process died: {exc}"
            raise PublishError(message, path=self._root) from exc
        finally:
            self.close()
        if result.error is not None:
            kind, message, path = result.error
            if kind == "publish":
                raise PublishError(message, path=path or "")
            raise StorageError(message)
        if result.report is None:  # pragma: no cover - a result has one or the other
            raise PublishError("the hot-page worker returned nothing", path=self._root)
        storage.save_site_state(result.report.state)
        return result.report

    def close(self) -> None:
        """Wait for the worker to end (a failed main build must not leave it writing)."""
        self._executor.shutdown(wait=True, cancel_futures=True)
