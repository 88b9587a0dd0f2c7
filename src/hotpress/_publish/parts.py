"""A large Hexo publish shared with the run's worker processes.

Writing a post is Python work (the row read back, the front matter, the name) and a few system
calls; 10,000 posts take ~0.85 s on one core. With the run's :class:`~hotpress._pool.ArchivePool`
(the processes that read the round's bodies), the pending items are cut into *parts* by
category folder and the parts are shared out: this process and each worker take the next
part when they are free. Every source whose posts go to one folder (compared as a
case-folding disk compares names) is in one part, so a new post's name is chosen by one
process only, against the names recorded and the files on disk, as in a publish by one
process.

Workers write their posts and hand back what to record; this process flushes the output's
file system and records them with its own (``Writer.adopt``): one writer of the archive, and
a post is recorded as published only once it is on disk. A worker that dies gives its part
back to this process; a worker's write error stops the publish as this process's own does.
"""

from __future__ import annotations

import functools
import os
import threading
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from hotpress._pool import ArchivePool, PoolUnavailable, archive
from hotpress._publish.folded import fold
from hotpress._publish.poster import OUTPUT, Poster, folder_of
from hotpress._publish.writer import Writer
from hotpress._storage.base import PENDING_SOURCES_MAX, Pending, Publication, Storage
from hotpress.exceptions import PublishError

__all__ = ["MIN_POSTS", "MIN_POSTS_COLD", "PartDone", "Parts", "plan"]

MIN_POSTS = 1000
"""Pending posts worth sharing with workers that are already running."""
MIN_POSTS_COLD = 8000
"""... with workers still to be started: the main process writes ~3,500 posts while one
starts (~0.3 s), and closing the pool waits for a worker that is still starting."""
PARTS_PER_PROCESS = 8
"""Parts per process: the last part taken leaves the others idle for its length only."""
QUEUED = 2
"""Parts handed to each worker at most at once."""


