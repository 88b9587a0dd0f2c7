"""Leases of both backends (mixed into SQLiteStorage and PostgreSQLStorage; see
``lease_rows``).

Every statement runs inside ``_write``'s transaction. SQLite has one writer at a time, so a
claim cannot interleave with another process's claim (no ``SKIP LOCKED`` needed, or known);
PostgreSQL's claim locks the rows it picks ``FOR UPDATE SKIP LOCKED``, so concurrent
claimers pass each other instead of waiting or taking a row twice.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from hotpress._storage.conn import ArchiveConnection
from hotpress._storage.lease_rows import Dialect, claim_sql
from hotpress._storage.sqlite_rows import _chunks

ARCHIVE_ID = "archive_id"
"""The ``settings_state`` key of :meth:`LeaseQueriesMixin.archive_id` (``archive copy`` skips
it)."""


class LeaseQueriesMixin(ArchiveConnection):
    """Claiming sources for workers, and the workers' side of a lease."""

    dialect: Dialect = "sqlite"

    def claim_sources(
        self,
        now: datetime,
        *,
        token: str,
        until: datetime,
        limit: int,
        keys: Sequence[str] | None = None,
        due_only: bool = True,
    ) -> list[str]:
        # The archive keeps whole seconds: the lease's end rounded up, so that it lasts at
        # least to ``until`` (rounded down, a claim in its last second took the sources while
        # the scheduler still waited for the round that held them).
        stamp, expiry = int(now.timestamp()), math.ceil(until.timestamp())

        def claim(chunk: Sequence[str], room: int) -> list[str]:
            sql = claim_sql(self.dialect, keys=len(chunk), due_only=due_only)
            due = (stamp,) if due_only else ()
            rows = self._db.execute(sql, (expiry, token, stamp, *due, *chunk, room))
            return [row[0] for row in rows]

        def work() -> list[str]:
            if keys is None:
                taken = claim((), limit)
            else:
                taken = []
                for chunk in _chunks(list(keys)):
                    if len(taken) >= limit:
                        break
                    taken += claim(chunk, limit - len(taken))
            return taken

        claimed: list[str] = self._write(work)
        return claimed

    def start_lease(self, token: str, keys: Sequence[str]) -> dict[str, int]:
        # The refresh's first reads of each source come back with the lease (see
        # `ArchiveConnection._read_ahead`): five round trips a source fewer on PostgreSQL.
        ahead: dict[tuple[str, str], Any] = {}

        def work() -> dict[str, int]:
            tries: dict[str, int] = {}
            for chunk in _chunks(list(keys)):
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    "UPDATE sources SET lease_tries = lease_tries + 1"
                    f" WHERE lease_token = ? AND key IN ({marks}) RETURNING key, lease_tries,"
                    " id, etag, last_modified, body_digest, error_count, EXISTS (SELECT 1"
                    " FROM items WHERE items.source_id = sources.id AND items.filtered = 1)",
                    (token, *chunk),
                )
                for key, count, source_id, etag, modified, digest, errors, held in rows:
                    tries[key] = int(count)
                    self._ids[key] = int(source_id)
                    ahead[(key, "validators")] = (etag, modified)
                    ahead[(key, "body_digest")] = digest
                    ahead[(key, "error_count")] = errors
                    ahead[(key, "filtered")] = bool(held)
            return tries

        self._ahead = {}
        started: dict[str, int] = self._write(work)
        self._ahead = ahead
        return started

    def leased(self, token: str) -> list[str]:
        rows = self._db.execute(
            "SELECT key FROM sources WHERE lease_token = ? ORDER BY id", (token,)
        )
        return [row[0] for row in rows]

    def release_leases(self, token: str) -> int:
        def work() -> int:
            return int(
                self._db.execute(
                    "UPDATE sources SET lease_token = NULL, lease_until = NULL"
                    " WHERE lease_token = ?",
                    (token,),
                ).rowcount
            )

        released: int = self._write(work)
        return released

    def leases_now(self, now: datetime) -> tuple[int, datetime | None]:
        count, last = self._db.execute(
            "SELECT COUNT(*), MAX(lease_until) FROM sources"
            " WHERE lease_token IS NOT NULL AND lease_until > ?",
            (int(now.timestamp()),),
        ).fetchone()
        return int(count), None if last is None else datetime.fromtimestamp(int(last), UTC)

    def archive_id(self) -> str:
        def read() -> str | None:
            row = self._db.execute(
                f"SELECT value FROM settings_state WHERE key = '{ARCHIVE_ID}'"
            ).fetchone()
            return None if row is None else str(row[0])

        def work() -> str | None:
            self._db.execute(
                "INSERT INTO settings_state (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO NOTHING",
                (ARCHIVE_ID, uuid.uuid4().hex),
            )
            return read()

        made: str | None = read() or self._write(work)
        assert made is not None
        return made
