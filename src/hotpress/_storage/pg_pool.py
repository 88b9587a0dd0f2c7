"""Connections to a PostgreSQL archive shared by one process's threads: a psycopg_pool.

A Celery worker (``hotpress worker``) runs tasks on several threads, or one task at a time
in each of several processes. Each task borrows a connection for its whole refresh, as a
``PostgreSQLStorage`` over it (:meth:`PostgreSQLPool.storage`), and gives it back:

- a connection is checked before it is handed out (``ConnectionPool.check_connection``, one
  empty query): after a database restart, or a connection the server or a proxy closed while
  the worker was idle, the next task gets a new one instead of failing on its first query;
- at most ``size`` connections (the threads of the process), kept down to one when idle for
  10 minutes and renewed after an hour (psycopg_pool's ``max_idle``/``max_lifetime``);
- a connection lost in the middle of a task is dropped by the pool when it comes back (the
  task fails with ``StorageError`` and is tried again, ``_workers.app``).

The archive is opened once first as a plain ``PostgreSQLStorage`` (created, migrated, its
schema read), so a wrong URL, role or database fails at once with that archive's message
rather than as a pool timeout.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from hotpress._storage.pg_conn import public_dsn, session_settings
from hotpress._storage.postgresql import PostgreSQLStorage
from hotpress.exceptions import StorageError

__all__ = ["TIMEOUT", "PostgreSQLPool"]

TIMEOUT = 10.0
"""Seconds a task waits for a connection (the server is down, or every one is in use)."""


class PostgreSQLPool:
    """The archive at ``url`` for up to ``size`` threads of this process at once."""

    def __init__(self, url: str, *, size: int, timeout: float = TIMEOUT) -> None:
        with PostgreSQLStorage(url) as first:
            self.schema = first.schema
        self.url = url
        self.timeout = timeout
        self._ids: dict[str, int] = {}
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            url,
            min_size=1,
            max_size=max(1, size),
            kwargs={"autocommit": True, "application_name": "hotpress", "client_encoding": "UTF8"},
            configure=session_settings,
            check=ConnectionPool.check_connection,
            timeout=timeout,
            name="hotpress",
            open=False,
        )
        self._pool.open()

    @property
    def name(self) -> str:
        return public_dsn(self.url)

    @contextlib.contextmanager
    def storage(self) -> Iterator[PostgreSQLStorage]:
        """The archive over a connection of the pool, given back at the end of the block."""
        try:
            with self._pool.connection() as conn:
                yield PostgreSQLStorage.over(conn, self.url, self.schema, self._ids)
        except PoolTimeout as exc:
            raise StorageError(
                f"archive {self.name}: no connection within {self.timeout:g} s ({exc})"
            ) from exc

    def stats(self) -> dict[str, int]:
        """psycopg_pool's counters (connections made, requests, waits)."""
        return self._pool.get_stats()

    def close(self) -> None:
        self._pool.close()
