"""Reading fetched bodies (parse and normalize) in worker processes while this one fetches
and stores.

A refresh's own CPU is mostly reading bodies: parsing, sanitizing, digests. One Python
process runs that on one core at a time, whatever its threads do (the fetch loop and the
store thread share the GIL), and threads normalizing side by side were measured slower than
one: nh3 leaves the GIL for each short body and wins it back against the other thread, ~2×
the CPU (docs/benchmarks.md). Worker processes read instead: each opens the archive itself
(``Storage.opener()``, only to read: which entries are unchanged) and sends back a
:class:`~hotpress._reading.Reading`; the store thread of this process saves it, as it saves
what it read itself. So there is still one writer, and the items are the ones one thread
would store.

The pool is started only once a round has brought ``MIN_BODIES`` bodies to read (a small
round, or one of 304s and bodies whose entries are the ones stored, never starts a process),
and a body goes to a worker only when one is free: until the workers are up (an import
each, ~0.3 s) and whenever they are all busy, the store thread reads the body itself, as
without the pool. Workers are spawned, not forked: the
fetch loop runs beside other threads (the store thread, the progress display), which a fork
does not carry over safely. A worker that dies stops the pool for the rest of the round;
its bodies are read by the store thread.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.process
import multiprocessing.util
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from hotpress._reading import Reading, SourceOutcome, body_digest, read_result
from hotpress._storage.base import Storage
from hotpress.types import FetchResult, SourceSpec

__all__ = ["MAX_WORKERS", "MIN_BODIES", "Readers", "reader_count"]

MIN_BODIES = 16
"""Bodies a round brings before worker processes are started for it."""
MAX_WORKERS = 4
QUEUED = 2
"""Bodies handed to each worker at most at once (one read, one waiting to be)."""


def reader_count(setting: int | None) -> int:
    """Worker processes reading bodies: ``fetch.read_workers`` when set, else one per core
    this process may use beyond its own (at most ``MAX_WORKERS``): on 2 cores, 1 worker
    read 10,000 items in 1.47-1.62 s, 2 workers in 1.70-1.74 s, none in 1.92-1.95 s. None
    in a daemonic process (a Celery prefork child), which may not start children."""
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


def _read(spec: SourceSpec, result: FetchResult, digest: str) -> Reading:
    assert _storage is not None, "the worker opens the archive first"
    return read_result(spec, result, _storage, digest=digest)


class Readers:
    """One round's bodies, each read by a worker process or by the store thread, whichever
    is free first, and saved by the store thread. Used from the event loop's thread."""

    def __init__(
        self,
        opener: Callable[[], Storage],
        workers: int,
        store: Executor,
        save: Callable[[SourceSpec, FetchResult, Reading | None, str | None], SourceOutcome],
        stored: Mapping[str, str | None],
    ) -> None:
        """``save(spec, result, reading, digest)`` runs on ``store``: it stores ``reading``,
        or reads the body itself when that is ``None``. ``stored``: each source's stored body
        digest (a body with the same one is not read again: no worker is needed for it)."""
        self._opener = opener
        self._workers = workers
        self._store = store
        self._save = save
        self._stored = stored
        self._pool: ProcessPoolExecutor | None = None
        self._bodies = 0
        self._busy = 0  # bodies with the workers
        self._storing = False  # the store thread has work
        # Bodies to read, with their digest.
        self._waiting: deque[tuple[SourceSpec, FetchResult, str, asyncio.Future[SourceOutcome]]]
        self._waiting = deque()
        # Ready for the store thread: what a worker read, and what needs no reading (an error,
        # a 304, a body digested as before: then the reading is None and the digest known).
        self._read: deque[
            tuple[
                SourceSpec, FetchResult, Reading | None, str | None, asyncio.Future[SourceOutcome]
            ]
        ] = deque()
        self._closed = False
        self.broken = False
        self.by_workers = 0
        """Bodies the workers read this round."""

    def put(self, spec: SourceSpec, result: FetchResult) -> asyncio.Future[SourceOutcome]:
        """Read and store ``result``; the future holds what storing it gave."""
        outcome: asyncio.Future[SourceOutcome] = asyncio.get_running_loop().create_future()
        digest = body_digest(result)
        if digest is not None and digest != self._stored.get(spec.key):
            self._bodies += 1
            self._waiting.append((spec, result, digest, outcome))
        else:  # nothing to read (or nothing new): the store thread's, quickly
            self._read.append((spec, result, None, digest, outcome))
        self._pump()
        return outcome

    def _pump(self) -> None:
        if self._closed:  # the round is over (or was cancelled): nothing more starts
            return
        if self._bodies >= MIN_BODIES:
            while not self.broken and self._waiting and self._busy < QUEUED * self._workers:
                self._to_worker(*self._waiting.popleft())
        if self._storing:
            return
        if self._read:  # saving what a worker read comes first: it is quick
            self._to_store(*self._read.popleft())
        elif self._waiting:
            spec, result, digest, outcome = self._waiting.popleft()
            self._to_store(spec, result, None, digest, outcome)

    def _to_worker(
        self,
        spec: SourceSpec,
        result: FetchResult,
        digest: str,
        outcome: asyncio.Future[SourceOutcome],
    ) -> None:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self._workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_open,
                initargs=(self._opener,),
            )
        # A worker is spawned by the submit that needs one. It starts with SIGINT blocked, as
        # the submitting thread has it for that moment (the mask survives fork and exec; a
        # signal that comes meanwhile waits, it is not lost): a Ctrl-C in the terminal goes
        # to the whole process group, and this process stops the round, not each worker
        # with a traceback of its own.
        old = _block({signal.SIGINT})
        try:
            reading = asyncio.wrap_future(self._pool.submit(_read, spec, result, digest))
        except (BrokenProcessPool, RuntimeError):
            self.broken = True
            self._waiting.appendleft((spec, result, digest, outcome))
            return
        finally:
            _restore(old)
        self._busy += 1

        def done(future: asyncio.Future[Reading]) -> None:
            self._busy -= 1
            if outcome.done():  # the round was cancelled (Ctrl-C): nothing waits for it
                return
            if future.cancelled() or isinstance(future.exception(), BrokenProcessPool):
                self.broken = True  # read by the store thread instead
                self._waiting.appendleft((spec, result, digest, outcome))
            elif (error := future.exception()) is not None:
                outcome.set_exception(error)
            else:
                self.by_workers += 1
                self._read.append((spec, result, future.result(), None, outcome))
            self._pump()

        reading.add_done_callback(done)

    def _to_store(
        self,
        spec: SourceSpec,
        result: FetchResult,
        reading: Reading | None,
        digest: str | None,
        outcome: asyncio.Future[SourceOutcome],
    ) -> None:
        self._storing = True
        loop = asyncio.get_running_loop()
        saved = loop.run_in_executor(self._store, self._save, spec, result, reading, digest)

        def done(future: asyncio.Future[SourceOutcome]) -> None:
            self._storing = False
            if outcome.done():  # the round was cancelled (Ctrl-C): nothing waits for it
                return
            if (error := future.exception()) is not None:
                outcome.set_exception(error)
            else:
                outcome.set_result(future.result())
            self._pump()

        saved.add_done_callback(done)

    def close(self) -> None:
        """Stop the workers (waiting for them: none is left behind the round)."""
        self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
