"""Archives of a given size built once from the corpus (untimed setup), copied per run."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.common import CACHE, run_worker

CORPUS_FEEDS, CORPUS_ITEMS = 200, 50


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


def scratch() -> tempfile.TemporaryDirectory[str]:
    CACHE.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(dir=CACHE, prefix="run-")
