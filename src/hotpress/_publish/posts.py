"""The Hexo output: every archived item as one post in the seed's format."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from hotpress._progress import NullProgress, Progress
from hotpress._publish.filenames import category_dir, post_filename
from hotpress._publish.hexo import render_post
from hotpress._publish.writer import Writer, sweep_temp
from hotpress._storage.base import Pending, Publication, Storage
from hotpress.exceptions import PublishError

OUTPUT = "hexo"
_BATCH = 500


@dataclass(frozen=True, slots=True)
class OutputReport:
    name: str
    written: int = 0
    unchanged: int = 0
    error: str | None = None


def render_pending(pending: Pending) -> bytes:
    item = pending.item
    return render_post(
        title=item.title,
        categories=item.category,
        author=item.source_author,
        date=item.date,
        cover=item.cover,
        identity=item.identity,
        body_html=item.content,
    )


def _choose_path(
    pending: Pending, data: bytes, root: Path, storage: Storage, chosen: set[str]
) -> str:
    """A new post's path: the title's name unless another item (or a file hotpress did not
    write) holds it. A file holding exactly these bytes is this item's own post from a run
    that stopped before recording it, so it is reused rather than duplicated."""
    item = pending.item
    folder = category_dir(item.category)

    def taken(name: str) -> bool:
        rel = str(PurePosixPath(folder, name))
        if rel in chosen:
            return True
        owner = storage.path_owner(OUTPUT, rel)
        if owner is not None:
            return owner != item.id
        target = root / rel
        try:
            return target.read_bytes() != data
        except FileNotFoundError:
            return False
        except OSError:
            return True

    return str(PurePosixPath(folder, post_filename(item.title, item.identity, taken)))


def publish_hexo(
    storage: Storage,
    root: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> OutputReport:
    """Write the posts of new and changed items. Never deletes a post. On a write error the
    run stops this output; what was not written stays pending for the next run."""
    progress = progress or NullProgress()
    sweep_temp(root)  # what a run killed mid-write left behind
    # Durable in batches: synced before each batch of posts is recorded as published.
    writer = Writer(root, defer_sync=True)
    batch: list[Publication] = []
    chosen: set[str] = set()

    def flush() -> None:
        # What the archive records as published is on disk first.
        writer.sync()
        storage.record_publications(OUTPUT, batch)
        batch.clear()

    progress.begin("posts", None)
    try:
        for pending in storage.pending(OUTPUT, force=force):
            data = render_pending(pending)
            rel = pending.path or _choose_path(pending, data, root, storage, chosen)
            chosen.add(rel)
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
            if len(batch) >= _BATCH:
                flush()
        flush()
    except PublishError as exc:
        flush()
        return OutputReport(OUTPUT, writer.written, writer.unchanged, str(exc))
    finally:
        writer.close()
        progress.end("posts")
    return OutputReport(OUTPUT, writer.written, writer.unchanged)
