"""Reads fail like writes: a raw ``sqlite3`` error never escapes the SQLite backend."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hotpress._storage.sqlite import SQLiteStorage
from hotpress.exceptions import StorageError
from hotpress.types import SourceSpec

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _broken(tmp_path: Path, table: str) -> SQLiteStorage:
    storage = SQLiteStorage(tmp_path / "hot.db")
    storage.sync_sources(
        [
            SourceSpec(
                key="/a", category=("A",), url="http://127.0.0.1/a", author="A", timezone="UTC"
            )
        ]
    )
    # Another writer damaged the archive under us: the table a read needs is gone.
    storage._db.execute("PRAGMA foreign_keys=OFF")
    storage._db.execute(f"DROP TABLE {table}")
    return storage


def test_a_plain_read_fails_as_storage_error_naming_the_archive(tmp_path: Path) -> None:
    storage = _broken(tmp_path, "fetch_log")
    with pytest.raises(StorageError, match=r"hot\.db.*fetch_log") as info:
        storage.fetch_log("/a")
    assert isinstance(info.value.__cause__, sqlite3.Error)
    storage.close()


def test_a_streamed_read_fails_as_storage_error_while_iterating(tmp_path: Path) -> None:
    storage = _broken(tmp_path, "publications")
    with pytest.raises(StorageError, match="publications"):
        list(storage.publication_paths("hexo"))
    with pytest.raises(StorageError, match="publications"):
        list(storage.pending("hexo"))
    storage.close()


def test_site_reads_are_wrapped_too(tmp_path: Path) -> None:
    storage = _broken(tmp_path, "items")
    with pytest.raises(StorageError):
        storage.site_fingerprint()
    with pytest.raises(StorageError):
        list(storage.site_order())
    with pytest.raises(StorageError):
        storage.count_items()
    storage.close()


def test_every_public_method_is_wrapped() -> None:
    public = [
        name
        for name in dir(SQLiteStorage)
        if not name.startswith("_") and callable(getattr(SQLiteStorage, name))
    ]
    unwrapped = [
        name
        for name in public
        if name != "opener" and not getattr(getattr(SQLiteStorage, name), "__guarded__", False)
    ]
    assert len(public) > 40
    assert unwrapped == []
