"""What pushes remember, for the SQLite backend (mixed into SQLiteStorage)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hotpress._storage.conn import DB
from hotpress._storage.stage_rows import Candidate

if TYPE_CHECKING:
    pass


class NotifyQueriesMixin:
    _db: DB

    if TYPE_CHECKING:  # provided by SQLiteStorage

        def _write(self, fn: Any, *args: Any) -> Any: ...

    def notify_since(self, target: str, now: datetime) -> datetime:
        row = self._db.execute(
            "SELECT since FROM notify_targets WHERE target = ?", (target,)
        ).fetchone()
        if row is not None:
            return datetime.fromtimestamp(row[0], UTC)

        def work() -> None:
            self._db.execute(
                "INSERT OR IGNORE INTO notify_targets (target, since) VALUES (?, ?)",
                (target, int(now.timestamp())),
            )

        self._write(work)
        return datetime.fromtimestamp(int(now.timestamp()), UTC)

    def notify_candidates(self, target: str, since: datetime, max_attempts: int) -> list[Candidate]:
        # New items past the target's mark (a range on the primary key, however old the
        # archive), then the failed ones still to retry.
        done = self._db.execute(
            "SELECT done_id FROM notify_targets WHERE target = ?", (target,)
        ).fetchone()
        rows = self._db.execute(
            "SELECT id, key, title, link, category FROM ("
            " SELECT i.id, s.key, i.title, i.link, s.category FROM items i"
            " JOIN sources s ON s.id = i.source_id"
            " WHERE i.id > ? AND i.first_seen >= ? AND i.filtered = 0"
            " AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.target = ?"
            " AND n.item_id = i.id)"
            " UNION"
            " SELECT i.id, s.key, i.title, i.link, s.category FROM notifications n"
            " JOIN items i ON i.id = n.item_id JOIN sources s ON s.id = i.source_id"
            " WHERE n.target = ? AND n.state = 'failed' AND n.attempts < ? AND i.filtered = 0"
            ") due ORDER BY id LIMIT 2000",
            (0 if done is None else done[0], int(since.timestamp()), target, target, max_attempts),
        )
        return [Candidate(r[0], r[1], r[2], r[3], json.loads(r[4])[-1]) for r in rows]

    def record_notified(
        self, target: str, item_ids: Sequence[int], state: str, now: datetime, error: str | None
    ) -> None:
        if not item_ids:
            return
        stamp = int(now.timestamp())

        def work() -> None:
            self._db.execute(
                "UPDATE notify_targets SET done_id = ? WHERE target = ? AND done_id < ?",
                (max(item_ids), target, max(item_ids)),
            )
            self._db.executemany(
                "INSERT INTO notifications (target, item_id, state, attempts, last_attempt,"
                " error) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (target, item_id) DO UPDATE SET"
                " state = excluded.state, attempts = notifications.attempts + excluded.attempts,"
                " last_attempt = excluded.last_attempt, error = excluded.error",
                [(target, i, state, int(state != "skipped"), stamp, error) for i in item_ids],
            )

        self._write(work)
