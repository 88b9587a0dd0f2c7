"""The SQLite backend's connection: open, check, migrate, and wrap every call alike.

Writes run in one ``BEGIN IMMEDIATE`` transaction (``_write``); reads and writes both turn a
raw ``sqlite3.Error`` into a ``StorageError`` naming the archive (``guard_calls``).
"""

from __future__ import annotations

import functools
import inspect
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Self, TypeVar

from hotpress._storage.guard import check_archive
from hotpress._storage.migrations import MIGRATIONS
from hotpress.exceptions import StorageError

C = TypeVar("C", bound=type)
# Not wrapped: they hand out the object itself or a way to open another one.
_UNWRAPPED = frozenset({"opener"})


def _failure(path: Path, exc: sqlite3.Error) -> StorageError:
    return StorageError(f"archive {path}: {exc}")


def _guard_iterator(path: Path, items: Iterator[Any]) -> Iterator[Any]:
    try:
        yield from items
    except sqlite3.Error as exc:
        raise _failure(path, exc) from exc


def _guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def call(self: SQLiteConnection, *args: Any, **kwargs: Any) -> Any:
        try:
            result = fn(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise _failure(self.path, exc) from exc
        if isinstance(result, Iterator):
            return _guard_iterator(self.path, result)
        return result

    call.__guarded__ = True  # type: ignore[attr-defined]
    return call


def guard_calls(cls: C) -> C:
    """Wrap every public method of ``cls`` (its mixins' too): reads fail like writes."""
    for name in dir(cls):
        if name.startswith("_") or name in _UNWRAPPED:
            continue
        fn = inspect.getattr_static(cls, name)
        if inspect.isfunction(fn) and not getattr(fn, "__guarded__", False):
            setattr(cls, name, _guarded(fn))
    return cls


class SQLiteConnection:
    """Archive in one SQLite file. Not for concurrent use: one thread at a time."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # One thread at a time, but not always the same one: refresh() stores from a worker.
            self._db = sqlite3.connect(
                str(path), isolation_level=None, timeout=30, check_same_thread=False
            )
            try:
                # Before anything writes to it (WAL mode is written into the file).
                check_archive(self._db, self.path)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute("PRAGMA foreign_keys=ON")
                self._migrate()
            except BaseException:
                self._db.close()
                raise
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"cannot open archive {self.path}: {exc}") from exc
        except OSError as exc:
            raise StorageError(
                f"cannot open archive {self.path}: cannot create or use its folder: {exc}"
            ) from exc
        self._ids: dict[str, int] = {}

    # --- plumbing -----------------------------------------------------------------------

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StorageError(
                f"archive {self.path} has schema {version}, newer than this hotpress "
                f"({len(MIGRATIONS)}): upgrade hotpress"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in script.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self._db.close()

    def opener(self) -> Callable[[], Self] | None:
        """A picklable way for another process to open this archive (None: in memory)."""
        if str(self.path) == ":memory:":
            return None
        return functools.partial(type(self), self.path.resolve())

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def data_version(self) -> int:
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def _source_id(self, key: str) -> int:
        if key not in self._ids:
            row = self._db.execute("SELECT id FROM sources WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise StorageError(f"unknown source {key!r}: sync_sources() first")
            self._ids[key] = row[0]
        return self._ids[key]

    def _write(self, fn: Any, *args: Any) -> Any:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(*args)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return result
        except sqlite3.Error as exc:
            raise _failure(self.path, exc) from exc
