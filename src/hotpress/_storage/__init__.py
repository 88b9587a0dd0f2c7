"""Storage stage: the archive behind a small interface (see base.Storage).

``database:`` names it: a path is an SQLite file (the embedded default), a
``postgresql://`` URL a PostgreSQL database (the optional ``hotpress[postgresql]`` extra).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

from hotpress._storage.base import FetchLogEntry, Pending, Publication, Storage
from hotpress._storage.borrow import StoragePool, ThreadStorages
from hotpress._storage.sqlite import SQLiteStorage
from hotpress.exceptions import StorageError

__all__ = [
    "FetchLogEntry",
    "Pending",
    "Publication",
    "SQLiteStorage",
    "Storage",
    "StoragePool",
    "advisory_lock",
    "is_url",
    "open_storage",
    "storage_pool",
]

SCHEMES = ("postgresql", "postgres")


def is_url(database: Path | str) -> bool:
    """Whether ``database`` names a server's archive (``postgresql://…``), not a file."""
    return isinstance(database, str) and database.split("://", 1)[0].lower() in SCHEMES


def _missing(exc: ImportError) -> StorageError:
    return StorageError(
        f"a postgresql:// archive needs psycopg: pip install 'hotpress[postgresql]' ({exc})"
    )


def open_storage(database: Path | str) -> Storage:
    """Open (creating and migrating) the archive named by the config's ``database``."""
    if is_url(database):
        assert isinstance(database, str)
        try:
            from hotpress._storage.postgresql import PostgreSQLStorage
        except ImportError as exc:
            raise _missing(exc) from exc
        return PostgreSQLStorage(database)
    return SQLiteStorage(database)


def storage_pool(database: Path | str, *, size: int) -> StoragePool:
    """The archive for up to ``size`` threads of this process at once (a worker's tasks):
    a connection pool on PostgreSQL (opened, and migrated if new, when it is made), a
    connection per thread on SQLite (opened at each thread's first use). ``hotpress worker``
    has opened the archive once already when it started."""
    if is_url(database):
        assert isinstance(database, str)
        try:
            from hotpress._storage.pg_pool import PostgreSQLPool
        except ImportError as exc:
            raise _missing(exc) from exc
        return PostgreSQLPool(database, size=size)
    return ThreadStorages(database)


def advisory_lock(
    url: str, *, wait: float = 0.0, purpose: str = "run"
) -> AbstractContextManager[object]:
    """The single-writer lock of a PostgreSQL archive (see ``pg_lock``)."""
    try:
        from hotpress._storage.pg_lock import AdvisoryLock
    except ImportError as exc:
        raise _missing(exc) from exc
    return AdvisoryLock(url, wait=wait, purpose=purpose)
