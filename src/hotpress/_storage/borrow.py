"""One archive shared by the threads of a process: what a worker's tasks borrow.

``hotpress worker`` runs each task with the archive for that task only
(``with pool.storage() as storage``). On PostgreSQL that is a connection of a psycopg_pool
(``pg_pool``); on SQLite each thread keeps its own connection to the file. Either way a
connection that failed (``StorageError``) is not handed out again.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from hotpress._storage.base import Storage
from hotpress._storage.sqlite import SQLiteStorage
from hotpress.exceptions import StorageError

__all__ = ["StoragePool", "ThreadStorages"]


class StoragePool(Protocol):
    def storage(self) -> AbstractContextManager[Storage]:
        """The archive for the block, on a connection no other thread uses meanwhile."""

    def close(self) -> None: ...


class ThreadStorages:
    """An SQLite archive: each thread's own connection, opened on its first use and kept;
    closed and opened again after a ``StorageError`` (a locked or vanished file)."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[SQLiteStorage] = []

    @contextlib.contextmanager
    def storage(self) -> Iterator[Storage]:
        storage: SQLiteStorage | None = getattr(self._local, "storage", None)
        if storage is None:
            storage = self._local.storage = SQLiteStorage(self.path)
            with self._lock:
                self._open.append(storage)
        try:
            yield storage
        except StorageError:
            self._local.storage = None
            self._drop(storage)
            raise

    def _drop(self, storage: SQLiteStorage) -> None:
        with self._lock:
            if storage in self._open:
                self._open.remove(storage)
        with contextlib.suppress(Exception):
            storage.close()

    def close(self) -> None:
        """Close every thread's connection (when the worker stops)."""
        with self._lock:
            opened, self._open = self._open, []
        for storage in opened:
            with contextlib.suppress(Exception):
                storage.close()
