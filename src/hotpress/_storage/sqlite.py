"""The embedded archive: one SQLite file in WAL mode."""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from hotpress._storage.base import FetchLogEntry, Pending, Publication, RetentionCandidate
from hotpress._storage.expand_sqlite import ExpansionQueriesMixin
from hotpress._storage.filter_sqlite import FilterQueriesMixin
from hotpress._storage.guard import check_archive
from hotpress._storage.hot_sqlite import HotQueriesMixin
from hotpress._storage.media_sqlite import MediaQueriesMixin
from hotpress._storage.migrations import MIGRATIONS
from hotpress._storage.notify_sqlite import NotifyQueriesMixin
from hotpress._storage.site_sqlite import SiteQueriesMixin
from hotpress._storage.story_sqlite import StoryQueriesMixin
from hotpress.exceptions import StorageError
from hotpress.types import (
    FetchResult,
    Item,
    SourceSpec,
    SourceState,
    StoreCounts,
    StoredItem,
    Validators,
)

T = TypeVar("T")

# Body and cover as published: the local copies' (images: local) or the proxied ones when
# the media pass handled this revision of the item, else as stored.
_ITEM_COLUMNS = """
    i.id, s.key, i.identity, i.title,
    CASE WHEN i.media_revision = i.revision THEN COALESCE(i.local_content, i.content)
    ELSE i.content END, i.link, i.guid, i.date, i.published, i.author,
    CASE WHEN i.media_revision = i.revision THEN COALESCE(i.local_cover, i.cover)
    ELSE i.cover END, i.first_seen, i.last_seen, i.updated, i.revision, s.category, s.author
"""

# The item has a body from its expansion (``expand:``), which a list edit must not replace.
_EXPANDED = (
    "EXISTS (SELECT 1 FROM expansions e WHERE e.item_id = items.id AND e.expanded IS NOT NULL)"
)
_EXPANSION_COUNTS = ", ".join(
    "(SELECT COUNT(*) FROM expansions e JOIN items i ON i.id = e.item_id"
    f" WHERE i.source_id = s.id AND {condition})"
    for condition in ("e.expanded IS NOT NULL", "e.expanded IS NULL", "e.failures > 0")
)


def _chunks(values: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """Slices small enough for one ``IN (?, ?, …)`` (SQLite caps bound parameters)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _ts(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def _dt(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _row_to_item(row: sqlite3.Row | tuple[Any, ...]) -> StoredItem:
    return StoredItem(
        id=row[0],
        source_key=row[1],
        identity=row[2],
        title=row[3],
        content=row[4],
        link=row[5],
        guid=row[6],
        date=datetime.fromtimestamp(row[7], UTC),
        date_is_fallback=row[8] is None,
        author=row[9],
        cover=row[10],
        first_seen=datetime.fromtimestamp(row[11], UTC),
        last_seen=datetime.fromtimestamp(row[12], UTC),
        updated=_dt(row[13]),
        revision=row[14],
        category=tuple(json.loads(row[15])),
        source_author=row[16],
    )


class SQLiteStorage(
    SiteQueriesMixin,
    ExpansionQueriesMixin,
    MediaQueriesMixin,
    HotQueriesMixin,
    FilterQueriesMixin,
    NotifyQueriesMixin,
    StoryQueriesMixin,
):
    """Archive in one SQLite file. Not for concurrent use: one thread at a time."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # One thread at a time, but not always the same one: refresh() stores from a worker.
            self._db = sqlite3.connect(
                str(path), isolation_level=None, timeout=30, check_same_thread=False
            )
            try:
                # Before anything writes to it (WAL mode is written into the file).
                check_archive(self._db, self.path)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute("PRAGMA foreign_keys=ON")
                self._migrate()
            except BaseException:
                self._db.close()
                raise
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"cannot open archive {self.path}: {exc}") from exc
        except OSError as exc:
            raise StorageError(
                f"cannot open archive {self.path}: cannot create or use its folder: {exc}"
            ) from exc
        self._ids: dict[str, int] = {}

    # --- plumbing -----------------------------------------------------------------------

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StorageError(
                f"archive {self.path} has schema {version}, newer than this hotpress "
                f"({len(MIGRATIONS)}): upgrade hotpress"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in script.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self._db.close()

    def opener(self) -> Callable[[], SQLiteStorage] | None:
        """A picklable way for another process to open this archive (None: in memory)."""
        if str(self.path) == ":memory:":
            return None
        return functools.partial(SQLiteStorage, self.path.resolve())

    def __enter__(self) -> SQLiteStorage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _source_id(self, key: str) -> int:
        if key not in self._ids:
            row = self._db.execute("SELECT id FROM sources WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise StorageError(f"unknown source {key!r}: sync_sources() first")
            self._ids[key] = row[0]
        return self._ids[key]

    def _write(self, fn: Any, *args: Any) -> Any:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(*args)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return result
        except sqlite3.Error as exc:
            raise StorageError(f"archive {self.path}: {exc}") from exc

    # --- sources ------------------------------------------------------------------------

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
        row = self._db.execute(
            "SELECT etag, last_modified FROM sources WHERE key = ?", (source_key,)
        ).fetchone()
        return Validators() if row is None else Validators(etag=row[0], last_modified=row[1])

    def error_count(self, source_key: str) -> int:
        row = self._db.execute(
            "SELECT error_count FROM sources WHERE key = ?", (source_key,)
        ).fetchone()
        return 0 if row is None else int(row[0])

    def body_digest(self, source_key: str) -> str | None:
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
    ) -> StoreCounts:
        source_id = self._source_id(source_key)
        stamp = int(now.timestamp())

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
            "SELECT key FROM sources WHERE next_due IS NULL OR next_due <= ? ORDER BY next_due",
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

    def pending(
        self, output: str, *, force: bool = False, shard: tuple[int, int] | None = None
    ) -> Iterator[Pending]:
        # Keyset pages, so publications recorded while iterating cannot skew the scan and
        # memory stays bounded however large the archive is.
        condition = (
            ""
            if force
            else " AND (p.item_id IS NULL OR p.revision != i.revision"
            " OR p.source_revision != s.revision)"
        )
        part: tuple[int, ...] = ()
        if shard is not None:
            condition += " AND i.source_id % ? = ?"
            part = (shard[1], shard[0])
        last = 0
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

    def source_revision(self, source_key: str) -> int:
        row = self._db.execute(
            "SELECT revision FROM sources WHERE key = ?", (source_key,)
        ).fetchone()
        if row is None:
            raise StorageError(f"unknown source {source_key!r}")
        return int(row[0])

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
        rows = self._db.execute(
            "SELECT id, path, last_seen FROM ("
            " SELECT i.id, p.path, i.last_seen, i.date,"
            " ROW_NUMBER() OVER (ORDER BY i.date DESC, i.id DESC) AS rank"
            " FROM items i LEFT JOIN publications p ON p.item_id = i.id AND p.output = ?"
            " WHERE i.source_id = ?)"
            " WHERE (? IS NOT NULL AND date < ?) OR (? IS NOT NULL AND rank > ?)"
            " ORDER BY id",
            (
                output,
                self._source_id(source_key),
                _ts(older_than),
                _ts(older_than),
                keep_newest,
                keep_newest,
            ),
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

    def integrity_ok(self) -> bool:
        return bool(self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
