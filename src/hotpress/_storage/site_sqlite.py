"""Read queries the static site needs, for the SQLite backend (mixed into SQLiteStorage).

Implements ``hotpress._storage.site_rows.SiteStore``. The build state (what each site page was
rendered from) lives in ``site_pages`` (migration 2).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping

from hotpress._storage.conn import DB
from hotpress._storage.site_rows import (
    Fingerprint,
    ItemMark,
    Neighbor,
    OrderRow,
    SitemapRow,
    SiteSource,
)
from hotpress._storage.sqlite_rows import _ITEM_COLUMNS, _row_to_item
from hotpress.types import StoredItem

_CHUNK = 500

# The nearest item of the same source by (date, id): first a tie on the date, else the nearest
# other date; each an index seek on (source_id, date, id), and COALESCE stops at the first
# found. One row-value bound ``(date, id) < (?, ?)`` is not a seek in SQLite (it bounds the
# date only, then scans and sorts every item of that date): a build of many items sharing one
# date was quadratic.
_NEIGHBOR = """
    SELECT i.id, i.title, p.path, i.identity,
        CASE WHEN p.revision = i.revision AND p.source_revision = s.revision THEN 1 ELSE 0 END
    FROM items i JOIN sources s ON s.id = i.source_id
    LEFT JOIN publications p ON p.item_id = i.id AND p.output = :output
    WHERE i.id = COALESCE(
        (SELECT id FROM items WHERE source_id = (SELECT source_id FROM items WHERE id = :id)
            AND filtered = 0 AND date = :date AND id {op} :id ORDER BY id {order} LIMIT 1),
        (SELECT id FROM items WHERE source_id = (SELECT source_id FROM items WHERE id = :id)
            AND filtered = 0 AND date {op} :date ORDER BY date {order}, id {order} LIMIT 1))
