"""Publications and retention in the SQLite backend (mixed into SQLiteStorage)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from hotpress._storage.base import PENDING_SOURCES_MAX, Pending, Publication, RetentionCandidate
from hotpress._storage.conn import ArchiveConnection
from hotpress._storage.sqlite_rows import _ITEM_COLUMNS, _category, _chunks, _row_to_item

# Not published to the output yet, or changed since (the item, or its source's category...).
_CHANGED = " AND (p.item_id IS NULL OR p.revision != i.revision OR p.source_revision != s.revision)"


class PublicationQueriesMixin(ArchiveConnection):
    """What each output has published, what is due, and what retention removes."""

    def pending(
        self,
        output: str,
        *,
        force: bool = False,
        shard: tuple[int, int] | None = None,
        after: int = 0,
        sources: Sequence[int] | None = None,
    ) -> Iterator[Pending]:
        # Keyset pages, so publications recorded while iterating cannot skew the scan and
        # memory stays bounded however large the archive is.
        condition = "" if force else _CHANGED
        part: tuple[int, ...] = ()
        if shard is not None:
            condition += " AND i.source_id % ? = ?"
            part = (shard[1], shard[0])
        if sources is not None:
            if not sources:
                return
            if len(sources) > PENDING_SOURCES_MAX:
                raise ValueError(f"at most {PENDING_SOURCES_MAX} sources at once")
            condition += f" AND i.source_id IN ({', '.join('?' * len(sources))})"
            part += tuple(sources)
        last = after
        while True:
            rows = self._db.execute(
                f"SELECT {_ITEM_COLUMNS}, p.path, s.revision FROM items i"
                " JOIN sources s ON s.id = i.source_id"
                " LEFT JOIN publications p ON p.item_id = i.id AND p.output = ?"
                f" WHERE i.id > ? AND i.filtered = 0{condition} ORDER BY i.id LIMIT 500",
                (output, last, *part),
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield Pending(item=_row_to_item(row), path=row[17], source_revision=row[18])
            last = rows[-1][0]

    def pending_sources(
        self, output: str, *, force: bool = False
    ) -> list[tuple[int, tuple[str, ...], int]]:
        rows = self._db.execute(
            "SELECT i.source_id, s.category, COUNT(*) FROM items i"
            " JOIN sources s ON s.id = i.source_id"
            " LEFT JOIN publications p ON p.item_id = i.id AND p.output = ?"
            f" WHERE i.filtered = 0{'' if force else _CHANGED}"
            " GROUP BY i.source_id, s.category ORDER BY i.source_id",
            (output,),
        ).fetchall()
        return [(int(r[0]), _category(r[1]), int(r[2])) for r in rows]

    def path_owner(self, output: str, path: str) -> int | None:
        row = self._db.execute(
            "SELECT item_id FROM publications WHERE output = ? AND path = ?", (output, path)
        ).fetchone()
        return None if row is None else int(row[0])

    def count_publications(self, output: str) -> int:
        row = self._db.execute(
            "SELECT COUNT(*) FROM publications WHERE output = ?", (output,)
        ).fetchone()
        return int(row[0])

    def publication_paths(self, output: str) -> Iterator[tuple[str, int]]:
        cursor = self._db.execute(
            "SELECT path, item_id FROM publications WHERE output = ?", (output,)
        )
        while rows := cursor.fetchmany(2000):
            yield from rows

    def record_publications(self, output: str, done: Sequence[Publication]) -> None:
        def work() -> None:
            self._db.executemany(
                "INSERT INTO publications (output, item_id, revision, source_revision, path)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (output, item_id) DO UPDATE SET"
                " revision = excluded.revision, source_revision = excluded.source_revision,"
                " path = excluded.path",
                [(output, p.item_id, p.revision, p.source_revision, p.path) for p in done],
            )

        if done:
            self._write(work)

    # --- retention ------------------------------------------------------------------------

    def retention_candidates(
        self,
        output: str,
        source_key: str,
        *,
        older_than: datetime | None,
        keep_newest: int | None,
    ) -> list[RetentionCandidate]:
        if older_than is None and keep_newest is None:
            return []
        # Rank by the date readers see; ties broken by id so the cut is stable across runs.
        limits: list[str] = []
        values: list[int] = []
        if older_than is not None:
            limits.append("ranked.date < ?")
            values.append(int(older_than.timestamp()))
        if keep_newest is not None:
            limits.append("ranked.rank > ?")
            values.append(keep_newest)
        rows = self._db.execute(
            "SELECT id, path, last_seen FROM ("
            " SELECT i.id, p.path, i.last_seen, i.date,"
            " ROW_NUMBER() OVER (ORDER BY i.date DESC, i.id DESC) AS rank"
            " FROM items i LEFT JOIN publications p ON p.item_id = i.id AND p.output = ?"
            f" WHERE i.source_id = ?) ranked WHERE {' OR '.join(limits)} ORDER BY id",
            (output, self._source_id(source_key), *values),
        ).fetchall()
        return [
            RetentionCandidate(item_id=r[0], path=r[1], last_seen=datetime.fromtimestamp(r[2], UTC))
            for r in rows
        ]

    def purge_items(self, item_ids: Sequence[int]) -> int:
        ids = list(item_ids)

        def work() -> int:
            removed = 0
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                self._db.execute(f"DELETE FROM publications WHERE item_id IN ({marks})", chunk)
                removed += self._db.execute(
                    f"DELETE FROM items WHERE id IN ({marks})", chunk
                ).rowcount
            return removed

        if not ids:
            return 0
        count: int = self._write(work)
        return count
