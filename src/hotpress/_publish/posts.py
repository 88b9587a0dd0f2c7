"""The Hexo output: every archived item as one post in the seed's format."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from hotpress._pool import ArchivePool
from hotpress._progress import NullProgress, Progress
from hotpress._publish.media_root import hexo_prefix, record_prefix, written_prefix
from hotpress._publish.parts import MIN_POSTS, MIN_POSTS_COLD, PartDone, Parts, plan
from hotpress._publish.poster import OUTPUT, Poster, render_pending
from hotpress._publish.report import OutputReport
from hotpress._publish.writer import Writer, sweep_temp
from hotpress._storage.base import Pending, Publication, Storage
from hotpress.exceptions import PublishError

__all__ = ["OUTPUT", "publish_hexo", "render_pending"]

_BATCH = 500
# While the last batch's flush runs, the next batch grows instead of waiting for it (up to this
# many posts): a busy disk then costs fewer, larger flushes, not a stalled writer.
_MAX_BATCH = 5000


class _Recorder:
    """Records batches of written posts as published, each after a flush to disk that runs
    on a thread of its own while the next batch is written (the flush waits for the disk,
    without the GIL). A batch is recorded only once its flush has returned; after a failed
    flush nothing more is recorded (a second flush may succeed though data was lost)."""

    def __init__(self, writer: Writer, storage: Storage) -> None:
        self._writer = writer
        self._storage = storage
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="hotpress-sync")
        self._flushing: tuple[Future[None], list[Publication]] | None = None
        self._failed = False

    def busy(self) -> bool:
        """A flush is still running."""
        return self._flushing is not None and not self._flushing[0].done()

    def hand_over(self, batch: Sequence[Publication]) -> None:
        """``batch`` is written: record the batch before it, then flush this one."""
        self.settle()
        if not self._failed:
            self._flushing = (self._thread.submit(self._writer.sync), list(batch))

    def settle(self) -> None:
        """Wait for the flush under way, then record its batch; raises a failed flush."""
        if self._flushing is None:
            return
        flush, done = self._flushing
        self._flushing = None
        try:
            flush.result()
        except BaseException:
            self._failed = True
            raise
        self._storage.record_publications(OUTPUT, done)

    def close(self) -> None:
        """Wait for the flush under way, without recording its batch."""
        self._thread.shutdown(wait=True)


def publish_hexo(
    storage: Storage,
    root: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    pool: ArchivePool | None = None,
) -> OutputReport:
    """Write the posts of new and changed items. Never deletes a post. On a write error the
    run stops this output; what was not written stays pending for the next run. Local
    images go below the Hexo site's ``root:``; when that changed since the posts were
    written, every post is written again. ``pool``: worker processes that write a share of
    many posts (``_publish.parts``)."""
    prefix = hexo_prefix(root)
    moved = prefix != written_prefix(root)
    report = _publish(storage, root, force or moved, progress, prefix, pool)
    if moved and report.error is None:
        record_prefix(root, prefix)
    return report


def _record_after_error(recorder: _Recorder, batch: Sequence[Publication]) -> None:
    """What was written before an error is recorded once flushed; a failing flush leaves it
    pending (the first error is the one reported)."""
    with contextlib.suppress(PublishError):
        recorder.hand_over(batch)
        recorder.settle()


def _shared(
    pool: ArchivePool | None, storage: Storage, root: Path, force: bool, prefix: str
) -> tuple[Parts | None, Iterator[Pending]]:
    """The publish's parts, shared with ``pool``'s workers when it has enough posts, else
    ``None`` and the pending items for this process alone. Only a publish found to have
    that many posts (the first of them read) asks for its sources: a small one costs no
    second pass over the archive."""
    pending = storage.pending(OUTPUT, force=force)
    if pool is None or not pool.usable:
        return None, pending
    enough = MIN_POSTS if pool.started else MIN_POSTS_COLD
    head = list(itertools.islice(pending, enough))
    if len(head) == enough:
        parts = plan(storage.pending_sources(OUTPUT, force=force), pool.workers + 1)
        if len(parts) > 1:
            return Parts(pool, storage, parts, root=root, prefix=prefix, force=force), iter(())
    return None, itertools.chain(head, pending)


def _publish(
    storage: Storage,
    root: Path,
    force: bool,
    progress: Progress | None,
    prefix: str,
    pool: ArchivePool | None = None,
) -> OutputReport:
    progress = progress or NullProgress()
    try:
        sweep_temp(root)  # what a run killed mid-write left behind
    except PublishError as exc:  # e.g. a symlinked temp folder: nothing is written
        return OutputReport(OUTPUT, error=str(exc))
    # Durable in batches: synced before each batch of posts is recorded as published.
    writer = Writer(root, defer_sync=True)
    recorder = _Recorder(writer, storage)
    poster = Poster(storage, root, writer, prefix)
    batch: list[Publication] = []
    error: str | None = None
    # Posts the workers wrote and found unchanged.
    theirs = [0, 0]

    def adopt(done: Sequence[PartDone]) -> None:
        """What workers wrote: flushed with this process's posts, then recorded."""
        nonlocal error
        for part in done:
            writer.adopt(part.files, part.elsewhere)
            batch.extend(part.publications)
            theirs[0] += part.written
            theirs[1] += part.unchanged
            progress.advance("posts", len(part.publications))
            if part.error is not None and error is None:
                error = part.error

    progress.begin("posts", None)
    try:
        parts, pending = _shared(pool, storage, root, force, prefix)
        if parts is not None:
            writer.prepare()  # the flushes report write-back errors of the workers' posts too
            parts.start()
            pending = parts.mine()
        try:
            for item in pending:
                batch.append(poster.post(item))
                progress.advance("posts")
                if parts is not None:
                    adopt(parts.collect())
                    if error is not None:
                        break
                if len(batch) >= _MAX_BATCH or (len(batch) >= _BATCH and not recorder.busy()):
                    recorder.hand_over(batch)
                    batch.clear()
        finally:
            if parts is not None:
                adopt(parts.stop())  # the workers' parts under way end first
        if error is None:
            recorder.hand_over(batch)
            recorder.settle()
        else:  # a worker's write error stops the output as this process's own does
            _record_after_error(recorder, batch)
    except PublishError as exc:
        error = error or str(exc)
        _record_after_error(recorder, batch)
    finally:
        recorder.close()
        # Everything recorded was flushed already; a flush failing here only concerns posts
        # left pending, and must not hide the error that brought us here.
        with contextlib.suppress(PublishError):
            writer.close()
        progress.end("posts")
    total = storage.count_publications(OUTPUT)
    return OutputReport(
        OUTPUT,
        writer.written + theirs[0],
        writer.unchanged + theirs[1],
        error,
        total=total,
    )
