"""The SQLite backend's connection: open, check, migrate (shared plumbing in ``conn.py``).

Writes run in one ``BEGIN IMMEDIATE`` transaction (``ArchiveConnection._write``); reads and
writes both turn a raw ``sqlite3.Error`` into a ``StorageError`` naming the archive
(``guard_calls``).
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Self

from hotpress._storage.conn import ArchiveConnection, guard_calls
from hotpress._storage.guard import check_archive
from hotpress._storage.migrations import MIGRATIONS
from hotpress.exceptions import StorageError

__all__ = ["SQLiteConnection", "guard_calls"]


_BUSY_WAIT = 30.0
"""Seconds to wait for another process's lock (the connection's busy timeout too)."""


def _use_wal(db: sqlite3.Connection) -> None:
    """WAL mode, waiting for other processes meanwhile: switching a new file to it needs the
    file to itself, and SQLite answers "database is locked" at once, without the busy
    timeout, while another process holds it (several workers opening a new archive)."""
    deadline = time.monotonic() + _BUSY_WAIT
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class SQLiteConnection(ArchiveConnection):
    """Archive in one SQLite file. Not for concurrent use: one thread at a time."""

    _errors: ClassVar[tuple[type[Exception], ...]] = (sqlite3.Error,)

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._open()
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"cannot open archive {self.path}: {exc}") from exc
        except OSError as exc:
            raise StorageError(
                f"cannot open archive {self.path}: cannot create or use its folder: {exc}"
            ) from exc
        self._ids: dict[str, int] = {}

    def _open(self) -> None:
        # One thread at a time, but not always the same one: refresh() stores from a worker.
        db = sqlite3.connect(
            str(self.path), isolation_level=None, timeout=_BUSY_WAIT, check_same_thread=False
        )
        self._sqlite = db
        self._db = db
        try:
            # Before anything writes to it (WAL mode is written into the file).
            check_archive(db, self.path)
            _use_wal(db)
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except BaseException:
            db.close()
            raise

    @property
    def name(self) -> str:
        return str(self.path)

    # --- plumbing -----------------------------------------------------------------------

    def _migrate(self) -> None:
        db = self._sqlite
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StorageError(
                f"archive {self.path} has schema {version}, newer than this hotpress "
                f"({len(MIGRATIONS)}): upgrade hotpress"
            )
        for number in range(version + 1, len(MIGRATIONS) + 1):
            db.execute("BEGIN IMMEDIATE")
            try:
                # Read again under the write lock: another process opening the new archive
                # at the same moment (workers started together) may have run it meanwhile.
                if db.execute("PRAGMA user_version").fetchone()[0] < number:
                    for statement in MIGRATIONS[number - 1].split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute(f"PRAGMA user_version = {number}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self._sqlite.close()

    def reconnect(self) -> None:
        """A new connection to the file in place of this one (a file seldom goes away, but
        callers of ``Storage.reconnect`` need not know the backend)."""
        self._sqlite.close()
        self._open()

    def opener(self) -> Callable[[], Self] | None:
        """A picklable way for another process to open this archive (None: in memory)."""
        if str(self.path) == ":memory:":
            return None
        return functools.partial(type(self), self.path.resolve())

    def _table_names(self) -> set[str]:
        rows = self._sqlite.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        return {r[0] for r in rows}

    def data_version(self) -> int:
        return int(self._sqlite.execute("PRAGMA data_version").fetchone()[0])

    def integrity_ok(self) -> bool:
        return bool(self._sqlite.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
