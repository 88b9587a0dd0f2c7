"""Filter flags for the SQLite backend (mixed into SQLiteStorage): ``items.filtered``.

A flag that changes bumps the item's revision, so the site's fingerprint moves and an item
let through later is published like a new one (filtered items are never pending).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hotpress._storage.conn import DB

_CHUNK = 500


class FilterQueriesMixin:
    _db: DB

    if TYPE_CHECKING:  # provided by SQLiteStorage

        def _source_id(self, key: str) -> int: ...

        def _write(self, fn: Any, *args: Any) -> Any: ...

        def _read_ahead(self, key: str, column: str) -> Any: ...

    def mark_filtered(self, source_key: str, held: Mapping[str, bool]) -> int:
        source_id = self._source_id(source_key)

        def work() -> int:
            changed = 0
            for flag in (0, 1):
                ids = [identity for identity, h in held.items() if int(h) == flag]
                for start in range(0, len(ids), _CHUNK):
                    chunk = ids[start : start + _CHUNK]
                    marks = ",".join("?" * len(chunk))
                    changed += self._db.execute(
                        "UPDATE items SET filtered = ?, revision = revision + 1"
                        f" WHERE source_id = ? AND filtered != ? AND identity IN ({marks})",
                        (flag, source_id, flag, *chunk),
                    ).rowcount
            return changed

        count: int = self._write(work)
        return count

    def clear_filtered(self, source_key: str) -> int:
        source_id = self._source_id(source_key)

        def work() -> int:
            return int(
                self._db.execute(
                    "UPDATE items SET filtered = 0, revision = revision + 1"
                    " WHERE source_id = ? AND filtered = 1",
                    (source_id,),
                ).rowcount
            )

        # Read first: most sources never had a filtered item, and a write locks the archive.
        # (A worker's lease read it ahead: the refresh itself flags nothing.)
        if self._read_ahead(source_key, "filtered") is False:
            return 0
        if self._db.execute(
            "SELECT 1 FROM items WHERE source_id = ? AND filtered = 1 LIMIT 1", (source_id,)
        ).fetchone():
            count: int = self._write(work)
            return count
        return 0

    def seen_titles(self, source_key: str, at: datetime) -> list[tuple[str, str]]:
        return [
            (r[0], r[1])
            for r in self._db.execute(
                "SELECT identity, title FROM items WHERE source_id = ? AND last_seen = ?"
                " ORDER BY id",
                (self._source_id(source_key), int(at.timestamp())),
            )
        ]
