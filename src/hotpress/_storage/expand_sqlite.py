"""Expansions (``expand:``) in the SQLite archive (mixed into SQLiteStorage).

One row per item that was ever expanded (table ``expansions``): the URL, its validators for
conditional GET, the digest of the entry stored as the body, the answer's author, and the
retry state. The body itself is the item's ``content``: an expanded item is updated in place
(revision bumped), so both outputs rewrite its one post.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hotpress._storage.conn import DB
from hotpress.types import Expansion, ExpansionState, Validators

MAX_FAILURES = 10
"""Items no longer on their list are retried (with backoff) until this many failures."""


def _dt(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


class ExpansionQueriesMixin:
    _db: DB

    if TYPE_CHECKING:  # provided by SQLiteConnection

        def _source_id(self, key: str) -> int: ...

        def _write(self, fn: Any, *args: Any) -> Any: ...

    def expansion_candidates(self, source_key: str) -> list[ExpansionState]:
        """Items on the source's current list (seen by its last successful refresh), and
        items never expanded that have failed fewer than ``MAX_FAILURES`` times."""
        rows = self._db.execute(
            "SELECT i.id, i.link, e.url, e.etag, e.last_modified, e.digest, e.expanded,"
            " COALESCE(e.failures, 0), e.next_try, i.content FROM items i"
            " JOIN sources s ON s.id = i.source_id"
            " LEFT JOIN expansions e ON e.item_id = i.id"
            " WHERE i.source_id = ? AND (i.last_seen >= s.last_success"
            " OR (e.item_id IS NOT NULL AND e.expanded IS NULL AND e.failures < ?))"
            " ORDER BY i.id",
            (self._source_id(source_key), MAX_FAILURES),
        ).fetchall()
        return [
            ExpansionState(
                item_id=r[0],
                source_key=source_key,
                link=r[1],
                url=r[2],
                validators=Validators(etag=r[3], last_modified=r[4]),
                digest=r[5],
                expanded=_dt(r[6]),
                failures=r[7],
                next_try=_dt(r[8]),
                content=r[9],
            )
            for r in rows
        ]

    def save_expansions(self, done: Sequence[Expansion], *, now: datetime) -> int:
        """Store expansion attempts in one transaction; an item whose new body differs from
        the stored one is updated in place (revision bumped). Returns the items updated."""
        stamp = int(now.timestamp())

        def work() -> int:
            updated = 0
            for x in done:
                old = self._db.execute(
                    "SELECT digest FROM expansions WHERE item_id = ?", (x.item_id,)
                ).fetchone()
                if x.error is not None:
                    self._db.execute(
                        "INSERT INTO expansions (item_id, url, failures, next_try, error)"
                        " VALUES (?, ?, 1, ?, ?) ON CONFLICT (item_id) DO UPDATE SET"
                        " url = excluded.url, failures = expansions.failures + 1,"
                        " next_try = excluded.next_try, error = excluded.error",
                        (x.item_id, x.url, int(x.next_try.timestamp()), x.error),
                    )
                    continue
                self._db.execute(
                    "INSERT INTO expansions (item_id, url, etag, last_modified, digest, author,"
                    " expanded, failures, next_try, error) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, NULL)"
                    " ON CONFLICT (item_id) DO UPDATE SET url = excluded.url,"
                    " etag = excluded.etag, last_modified = excluded.last_modified,"
                    " digest = COALESCE(excluded.digest, expansions.digest),"
                    " author = COALESCE(excluded.author, expansions.author),"
                    " expanded = excluded.expanded,"
                    " failures = 0, next_try = excluded.next_try, error = NULL",
                    (
                        x.item_id,
                        x.url,
                        x.validators.etag,
                        x.validators.last_modified,
                        x.digest,
                        x.author,
                        stamp,
                        int(x.next_try.timestamp()),
                    ),
                )
                if x.content is None or (old is not None and old[0] == x.digest):
                    continue
                updated += self._db.execute(
                    "UPDATE items SET content = ?, cover = COALESCE(?, cover),"
                    " author = COALESCE(?, author), updated = ?, revision = revision + 1"
                    " WHERE id = ?",
                    (x.content, x.cover, x.author, stamp, x.item_id),
                ).rowcount
            return updated

        if not done:
            return 0
        count: int = self._write(work)
        return count
