"""Archives of a given size built once from the corpus (untimed setup), copied per run."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import CACHE, run_worker

CORPUS_FEEDS, CORPUS_ITEMS = 200, 50
TRASH = CACHE / "trash"


def shape(size: int) -> tuple[int, int, int]:
    """(feeds, items, copies) giving ``size`` items from the corpus."""
    per_copy = CORPUS_FEEDS * CORPUS_ITEMS
    if size < per_copy:
        return size // CORPUS_ITEMS, CORPUS_ITEMS, 1
    return CORPUS_FEEDS, CORPUS_ITEMS, size // per_copy


def build(size: int, path: str) -> dict[str, Any]:
    from bench.ingest import ingest_into
    from hotpress._storage import SQLiteStorage

    feeds, items, copies = shape(size)
    tmp = Path(path).with_suffix(".partial")
    tmp.unlink(missing_ok=True)
    storage = SQLiteStorage(tmp)
    count = ingest_into(storage, feeds, items, copies)
    storage._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one self-contained file to copy
    storage.close()
    tmp.rename(path)
    return {"entries": count}


def archive(size: int) -> Path:
    path = CACHE / f"archive-{size}.db"
    if not path.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        result = run_worker("bench.archive:build", size=size, path=str(path))
        if "error" in result:
            raise RuntimeError(f"building the {size:,}-item archive failed: {result['error']}")
    return path


def copy_of(size_path: str, folder: Path) -> Path:
    target = folder / "archive.db"
    shutil.copyfile(size_path, target)
    return target


@contextmanager
def scratch() -> Iterator[str]:
    """A fresh folder for one timed run, moved to the trash afterwards, not deleted.

    These machines' ext4 has no journal, and without one ext4 will not reuse an inode freed
    in the last ``dirty_expire_centisecs`` (30 s): every new file then scans past the recently
    freed inodes of its block group (``recently_deleted`` in ``find_inode_bit``, seen with
    ``perf``), up to ~1 ms of kernel time per file after a run deleted 14,000. Deleting each
    run's output before the next would bill that to whichever tool runs next, so nothing is
    deleted until every timed run is over (:func:`empty_trash`)."""
    TRASH.mkdir(parents=True, exist_ok=True)
    path = tempfile.mkdtemp(dir=CACHE, prefix="run-")
    try:
        yield path
    finally:
        os.rename(path, TRASH / Path(path).name)


def empty_trash() -> int:
    """Delete the runs' folders (after the timed work); how many."""
    if not TRASH.is_dir():
        return 0
    count = 0
    for folder in TRASH.iterdir():
        shutil.rmtree(folder, ignore_errors=True)
        count += 1
    return count
