"""Storing fetched items in the SQLite backend (mixed into SQLiteStorage)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from hotpress._storage.conn import ArchiveConnection
from hotpress._storage.sqlite_rows import _EXPANDED, _ITEM_COLUMNS, _chunks, _row_to_item, _ts
from hotpress.exceptions import LeaseLostError
from hotpress.types import FetchResult, Item, StoreCounts, StoredItem


class ItemQueriesMixin(ArchiveConnection):
    """One fetch stored in one transaction: new, edited and seen items."""

    def save_fetch(
        self,
        source_key: str,
        result: FetchResult,
        items: Sequence[Item] | None,
        *,
        now: datetime,
        error: str | None,
        next_due: datetime | None,
        seen: Sequence[str] = (),
        body_digest: str | None = None,
        same_as_before: bool = False,
        lease: str | None = None,
    ) -> StoreCounts:
        source_id = self._source_id(source_key)
        stamp = int(now.timestamp())

        def work() -> StoreCounts:
            if lease is not None:
                # First, in the transaction: a late duplicate must not write anything.
                ended = self._db.execute(
                    "UPDATE sources SET lease_token = NULL, lease_until = NULL"
                    " WHERE id = ? AND lease_token = ?",
                    (source_id, lease),
                ).rowcount
                if not ended:
                    raise LeaseLostError(
                        f"{source_key}: the lease of this refresh is gone (claimed again, or"
                        " already stored): its result is dropped"
                    )
            counts = self._store_items(source_id, items or (), stamp)
            touched = self._touch(source_id, seen, stamp)
            if same_as_before:
                # Everything the previous successful refresh saw is still there.
                touched += self._db.execute(
                    "UPDATE items SET last_seen = ? WHERE source_id = ? AND last_seen ="
                    " (SELECT last_success FROM sources WHERE id = ?)",
                    (stamp, source_id, source_id),
                ).rowcount
            if touched:
                counts = StoreCounts(counts.new, counts.updated, counts.unchanged + touched)
            if error is None:
                self._db.execute(
                    "UPDATE sources SET etag = ?, last_modified = ?, last_attempt = ?,"
                    " last_success = ?, last_status = ?, last_error = NULL, error_count = 0,"
                    " next_due = ?, body_digest = COALESCE(?, body_digest) WHERE id = ?",
                    (
                        result.validators.etag,
                        result.validators.last_modified,
                        stamp,
                        stamp,
                        result.status,
                        _ts(next_due),
                        body_digest,
                        source_id,
                    ),
                )
            else:
                self._db.execute(
                    "UPDATE sources SET last_attempt = ?, last_status = ?, last_error = ?,"
                    " error_count = error_count + 1, next_due = ? WHERE id = ?",
                    (stamp, result.status, error, _ts(next_due), source_id),
                )
            self._db.execute(
                "INSERT INTO fetch_log (source_id, started, status, duration, new, updated,"
                " error) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    source_id,
                    stamp,
                    result.status,
                    result.duration,
                    counts.new,
                    counts.updated,
                    error,
                ),
            )
            return counts

        counts: StoreCounts = self._write(work)
        return counts

    def _touch(self, source_id: int, identities: Sequence[str], stamp: int) -> int:
        touched = 0
        for chunk in _chunks(identities):
            marks = ",".join("?" * len(chunk))
            touched += self._db.execute(
                f"UPDATE items SET last_seen = ? WHERE source_id = ? AND identity IN ({marks})",
                (stamp, source_id, *chunk),
            ).rowcount
        return touched

    def _store_items(self, source_id: int, items: Sequence[Item], stamp: int) -> StoreCounts:
        if not items:
            return StoreCounts()
        known: dict[str, tuple[int, str]] = {}
        identities = [item.identity for item in items]
        for chunk in _chunks(identities):
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(
                f"SELECT identity, id, content_hash FROM items"
                f" WHERE source_id = ? AND identity IN ({marks})",
                (source_id, *chunk),
            ):
                known[row[0]] = (row[1], row[2])
        new_rows, changed_rows, seen_ids = [], [], []
        for item in items:
            published = _ts(item.published)
            old = known.get(item.identity)
            if old is None:
                new_rows.append(
                    (
                        source_id,
                        item.identity,
                        item.guid,
                        item.link,
                        item.title,
                        item.content,
                        item.author,
                        item.cover,
                        published,
                        published if published is not None else stamp,
                        stamp,
                        stamp,
                        item.content_hash,
                        item.raw_hash or None,
                    )
                )
                known[item.identity] = (-1, item.content_hash)
            elif old[1] != item.content_hash:
                changed_rows.append(
                    (
                        item.guid,
                        item.link,
                        item.title,
                        item.content,
                        item.author,
                        item.cover,
                        published,
                        published,
                        stamp,
                        stamp,
                        item.content_hash,
                        item.raw_hash or None,
                        old[0],
                    )
                )
            else:
                seen_ids.append((stamp, item.raw_hash or None, old[0]))
        self._db.executemany(
            "INSERT INTO items (source_id, identity, guid, link, title, content, author, cover,"
            " published, date, first_seen, last_seen, content_hash, raw_hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            new_rows,
        )
        # An edit keeps the row (and its first_seen); a date that disappears keeps the old one.
        # An expanded item keeps its expanded body, cover and author (the list's edit shows
        # in title, link and date), and is expanded again at once.
        self._db.executemany(
            "UPDATE items SET guid = ?, link = ?, title = ?,"
            f" content = CASE WHEN {_EXPANDED} THEN content ELSE ? END,"
            f" author = CASE WHEN {_EXPANDED} THEN author ELSE ? END,"
            f" cover = CASE WHEN {_EXPANDED} THEN cover ELSE ? END,"
            " published = COALESCE(?, published), date = COALESCE(?, published, first_seen),"
            " last_seen = ?, updated = ?, content_hash = ?, raw_hash = ?,"
            " revision = revision + 1 WHERE id = ?",
            changed_rows,
        )
        self._db.executemany(
            "UPDATE expansions SET next_try = 0 WHERE item_id = ?",
            [(row[-1],) for row in changed_rows],
        )
        # Unchanged for readers; the raw digest may still be new (a feed reformatted its HTML).
        self._db.executemany(
            "UPDATE items SET last_seen = ?, raw_hash = COALESCE(?, raw_hash) WHERE id = ?",
            seen_ids,
        )
        return StoreCounts(new=len(new_rows), updated=len(changed_rows), unchanged=len(seen_ids))

    def iter_items(self, *, newest_first: bool = True) -> Iterator[StoredItem]:
        order = "DESC" if newest_first else "ASC"
        cursor = self._db.execute(
            f"SELECT {_ITEM_COLUMNS} FROM items i JOIN sources s ON s.id = i.source_id"
            f" ORDER BY i.date {order}, i.id {order}"
        )
        for row in cursor:
            yield _row_to_item(row)

    def count_items(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM items").fetchone()[0])