"""


class SiteQueriesMixin:
    _db: DB

    def site_sources(self) -> list[SiteSource]:
        rows = self._db.execute(
            "SELECT id, key, category, author, revision FROM sources ORDER BY id"
        )
        return [SiteSource(r[0], r[1], tuple(json.loads(r[2])), r[3], r[4]) for r in rows]

    def site_fingerprint(self) -> Fingerprint:
        items = self._db.execute(
            "SELECT COUNT(*), COALESCE(MAX(id), 0), CAST(COALESCE(SUM(revision), 0) AS BIGINT)"
            " FROM items"
        ).fetchone()
        sources = self._db.execute(
            "SELECT CAST(COALESCE(SUM(revision), 0) AS BIGINT) FROM sources"
        ).fetchone()
        return Fingerprint(items[0], items[1], items[2], sources[0])

    def site_order(self) -> Iterator[OrderRow]:
        cursor = self._db.execute(
            "SELECT id, date, revision, source_id FROM items WHERE filtered = 0 ORDER BY date, id"
        )
        while rows := cursor.fetchmany(2000):
            for r in rows:
                yield OrderRow(r[0], r[1], r[2], r[3])

    def site_marks(self, after: int, *, only: int | None = None) -> list[ItemMark]:
        where, args = ("id = ?", (only,)) if only is not None else ("id > ?", (after,))
        rows = self._db.execute(
            "SELECT id, identity, date, revision, source_id, filtered FROM items"
            f" WHERE {where} ORDER BY id",
            args,
        )
        return [ItemMark(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows]

    def site_newest(
        self,
        limit: int,
        *,
        sources: Iterable[int] | None = None,
        since: int | None = None,
        until: int | None = None,
    ) -> list[OrderRow]:
        where, args = ["filtered = 0"], list[int]()
        if sources is not None:
            wanted = sorted(set(sources))
            if not wanted:
                return []
            where.append(f"source_id IN ({','.join('?' * len(wanted))})")
            args.extend(wanted)
        if since is not None:
            where.append("date >= ?")
            args.append(since)
        if until is not None:
            where.append("date < ?")
            args.append(until)
        rows = self._db.execute(
            "SELECT id, date, revision, source_id FROM items"
            f" WHERE {' AND '.join(where)} ORDER BY date DESC, id DESC LIMIT ?",
            (*args, limit),
        )
        return [OrderRow(r[0], r[1], r[2], r[3]) for r in rows]

    def site_segment(self, low: int, high: int) -> list[OrderRow]:
        rows = self._db.execute(
            "SELECT id, date, revision, source_id FROM items"
            " WHERE id >= ? AND id < ? AND filtered = 0 ORDER BY date, id",
            (low, high),
        )
        return [OrderRow(r[0], r[1], r[2], r[3]) for r in rows]

    def site_items(
        self, ids: Iterable[int], output: str
    ) -> dict[int, tuple[StoredItem, str | None]]:
        wanted = list(ids)
        found: dict[int, tuple[StoredItem, str | None]] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(
                f"SELECT {_ITEM_COLUMNS}, p.path FROM items i"
                " JOIN sources s ON s.id = i.source_id"
                " LEFT JOIN publications p ON p.item_id = i.id AND p.output = ?"
                f" WHERE i.id IN ({marks})",
                (output, *chunk),
            ):
                found[row[0]] = (_row_to_item(row), row[17])
        return found

    def site_neighbors(
        self, item: StoredItem, output: str
    ) -> tuple[Neighbor | None, Neighbor | None]:
        args = {"output": output, "id": item.id, "date": int(item.date.timestamp())}
        older = self._db.execute(_NEIGHBOR.format(op="<", order="DESC"), args).fetchone()
        newer = self._db.execute(_NEIGHBOR.format(op=">", order="ASC"), args).fetchone()
        return _neighbor(older), _neighbor(newer)

    def site_sitemap(
        self, output: str, low: int | None = None, high: int | None = None
    ) -> Iterator[SitemapRow]:
        bounds, args = "", tuple[int, ...]()
        if low is not None and high is not None:
            bounds, args = " AND i.id >= ? AND i.id < ?", (low, high)
        cursor = self._db.execute(
            "SELECT i.id, i.identity, p.path, COALESCE(i.updated, i.date) FROM items i"
            " LEFT JOIN publications p ON p.item_id = i.id AND p.output = ?"
            f" WHERE i.filtered = 0{bounds} ORDER BY i.id",
            (output, *args),
        )
        while rows := cursor.fetchmany(2000):
            for r in rows:
                yield SitemapRow(r[0], r[1], r[2], r[3])

    def site_category_dirs(self) -> dict[tuple[str, ...], str]:
        rows = self._db.execute("SELECT path, dir FROM site_categories")
        return {tuple(json.loads(path)): folder for path, folder in rows}

    def save_category_dirs(self, dirs: Mapping[tuple[str, ...], str]) -> None:
        if not dirs:
            return
        rows = [(json.dumps(list(p), ensure_ascii=False), d) for p, d in dirs.items()]
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(
                "INSERT INTO site_categories (path, dir) VALUES (?, ?) ON CONFLICT DO NOTHING", rows
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def site_state(self, *, marks: bool = False) -> dict[str, str]:
        if marks:  # '@' is 0x40 and 'A' 0x41: a range of the primary key, in byte order
            return dict(
                self._db.execute(
                    "SELECT path, digest FROM site_pages WHERE path >= '@' AND path < 'A'"
                )
            )
        return dict(self._db.execute("SELECT path, digest FROM site_pages"))

    def site_state_of(self, paths: Iterable[str]) -> dict[str, str]:
        wanted = list(paths)
        found: dict[str, str] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT path, digest FROM site_pages WHERE path IN ({marks})", chunk
            )
            found.update(rows)
        return found

    def site_state_size(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM site_pages").fetchone()[0])

    def save_site_state(self, changes: Mapping[str, str]) -> None:
        if not changes:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(
                "INSERT INTO site_pages (path, digest) VALUES (?, ?)"
                " ON CONFLICT (path) DO UPDATE SET digest = excluded.digest",
                list(changes.items()),
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def _neighbor(row: tuple[int, str, str | None, str, int] | None) -> Neighbor | None:
    return None if row is None else Neighbor(row[0], row[1], row[2], row[3], bool(row[4]))
