"""Stories across hot lists for the SQLite backend (mixed into SQLiteStorage)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hotpress._storage.conn import DB
from hotpress._storage.stage_rows import Peer, Titled

_CHUNK = 500


class StoryQueriesMixin:
    _db: DB

    if TYPE_CHECKING:  # provided by SQLiteStorage

        def _write(self, fn: Any, *args: Any) -> Any: ...

    def story_unassigned(self, source_key: str) -> list[Titled]:
        rows = self._db.execute(
            "SELECT i.id, i.title FROM hot_lists h JOIN sources s ON s.id = h.source_id"
            " JOIN hot_runs r ON r.source_id = h.source_id AND r.last = h.last"
            " JOIN items i ON i.id = r.item_id"
            " LEFT JOIN story_items st ON st.item_id = i.id"
            " WHERE s.key = ? AND st.item_id IS NULL ORDER BY r.rank",
            (source_key,),
        )
        return [Titled(r[0], r[1]) for r in rows]

    def story_pool(self, source_key: str, since: datetime) -> list[Titled]:
        rows = self._db.execute(
            "SELECT i.id, i.title, st.story FROM story_items st JOIN items i ON i.id = st.item_id"
            # source_id IN (…) AND last >= ?: a range on the (source_id, last) index per list,
            # not a scan of every run ever recorded.
            " WHERE st.item_id IN (SELECT r.item_id FROM hot_runs r WHERE r.source_id IN ("
            "  SELECT h.source_id FROM hot_lists h JOIN sources s ON s.id = h.source_id"
            "  WHERE s.key != ?) AND r.last >= ?) ORDER BY i.id",
            (source_key, int(since.timestamp())),
        )
        return [Titled(r[0], r[1], r[2]) for r in rows]

    def story_assign(self, assigned: Sequence[tuple[int, int, float]]) -> None:
        def work() -> None:
            self._db.executemany(
                "INSERT OR IGNORE INTO story_items (item_id, story, score) VALUES (?, ?, ?)",
                assigned,
            )

        if assigned:
            self._write(work)

    def story_of(self, item_ids: Sequence[int]) -> dict[int, int]:
        ids = list(item_ids)
        found: dict[int, int] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            found.update(
                self._db.execute(
                    f"SELECT item_id, story FROM story_items WHERE item_id IN ({marks})",
                    tuple(chunk),
                ).fetchall()
            )
        return found

    def story_peers(self, item_ids: Sequence[int]) -> dict[int, list[Peer]]:
        ids = list(item_ids)
        out: dict[int, list[Peer]] = {i: [] for i in ids}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                "SELECT me.item_id, o.item_id, s.key, s.category,"
                " (SELECT r.rank FROM hot_runs r JOIN hot_lists h ON h.source_id = r.source_id"
                "  WHERE r.item_id = o.item_id AND r.last = h.last),"
                " (SELECT MIN(rank) FROM hot_runs WHERE item_id = o.item_id)"
                " FROM story_items me JOIN story_items o ON o.story = me.story"
                " AND o.item_id != me.item_id JOIN items oi ON oi.id = o.item_id"
                " JOIN sources s ON s.id = oi.source_id"
                f" WHERE me.item_id IN ({marks})"
                " AND s.id != (SELECT source_id FROM items WHERE id = me.item_id)",
                tuple(chunk),
            )
            for mine, other, key, category, rank, peak in rows:
                if peak is None:
                    continue
                out[mine].append(Peer(other, key, json.loads(category)[-1], rank, peak))
        for peers in out.values():
            peers.sort(key=lambda p: (p.rank is None, p.rank or p.peak, p.list_name))
        return out
