"""Read queries the static site needs, for the SQLite backend (mixed into SQLiteStorage).

Implements ``hotpress._site.store.SiteStore``. The build state (what each site page was
rendered from) lives in ``site_pages`` (migration 2).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping

from hotpress._site.store import Fingerprint, Neighbor, OrderRow, SitemapRow, SiteSource
from hotpress.types import StoredItem

_CHUNK = 500


class SiteQueriesMixin:
    _db: sqlite3.Connection

    def site_sources(self) -> list[SiteSource]:
        rows = self._db.execute("SELECT id, key, category, author, revision FROM sources")
        return [SiteSource(r[0], r[1], tuple(json.loads(r[2])), r[3], r[4]) for r in rows]

    def site_fingerprint(self) -> Fingerprint:
        items = self._db.execute(
            "SELECT COUNT(*), COALESCE(MAX(id), 0), COALESCE(SUM(revision), 0) FROM items"
        ).fetchone()
        sources = self._db.execute("SELECT COALESCE(SUM(revision), 0) FROM sources").fetchone()
        return Fingerprint(items[0], items[1], items[2], sources[0])

    def site_order(self) -> Iterator[OrderRow]:
        cursor = self._db.execute(
            "SELECT id, date, revision, source_id FROM items ORDER BY date, id"
        )
        while rows := cursor.fetchmany(2000):
            for r in rows:
                yield OrderRow(r[0], r[1], r[2], r[3])

    def site_items(
        self, ids: Iterable[int], output: str
    ) -> dict[int, tuple[StoredItem, str | None]]:
        from hotpress._storage.sqlite import _ITEM_COLUMNS, _row_to_item

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
        stamp = int(item.date.timestamp())
        row = self._db.execute("SELECT source_id FROM items WHERE id = ?", (item.id,)).fetchone()
        if row is None:
            return None, None
        source = row[0]
        # Two seeks on (source_id, date, id) per side: a tie on the date first, then the
        # nearest other date. One row-value bound ``(date, id) < (?, ?)`` is not a seek in
        # SQLite (it bounds the date only and scans every item of that date), which made a
        # build of items sharing one date quadratic.
        older = self._neighbor_id(source, stamp, item.id, "<", "DESC")
        newer = self._neighbor_id(source, stamp, item.id, ">", "ASC")
        found: dict[int, Neighbor | None] = {i: None for i in (older, newer) if i is not None}
        if found:
            marks = ",".join("?" * len(found))
            for r in self._db.execute(
                "SELECT i.id, i.title, p.path, i.identity,"
                " COALESCE(p.revision = i.revision AND p.source_revision = s.revision, 0)"
                " FROM items i JOIN sources s ON s.id = i.source_id"
                " LEFT JOIN publications p ON p.item_id = i.id AND p.output = ?"
                f" WHERE i.id IN ({marks})",
                (output, *found),
            ):
                found[r[0]] = _neighbor(r)
        return (
            None if older is None else found[older],
            None if newer is None else found[newer],
        )

    def _neighbor_id(
        self, source: int, stamp: int, item_id: int, op: str, order: str
    ) -> int | None:
        tie = self._db.execute(
            f"SELECT id FROM items WHERE source_id = ? AND date = ? AND id {op} ?"
            f" ORDER BY id {order} LIMIT 1",
            (source, stamp, item_id),
        ).fetchone()
        if tie is None:
            tie = self._db.execute(
                f"SELECT id FROM items WHERE source_id = ? AND date {op} ?"
                f" ORDER BY date {order}, id {order} LIMIT 1",
                (source, stamp),
            ).fetchone()
        return None if tie is None else int(tie[0])

    def site_sitemap(self, output: str) -> Iterator[SitemapRow]:
        cursor = self._db.execute(
            "SELECT i.id, i.identity, p.path, COALESCE(i.updated, i.date) FROM items i"
            " LEFT JOIN publications p ON p.item_id = i.id AND p.output = ? ORDER BY i.id",
            (output,),
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

    def site_state(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT path, digest FROM site_pages"))

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
