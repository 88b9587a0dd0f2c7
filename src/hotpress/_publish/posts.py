"""The Hexo output: every archived item as one post in the seed's format."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from hotpress._progress import NullProgress, Progress
from hotpress._publish.filenames import category_dir, post_filename
from hotpress._publish.folded import FoldedNames
from hotpress._publish.frontmatter import kept_lines
from hotpress._publish.hexo import render_post
from hotpress._publish.media_root import hexo_prefix, local_media, record_prefix, written_prefix
from hotpress._publish.report import OutputReport
from hotpress._publish.theme_text import theme_text
from hotpress._publish.writer import Writer, sweep_temp
from hotpress._storage.base import Pending, Publication, Storage
from hotpress.exceptions import PublishError

OUTPUT = "hexo"
_BATCH = 500
# While the last batch's flush runs, the next batch grows instead of waiting for it (up to this
# many posts): a busy disk then costs fewer, larger flushes, not a stalled writer.
_MAX_BATCH = 5000


def render_pending(pending: Pending, kept: Sequence[str] = (), prefix: str = "") -> bytes:
    """The item's post; local images (``/media/…``) below the Hexo site's ``prefix``."""
    item = pending.item
    return render_post(
        title=item.title,
        categories=item.category,
        author=item.source_author,
        date=item.date,
        cover=local_media(item.cover, prefix) if item.cover else item.cover,
        identity=item.identity,
        body_html=local_media(item.content, prefix),
        kept=kept,
    )


def _rewrite(pending: Pending, data: bytes, path: str, prefix: str) -> bytes:
    """A published post rewritten (changed item, ``--force``): the front-matter keys that
    hotpress does not own (hexo-abbrlink's ``abbrlink:``, hand-added ``tags:``...) stay."""
    try:
        # Not through a symlink: the writer would not write through it either.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with open(fd, "rb") as handle:
            old = handle.read()
    except OSError:
        return data  # gone, unreadable or a link: written anew, as a new post would be
    kept = kept_lines(old)
    return render_pending(pending, kept, prefix) if kept else data


@functools.lru_cache(maxsize=4096)
def _folder_of(category: tuple[str, ...]) -> str:
    """The category's folder as ``a/b/`` (empty for no category): names are joined onto it."""
    # Folders and file names become the post's URL under Hexo's default permalink, which
    # themes print in single-quoted attributes: named after the text the theme shows.
    folder = category_dir([theme_text(level) for level in category]).as_posix()
    return "" if folder == "." else folder + "/"


def _choose_path(
    pending: Pending,
    data: bytes,
    root: Path,
    names: FoldedNames,
    new_folders: dict[str, bool],
) -> str:
    """A new post's path: the title's name unless another item (or a file hotpress did not
    write) holds it, compared as a case-folding disk compares names (``folded``). A file
    holding exactly these bytes is this item's own post from a run that stopped before
    recording it, so it is reused rather than duplicated.

    ``new_folders`` remembers, per folder, whether it was missing when this run first came
    to it: then every file in it is this run's, all claimed in ``names``, and none is read."""
    item = pending.item
    folder = _folder_of(item.category)
    new = new_folders.get(folder)
    if new is None:
        new = new_folders[folder] = not os.path.isdir(os.path.join(root, folder or "."))

    def taken(name: str) -> bool:
        rel = folder + name
        owner = names.owner(rel)  # recorded before, or chosen in this run
        if owner is not None:
            return owner != item.id
        if new:
            return False
        exact = names.on_disk(folder, name)
        if exact is None:
            return False
        if exact != name:  # another file the disk would take for this one
            return True
        try:
            with open(os.path.join(root, rel), "rb") as handle:
                return handle.read() != data
        except FileNotFoundError:
            return False
        except OSError:
            return True

    return folder + post_filename(theme_text(item.title), item.identity, taken)


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
) -> OutputReport:
    """Write the posts of new and changed items. Never deletes a post. On a write error the
    run stops this output; what was not written stays pending for the next run. Local
    images go below the Hexo site's ``root:``; when that changed since the posts were
    written, every post is written again."""
    prefix = hexo_prefix(root)
    moved = prefix != written_prefix(root)
    report = _publish(storage, root, force or moved, progress, prefix)
    if moved and report.error is None:
        record_prefix(root, prefix)
    return report


def _publish(
    storage: Storage, root: Path, force: bool, progress: Progress | None, prefix: str
) -> OutputReport:
    progress = progress or NullProgress()
    try:
        sweep_temp(root)  # what a run killed mid-write left behind
    except PublishError as exc:  # e.g. a symlinked temp folder: nothing is written
        return OutputReport(OUTPUT, error=str(exc))
    # Durable in batches: synced before each batch of posts is recorded as published.
    writer = Writer(root, defer_sync=True)
    recorder = _Recorder(writer, storage)
    batch: list[Publication] = []
    names = FoldedNames(lambda: storage.publication_paths(OUTPUT), str(root))
    new_folders: dict[str, bool] = {}
    error: str | None = None

    progress.begin("posts", None)
    try:
        for pending in storage.pending(OUTPUT, force=force):
            data = render_pending(pending, prefix=prefix)
            if pending.path:
                rel = pending.path
                data = _rewrite(pending, data, os.path.join(root, rel), prefix)
            else:
                rel = _choose_path(pending, data, root, names, new_folders)
            names.claim(rel, pending.item.id)
            writer.write(rel, data)
            batch.append(
                Publication(
                    item_id=pending.item.id,
                    revision=pending.item.revision,
                    source_revision=pending.source_revision,
                    path=rel,
                )
            )
            progress.advance("posts")
            if len(batch) >= _MAX_BATCH or (len(batch) >= _BATCH and not recorder.busy()):
                recorder.hand_over(batch)
                batch.clear()
        recorder.hand_over(batch)
        recorder.settle()
    except PublishError as exc:
        error = str(exc)
        # What was written before the error is recorded once flushed; a failing flush
        # leaves it pending (the first error is the one reported).
        with contextlib.suppress(PublishError):
            recorder.hand_over(batch)
            recorder.settle()
    finally:
        recorder.close()
        # Everything recorded was flushed already; a flush failing here only concerns posts
        # left pending, and must not hide the error that brought us here.
        with contextlib.suppress(PublishError):
            writer.close()
        progress.end("posts")
    total = storage.count_publications(OUTPUT)
    return OutputReport(OUTPUT, writer.written, writer.unchanged, error, total=total)
