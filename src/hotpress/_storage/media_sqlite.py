"""Images kept locally (``images: local``) in the SQLite archive (mixed into SQLiteStorage).

``media``: one row per image URL (hash, type, size, pixel size, thumbnail, retry state).
``item_media``: which items name which URLs (what ``prune --purge`` keeps). Each item holds
its body and cover as published (``local_content``, ``local_cover``) for the revision the
media pass handled (``media_revision``); a newer revision shows the stored body until the
pass has run again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hotpress._storage.conn import DB
from hotpress.types import ItemMedia, MediaRecord, MediaWork

MAX_IMAGE_FAILURES = 8
"""An image that failed this many times in a row is not tried again (its item keeps the
remote URL); ``prune --purge`` forgets it once no item names it."""

_CHUNK = 500


def _dt(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


class MediaQueriesMixin:
    _db: DB

    if TYPE_CHECKING:  # provided by SQLiteConnection

        def _write(self, fn: Any, *args: Any) -> Any: ...

    def media_mode(self, mode: str) -> bool:
        """Remember how bodies point at images (``local``, ``proxy:<template>``, ``remote``);
        when it changed, every item is handled again (and what was published for the old
        mode is due for rewriting). Returns whether it changed."""

        def work() -> bool:
            row = self._db.execute(
                "SELECT value FROM settings_state WHERE key = 'media_mode'"
            ).fetchone()
            if (row[0] if row else "remote") == mode:
                return False
            self._db.execute(
                "UPDATE items SET revision = revision + 1 WHERE media_revision = revision"
                " AND (local_content IS NOT NULL OR local_cover IS NOT NULL)"
            )
            self._db.execute(
                "UPDATE items SET media_revision = NULL, local_content = NULL, local_cover = NULL"
                " WHERE media_revision IS NOT NULL"
            )
            self._db.execute(
                "INSERT INTO settings_state (key, value) VALUES ('media_mode', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (mode,),
            )
            return True

        changed: bool = self._write(work)
        return changed

    def media_work(self, now: datetime, *, limit: int = 5000) -> list[MediaWork]:
        """Items whose images are to be handled: a revision the pass has not seen, or an
        image that failed and is due again."""
        rows = self._db.execute(
            "SELECT i.id, s.key, i.revision, i.content, i.cover FROM items i"
            " JOIN sources s ON s.id = i.source_id"
            " WHERE i.media_revision IS NOT i.revision OR i.id IN ("
            "  SELECT im.item_id FROM item_media im JOIN media m ON m.url = im.url"
            "  WHERE m.hash IS NULL AND m.failures < ? AND m.next_try <= ?)"
            " ORDER BY i.id LIMIT ?",
            (MAX_IMAGE_FAILURES, int(now.timestamp()), limit),
        ).fetchall()
        return [MediaWork(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def media_records(self, urls: Iterable[str]) -> dict[str, MediaRecord]:
        wanted = list(dict.fromkeys(urls))
        found: dict[str, MediaRecord] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for r in self._db.execute(
                "SELECT url, hash, type, size, width, height, thumb, failures, next_try, error"
                f" FROM media WHERE url IN ({marks})",
                chunk,
            ):
                found[r[0]] = MediaRecord(
                    url=r[0],
                    hash=r[1],
                    type=r[2],
                    size=r[3],
                    width=r[4],
                    height=r[5],
                    thumb=r[6],
                    failures=r[7],
                    next_try=_dt(r[8]),
                    error=r[9],
                )
        return found

    def save_media(
        self, records: Sequence[MediaRecord], items: Sequence[ItemMedia], *, now: datetime
    ) -> int:
        """Store downloaded (or failed) images and the items handled, in one transaction.
        An item whose published body or cover changes gets a new revision (both outputs
        rewrite its post). Returns the items updated."""
        stamp = int(now.timestamp())

        def work() -> int:
            self._db.executemany(
                "INSERT INTO media (url, hash, type, size, width, height, thumb, fetched,"
                " failures, next_try, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (url) DO UPDATE SET hash = excluded.hash, type = excluded.type,"
                " size = excluded.size, width = excluded.width, height = excluded.height,"
                " thumb = COALESCE(excluded.thumb, media.thumb), fetched = excluded.fetched,"
                " failures = excluded.failures, next_try = excluded.next_try,"
                " error = excluded.error",
                [
                    (
                        r.url,
                        r.hash,
                        r.type,
                        r.size,
                        r.width,
                        r.height,
                        r.thumb,
                        stamp if r.hash else None,
                        r.failures,
                        int(r.next_try.timestamp()) if r.next_try else 0,
                        r.error,
                    )
                    for r in records
                ],
            )
            updated = 0
            for item in items:
                self._db.execute("DELETE FROM item_media WHERE item_id = ?", (item.item_id,))
                self._db.executemany(
                    "INSERT OR IGNORE INTO item_media (item_id, url) VALUES (?, ?)",
                    [(item.item_id, url) for url in item.urls],
                )
                row = self._db.execute(
                    "SELECT revision, media_revision, local_content, local_cover FROM items"
                    " WHERE id = ?",
                    (item.item_id,),
                ).fetchone()
                if row is None or row[0] != item.revision:
                    continue  # changed meanwhile: handled again next time
                shown = (row[2], row[3]) if row[1] == row[0] else (None, None)
                bump = shown != (item.local_content, item.local_cover)
                updated += bump
                self._db.execute(
                    "UPDATE items SET local_content = ?, local_cover = ?,"
                    " revision = revision + ?, media_revision = revision + ?,"
                    " updated = CASE WHEN ? = 1 THEN ? ELSE updated END WHERE id = ?",
                    (
                        item.local_content,
                        item.local_cover,
                        int(bump),
                        int(bump),
                        int(bump),
                        stamp,
                        item.item_id,
                    ),
                )
            return updated

        if not records and not items:
            return 0
        count: int = self._write(work)
        return count

    def purge_media(self) -> list[str]:
        """Forget images no item names any more; returns the content hashes (and thumbnail
        paths) no remaining image uses, whose files may be deleted."""

        def work() -> list[str]:
            gone = self._db.execute(
                "SELECT DISTINCT hash, thumb FROM media WHERE hash IS NOT NULL"
                " AND url NOT IN (SELECT url FROM item_media)"
            ).fetchall()
            self._db.execute("DELETE FROM media WHERE url NOT IN (SELECT url FROM item_media)")
            still = {
                r[0]
                for r in self._db.execute("SELECT DISTINCT hash FROM media WHERE hash IS NOT NULL")
            }
            return sorted({h for h, _ in gone if h not in still})

        hashes: list[str] = self._write(work)
        return hashes