def plan(sources: Sequence[tuple[int, tuple[str, ...], int]], processes: int) -> list[list[int]]:
    """Source ids in parts of about ``1 / (processes * PARTS_PER_PROCESS)`` of the posts, the
    sources of one (folded) folder in one part, the largest parts first.

    ``sources``: ``(id, category, posts)`` as ``Storage.pending_sources`` gives them."""
    folders: dict[str, list[int]] = {}
    posts: dict[str, int] = {}
    for source_id, category, count in sources:
        key = fold(folder_of(category))
        folders.setdefault(key, []).append(source_id)
        posts[key] = posts.get(key, 0) + count
    size = max(1, sum(posts.values()) // (max(1, processes) * PARTS_PER_PROCESS))
    parts: list[list[int]] = []
    part: list[int] = []
    filled = 0
    for key in sorted(folders, key=lambda k: (-posts[k], k)):
        part.extend(folders[key])
        filled += posts[key]
        if filled >= size:
            parts.append(part)
            part, filled = [], 0
    if part:
        parts.append(part)
    return parts


def pending_of(storage: Storage, force: bool, part: Sequence[int]) -> Iterator[Pending]:
    """The pending items of ``part``'s sources."""
    for start in range(0, len(part), PENDING_SOURCES_MAX):
        chunk = part[start : start + PENDING_SOURCES_MAX]
        yield from storage.pending(OUTPUT, force=force, sources=chunk)


@dataclass(frozen=True, slots=True)
class PartDone:
    """What a worker wrote of one part."""

    publications: tuple[Publication, ...]
    written: int
    unchanged: int
    files: int
    """Files written and not flushed yet (``Writer.hand_off``), ``elsewhere`` of them on
    another file system."""
    elsewhere: int
    error: str | None = None
    """The write error that stopped the part (what was written before it is in
    ``publications``)."""


# In a worker: the publish it is writing parts of (its id), with its poster and writer.
_current: tuple[str, Poster, Writer] | None = None


def write_part(
    run: str, owner: int, root: str, prefix: str, force: bool, part: Sequence[int]
) -> PartDone:
    """In a worker: write the posts of ``part``'s sources (publish ``run`` of the process
    ``owner``, whose temp files the worker's are: a kill of that process leaves none that
    the next run keeps)."""
    global _current
    if _current is None or _current[0] != run:
        if _current is not None:
            _current[2].release()
        writer = Writer(Path(root), defer_sync=True, owner=owner)
        _current = (run, Poster(archive(), Path(root), writer, prefix), writer)
    _, poster, writer = _current
    written, unchanged = writer.written, writer.unchanged
    done: list[Publication] = []
    error: str | None = None
    try:
        for pending in pending_of(archive(), force, part):
            done.append(poster.post(pending))
    except PublishError as exc:
        error = str(exc)
    files, elsewhere = writer.hand_off()
    return PartDone(
        tuple(done),
        writer.written - written,
        writer.unchanged - unchanged,
        files,
        elsewhere,
        error,
    )


class Parts:
    """One publish's parts, taken by this process (:meth:`mine`) and by the pool's workers,
    whichever is free first. What the workers wrote comes back through :meth:`collect`."""

    def __init__(
        self,
        pool: ArchivePool,
        storage: Storage,
        parts: Sequence[Sequence[int]],
        *,
        root: Path,
        prefix: str,
        force: bool,
    ) -> None:
        self._pool = pool
        self._storage = storage
        self._args = (uuid.uuid4().hex, os.getpid(), str(root), prefix, force)
        self._force = force
        self._parts: deque[Sequence[int]] = deque(parts)
        self._lock = threading.Condition()
        self._busy = 0  # parts with the workers
        self._stopped = False
        self._done: deque[PartDone] = deque()
        self._failures: list[BaseException] = []
        self.by_workers = 0
        """Parts the workers wrote."""

    def start(self) -> None:
        """Hand the first parts to the workers."""
        self._feed()

    def _take(self) -> Sequence[int] | None:
        with self._lock:
            if self._stopped or not self._parts:
                return None
            return self._parts.popleft()

    def _feed(self) -> None:
        while True:
            with self._lock:
                if (
                    self._stopped
                    or not self._parts
                    or not self._pool.usable
                    or self._busy >= QUEUED * self._pool.workers
                ):
                    return
                # Counted as the workers' as it is taken: this process, finding no part left,
                # waits for it (it may come back, from a worker that died).
                part = self._parts.popleft()
                self._busy += 1
            try:
                future = self._pool.submit(write_part, *self._args, part)
            except PoolUnavailable:
                with self._lock:
                    self._parts.appendleft(part)
                    self._busy -= 1
                    self._lock.notify_all()
                return
            future.add_done_callback(functools.partial(self._finished, part))

    def _finished(self, part: Sequence[int], future: Future[PartDone]) -> None:
        try:
            if self._pool.failed(future):  # the worker died: the part is this process's
                with self._lock:
                    self._parts.appendleft(part)
            elif (error := future.exception()) is not None:
                with self._lock:
                    self._failures.append(error)
                    self._stopped = True
            else:
                done = future.result()
                with self._lock:
                    self._done.append(done)
                    self.by_workers += 1
                    if done.error is not None:
                        self._stopped = True
                self._feed()
        finally:
            with self._lock:
                self._busy -= 1
                self._lock.notify_all()

    def mine(self) -> Iterator[Pending]:
        """The pending items of the parts this process takes, until none is left (waiting,
        at the end, for the workers' parts: a dead worker's part comes back here)."""
        while True:
            part = self._take()
            if part is None:
                self._wait()
                part = self._take()
                if part is None:
                    return
            yield from pending_of(self._storage, self._force, part)

    def collect(self) -> list[PartDone]:
        """What the workers finished since the last call."""
        done: list[PartDone] = []
        while self._done:
            done.append(self._done.popleft())
        return done

    def stop(self) -> list[PartDone]:
        """Hand out no more parts; wait for the workers' parts under way. What they wrote
        (:meth:`collect`); raises what a worker raised other than a write error."""
        with self._lock:
            self._stopped = True
        self._wait()
        if self._failures:
            raise self._failures[0]
        return self.collect()

    def _wait(self) -> None:
        with self._lock:
            while self._busy:
                self._lock.wait()
