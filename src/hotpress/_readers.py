"""Reading fetched bodies (parse and normalize) in worker processes while this one fetches
and stores.

A refresh's own CPU is mostly reading bodies: parsing, sanitizing, digests. Worker processes
of the run's :class:`~hotpress._pool.ArchivePool` read instead: each has the archive open
(only to read: which entries are unchanged) and sends back a
:class:`~hotpress._reading.Reading`; the store thread of this process saves it, as it saves
what it read itself. So there is still one writer, and the items are the ones one thread
would store.

Nothing is given to the pool before a round has brought ``MIN_BODIES`` bodies to read (a
small round, or one of 304s and bodies whose entries are the ones stored, never starts a
process), and a body goes to a worker only when one is free: until the workers are up (an
import each, ~0.3 s) and whenever they are all busy, the store thread reads the body itself,
as without the pool. A worker that dies stops the pool for the rest of the run; its bodies
are read by the store thread.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Executor

from hotpress._pool import ArchivePool, PoolUnavailable
from hotpress._reading import Reading, SourceOutcome, body_digest, read_in_worker
from hotpress.types import FetchResult, SourceSpec

__all__ = ["MIN_BODIES", "Readers"]

MIN_BODIES = 16
"""Bodies a round brings before worker processes are started for it."""
QUEUED = 2
"""Bodies handed to each worker at most at once (one read, one waiting to be)."""


class Readers:
    """One round's bodies, each read by a worker process or by the store thread, whichever
    is free first, and saved by the store thread. Used from the event loop's thread."""

    def __init__(
        self,
        pool: ArchivePool,
        store: Executor,
        save: Callable[[SourceSpec, FetchResult, Reading | None, str | None], SourceOutcome],
        stored: Mapping[str, str | None],
    ) -> None:
        """``save(spec, result, reading, digest)`` runs on ``store``: it stores ``reading``,
        or reads the body itself when that is ``None``. ``stored``: each source's stored body
        digest (a body with the same one is not read again: no worker is needed for it)."""
        self._pool = pool
        self._store = store
        self._save = save
        self._stored = stored
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
            while self._pool.usable and self._waiting and self._busy < QUEUED * self._pool.workers:
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
        try:
            reading = asyncio.wrap_future(self._pool.submit(read_in_worker, spec, result, digest))
        except PoolUnavailable:
            self._waiting.appendleft((spec, result, digest, outcome))
            return
        self._busy += 1

        def done(future: asyncio.Future[Reading]) -> None:
            self._busy -= 1
            if outcome.done():  # the round was cancelled (Ctrl-C): nothing waits for it
                return
            if self._pool.failed(future):  # read by the store thread instead
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
        """The round is over (or was cancelled): nothing more goes to the pool, whose owner
        stops it."""
        self._closed = True
