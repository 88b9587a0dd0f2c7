"""One writer per PostgreSQL archive: a session-level advisory lock on its own connection.

The SQLite archive's run lock is a file beside it (``hotpress._lock.RunLock``); a server's
archive has no folder every run can see, so the lock lives in the server. It is held by a
connection of its own for the whole run and let go when the run ends, or when its process
dies (the server ends the session and drops its locks: no stale lock to clean up). The key
is derived from the purpose and the archive's schema (advisory locks are per database).
"""

from __future__ import annotations

import os
import socket
import time
from types import TracebackType
from typing import Any

import psycopg

from hotpress._storage.pg_conn import lock_key, public_dsn
from hotpress.exceptions import LockedError, StorageError

__all__ = ["AdvisoryLock"]


class AdvisoryLock:
    """Held for the whole of a run; a second run waits up to ``wait`` seconds, then refuses."""

    def __init__(self, url: str, *, wait: float = 0.0, purpose: str = "run") -> None:
        self.url = url
        self.wait = wait
        self.purpose = purpose
        self._conn: psycopg.Connection[Any] | None = None
        self._key = 0

    def __enter__(self) -> AdvisoryLock:
        me = f"hotpress {self.purpose} pid {os.getpid()} on {socket.gethostname()}"
        try:
            conn = psycopg.connect(self.url, autocommit=True, application_name=me[:63])
        except psycopg.Error as exc:
            raise StorageError(f"cannot open archive {public_dsn(self.url)}: {exc}") from exc
        try:
            row = conn.execute("SELECT current_schema()").fetchone()
            self._key = lock_key(self.purpose, str(row[0] if row else None))
            deadline = time.monotonic() + self.wait
            while not self._try(conn):
                if time.monotonic() >= deadline:
                    holder = self._holder(conn)
                    raise LockedError(
                        f"another hotpress run ({holder}) is using {public_dsn(self.url)};"
                        " wait for it to finish or use --wait SECONDS"
                    )
                time.sleep(0.2)
        except psycopg.Error as exc:
            conn.close()
            raise StorageError(f"archive {public_dsn(self.url)}: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return self

    def _try(self, conn: psycopg.Connection[Any]) -> bool:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
        return bool(row and row[0])

    def _holder(self, conn: psycopg.Connection[Any]) -> str:
        """Who holds the lock, by the application name its connection gave."""
        key = self._key & 0xFFFFFFFFFFFFFFFF
        row = conn.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.database ="
            " (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND l.classid = %s AND l.objid = %s AND l.objsubid = 1",
            (key >> 32, key & 0xFFFFFFFF),
        ).fetchone()
        return str(row[0]) if row and row[0] else "another connection"

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
            except psycopg.Error:
                pass  # closing the session below drops the lock anyway
            finally:
                conn.close()
