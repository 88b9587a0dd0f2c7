"""Storing fetched items in the SQLite backend (mixed into SQLiteStorage)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from hotpress._storage.conn import ArchiveConnection
from hotpress._storage.sqlite_rows import _EXPANDED, _ITEM_COLUMNS, _chunks, _row_to_item, _ts
from hotpress.exceptions import LeaseLostError
from hotpress.types import FetchResult, Item, StoreCounts, StoredItem

_UPSERT_ROWS = 200  # x 14 values: well inside both engines' caps on bound parameters
_ROW_MARKS = "(" + ", ".join("?" * 14) + ")"
# An edit keeps the row (and its first_seen); a date that disappears keeps the old one. An
# expanded item keeps its expanded body, cover and author (the list's edit shows in title,
# link and date). ``WHERE``: an unchanged item is not written (nor returned) at all.
_UPSERT = (
    "INSERT INTO items (source_id, identity, guid, link, title, content, author, cover,"
    " published, date, first_seen, last_seen, content_hash, raw_hash) VALUES {values}"
    " ON CONFLICT (source_id, identity) DO UPDATE SET"
    " guid = excluded.guid, link = excluded.link, title = excluded.title,"
    f" content = CASE WHEN {_EXPANDED} THEN items.content ELSE excluded.content END,"
    f" author = CASE WHEN {_EXPANDED} THEN items.author ELSE excluded.author END,"
    f" cover = CASE WHEN {_EXPANDED} THEN items.cover ELSE excluded.cover END,"
    " published = COALESCE(excluded.published, items.published),"
    " date = COALESCE(excluded.published, items.published, items.first_seen),"
    " last_seen = excluded.last_seen, updated = excluded.last_seen,"
    " content_hash = excluded.content_hash, raw_hash = excluded.raw_hash,"
    " revision = items.revision + 1"
    " WHERE items.content_hash <> excluded.content_hash"
    " RETURNING id, identity, revision"
)


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

        # A leased refresh ends its lease in the source's own UPDATE: the row matches only
        # while the lease is this refresh's. A late duplicate (its lease claimed again, or
        # stored by another worker) matches none, and raising rolls back the whole
        # transaction: it writes nothing. (One statement and one row version per source
        # fewer than a separate UPDATE first; two duplicates at once meet at the items'
        # unique index or the source row, and the second one rolls back.)
        ending, owned = (
            (", lease_token = NULL, lease_until = NULL", " AND lease_token = ?")
            if lease is not None
            else ("", "")
        )
        still = (lease,) if lease is not None else ()

        def work() -> StoreCounts:
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
                updated = self._db.execute(
                    "UPDATE sources SET etag = ?, last_modified = ?, last_attempt = ?,"
                    " last_success = ?, last_status = ?, last_error = NULL, error_count = 0,"
                    f" next_due = ?, body_digest = COALESCE(?, body_digest){ending}"
                    f" WHERE id = ?{owned}",
                    (
                        result.validators.etag,
                        result.validators.last_modified,
                        stamp,
                        stamp,
                        result.status,
                        _ts(next_due),
                        body_digest,
                        source_id,
                        *still,
                    ),
                ).rowcount
            else:
                updated = self._db.execute(
                    "UPDATE sources SET last_attempt = ?, last_status = ?, last_error = ?,"
                    f" error_count = error_count + 1, next_due = ?{ending} WHERE id = ?{owned}",
                    (stamp, result.status, error, _ts(next_due), source_id, *still),
                ).rowcount
            if lease is not None and not updated:
                raise LeaseLostError(
                    f"{source_key}: the lease of this refresh is gone (claimed again, or"
                    " already stored): its result is dropped"
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
        """One upsert statement per chunk of items: new identities inserted, edited ones
        (another content hash) updated in place, the rest left to the ``last_seen`` update.
        Rows come back only for what the statement wrote; a new row has revision 1."""
        rows, firsts = [], {}
        for item in items:
            if item.identity in firsts:
                continue  # the first entry of an identity speaks for it
            firsts[item.identity] = item
            published = _ts(item.published)
            rows.append(
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
        new = 0
        written: set[str] = set()
        edited: list[tuple[int]] = []
        for chunk in _chunks(rows, _UPSERT_ROWS):
            values = ", ".join([_ROW_MARKS] * len(chunk))
            params = [value for row in chunk for value in row]
            for item_id, identity, revision in self._db.execute(
                _UPSERT.format(values=values), params
            ).fetchall():
                written.add(identity)
                if revision == 1:
                    new += 1
                else:
                    edited.append((item_id,))
        # An edited item that was expanded is expanded again at once.
        self._db.executemany("UPDATE expansions SET next_try = 0 WHERE item_id = ?", edited)
        # Unchanged for readers; the raw digest may still be new (a feed reformatted its HTML).
        seen = [
            (stamp, item.raw_hash or None, source_id, identity)
            for identity, item in firsts.items()
            if identity not in written
        ]
        self._db.executemany(
            "UPDATE items SET last_seen = ?, raw_hash = COALESCE(?, raw_hash)"
            " WHERE source_id = ? AND identity = ?",
            seen,
        )
        return StoreCounts(
            new=new, updated=len(edited), unchanged=len(seen) + len(items) - len(rows)
        )

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
