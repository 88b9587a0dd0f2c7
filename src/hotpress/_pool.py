"""Worker processes that open the archive themselves, shared by the stages of one run.

A run's own CPU is Python code on one core (one process runs one thread at a time), and
threads side by side were measured slower than one (docs/benchmarks.md). Reading a large
round's bodies (``_readers``) and writing many Hexo posts (``_publish.parts``) go to worker
processes instead. One :class:`ArchivePool` serves a whole run (``core.run_round``): a
worker spawned to read the round's bodies writes posts afterwards without a second start
(an import each, ~0.3 s).

Each worker opens the archive itself (``Storage.opener()``) and reads through it; what it
produces goes back to this process, which stays the archive's one writer. Workers are spawned,
not forked: the fetch loop runs beside other threads (the store thread, the progress display),
which a fork does not carry over safely. The pool starts its workers only when something is
first submitted: a run that needs none starts none.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.process
import multiprocessing.util
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from hotpress._storage.base import Storage

if TYPE_CHECKING:
    import asyncio

__all__ = ["MAX_WORKERS", "ArchivePool", "PoolUnavailable", "archive", "worker_count"]

MAX_WORKERS = 4

P = ParamSpec("P")
T = TypeVar("T")


class PoolUnavailable(Exception):
    """The pool cannot take work (a worker died, or the pool was closed): do it here."""


def worker_count(setting: int | None) -> int:
    """Worker processes for a run: ``fetch.read_workers`` when set, else one per core this
    process may use beyond its own (at most ``MAX_WORKERS``): on 2 cores, 1 worker read
    10,000 items in 1.47-1.62 s, 2 workers in 1.70-1.74 s, none in 1.92-1.95 s. None in a
    daemonic process (a Celery prefork child), which may not start children."""
    if multiprocessing.current_process().daemon:
        return 0
    if setting is not None:
        return setting
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(0, min(cores - 1, MAX_WORKERS))


def _block(signals: set[signal.Signals]) -> set[int | signal.Signals] | None:
    """Block ``signals`` in this thread; the mask before (``None``: this platform has no
    signal masks, as Windows)."""
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, signals)


def _restore(mask: set[int | signal.Signals] | None) -> None:
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


_storage: Storage | None = None


def archive() -> Storage:
    """In a worker: the archive it opened when it started."""
    if _storage is None:
        raise RuntimeError("not in an ArchivePool worker")
    return _storage


def _open(opener: Callable[[], Storage]) -> None:
    global _storage
    # A worker whose parent was killed (kill -9, the OOM killer) would wait on the pool's
    # queue for ever, holding the archive open: it goes when the parent's sentinel says so.
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    _storage = opener()
    # Closed when the pool stops the worker (a PostgreSQL session ends cleanly).
    multiprocessing.util.Finalize(None, _storage.close, exitpriority=10)


def _exit_with(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()  # returns once the parent process has ended
    os._exit(1)


class ArchivePool:
    """Up to ``workers`` spawned processes, each with the archive ``opener`` opens; none
    until the first :meth:`submit`. ``workers`` 0: every submit raises
    :class:`PoolUnavailable` (the caller does the work itself)."""

    def __init__(self, opener: Callable[[], Storage] | None, workers: int) -> None:
        self._opener = opener
        self.workers = workers if opener is not None else 0
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.broken = False
        """A worker died: nothing more is submitted."""

    @property
    def usable(self) -> bool:
        """Work may still be submitted."""
        return self.workers > 0 and not self.broken and not self._closed

    @property
    def started(self) -> bool:
        """The workers were spawned (something was submitted)."""
        return self._pool is not None

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run ``fn`` in a worker (safe from any thread). Raises :class:`PoolUnavailable`
        when the pool cannot take it; a worker dying later fails the future with
        ``BrokenProcessPool`` (and :attr:`broken` is then set by :meth:`failed`)."""
        with self._lock:
            if not self.usable:
                raise PoolUnavailable
            opener = self._opener
            assert opener is not None  # usable: workers > 0 needs an opener
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_open,
                    initargs=(opener,),
                )
            # A worker is spawned by the submit that needs one. It starts with SIGINT blocked,
            # as the submitting thread has it for that moment (the mask survives fork and exec;
            # a signal that comes meanwhile waits, it is not lost): a Ctrl-C in the terminal
            # goes to the whole process group, and this process stops the run, not each worker
            # with a traceback of its own.
            old = _block({signal.SIGINT})
            try:
                return self._pool.submit(fn, *args, **kwargs)
            except (BrokenProcessPool, RuntimeError) as exc:
                self.broken = True
                raise PoolUnavailable from exc
            finally:
                _restore(old)

    def failed(self, future: Future[Any] | asyncio.Future[Any]) -> bool:
        """``future`` (of :meth:`submit`, done) failed because its worker died or the pool
        was stopped: the work is the caller's again, and nothing more is submitted."""
        if future.cancelled() or isinstance(future.exception(), BrokenProcessPool):
            self.broken = True
            return True
        return False

    def close(self) -> None:
        """Stop the workers, waiting for them: none is left behind the run."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
