"""Sources and the fetch log of the SQLite backend (mixed into SQLiteStorage)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from hotpress._storage.base import FetchLogEntry
from hotpress._storage.conn import NOT_AHEAD, ArchiveConnection
from hotpress._storage.sqlite_rows import _EXPANSION_COUNTS, _chunks, _dt
from hotpress.exceptions import StorageError
from hotpress.types import SourceSpec, SourceState, Validators


class SourceQueriesMixin(ArchiveConnection):
    """Sources as configured, their fetch state and their fetch log."""

    def sync_sources(self, specs: Sequence[SourceSpec]) -> None:
        def work() -> None:
            for spec in specs:
                category = json.dumps(list(spec.category), ensure_ascii=False)
                row = self._db.execute(
                    "SELECT id, url, category, author FROM sources WHERE key = ?", (spec.key,)
                ).fetchone()
                if row is None:
                    self._db.execute(
                        "INSERT INTO sources (key, url, category, author, interval_minutes)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (spec.key, spec.url, category, spec.author, spec.interval_minutes),
                    )
                elif (row[1], row[2], row[3]) != (spec.url, category, spec.author):
                    # The revision makes every item of the source due for republishing.
                    self._db.execute(
                        "UPDATE sources SET url = ?, category = ?, author = ?,"
                        " interval_minutes = ?, revision = revision + 1 WHERE id = ?",
                        (spec.url, category, spec.author, spec.interval_minutes, row[0]),
                    )
                else:
                    self._db.execute(
                        "UPDATE sources SET interval_minutes = ? WHERE id = ?",
                        (spec.interval_minutes, row[0]),
                    )

        self._write(work)

    def validators(self, source_key: str) -> Validators:
        ahead = self._read_ahead(source_key, "validators")
        if ahead is not NOT_AHEAD:
            return Validators(etag=ahead[0], last_modified=ahead[1])
        row = self._db.execute(
            "SELECT etag, last_modified FROM sources WHERE key = ?", (source_key,)
        ).fetchone()
        return Validators() if row is None else Validators(etag=row[0], last_modified=row[1])

    def error_count(self, source_key: str) -> int:
        ahead = self._read_ahead(source_key, "error_count")
        if ahead is not NOT_AHEAD:
            return int(ahead)
        row = self._db.execute(
            "SELECT error_count FROM sources WHERE key = ?", (source_key,)
        ).fetchone()
        return 0 if row is None else int(row[0])

    def body_digest(self, source_key: str) -> str | None:
        ahead = self._read_ahead(source_key, "body_digest")
        if ahead is not NOT_AHEAD:
            return str(ahead) if ahead is not None else None
        row = self._db.execute(
            "SELECT body_digest FROM sources WHERE key = ?", (source_key,)
        ).fetchone()
        return None if row is None else row[0]

    def unchanged_entries(self, source_key: str, raw: Mapping[str, str]) -> set[str]:
        if not raw:
            return set()
        source_id = self._source_id(source_key)
        found: set[str] = set()
        identities = list(raw)
        for chunk in _chunks(identities):
            marks = ",".join("?" * len(chunk))
            for identity, stored in self._db.execute(
                f"SELECT identity, raw_hash FROM items"
                f" WHERE source_id = ? AND identity IN ({marks})",
                (source_id, *chunk),
            ):
                if stored is not None and stored == raw[identity]:
                    found.add(identity)
        return found

    def sources(self, now: datetime) -> list[SourceState]:
        day_ago = int((now - timedelta(days=1)).timestamp())
        rows = self._db.execute(
            "SELECT s.key, s.url, s.category, s.etag, s.last_modified, s.last_attempt,"
            " s.last_success, s.last_status, s.last_error, s.error_count, s.next_due,"
            " (SELECT COUNT(*) FROM items WHERE source_id = s.id),"
            " (SELECT COUNT(*) FROM items WHERE source_id = s.id AND first_seen >= ?),"
            f" {_EXPANSION_COUNTS},"
            " (SELECT COUNT(*) FROM items WHERE source_id = s.id AND filtered = 1)"
            " FROM sources s ORDER BY s.id",
            (day_ago,),
        ).fetchall()
        return [
            SourceState(
                key=r[0],
                url=r[1],
                category=tuple(json.loads(r[2])),
                validators=Validators(etag=r[3], last_modified=r[4]),
                last_attempt=_dt(r[5]),
                last_success=_dt(r[6]),
                last_status=r[7],
                last_error=r[8],
                error_count=r[9],
                next_due=_dt(r[10]),
                items_total=r[11],
                items_24h=r[12],
                expanded=r[13],
                expand_pending=r[14],
                expand_failed=r[15],
                items_filtered=r[16],
            )
            for r in rows
        ]

    def due_sources(self, now: datetime) -> list[str]:
        rows = self._db.execute(
            "SELECT key FROM sources WHERE next_due IS NULL OR next_due <= ?"
            " ORDER BY COALESCE(next_due, 0), id",
            (int(now.timestamp()),),
        )
        return [r[0] for r in rows]

    def fetch_log(self, source_key: str, limit: int = 20) -> list[FetchLogEntry]:
        rows = self._db.execute(
            "SELECT started, status, duration, new, updated, error FROM fetch_log"
            " WHERE source_id = ? ORDER BY started DESC, id DESC LIMIT ?",
            (self._source_id(source_key), limit),
        )
        return [
            FetchLogEntry(
                source_key=source_key,
                started=datetime.fromtimestamp(r[0], UTC),
                status=r[1],
                duration=r[2],
                new=r[3],
                updated=r[4],
                error=r[5],
            )
            for r in rows
        ]

    # --- items and publications ----------------------------------------------------------

    def source_revision(self, source_key: str) -> int:
        row = self._db.execute(
            "SELECT revision FROM sources WHERE key = ?", (source_key,)
        ).fetchone()
        if row is None:
            raise StorageError(f"unknown source {source_key!r}")
        return int(row[0])
