"""Row helpers of the SQLite backend shared by its query modules."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from hotpress.types import StoredItem

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


@functools.lru_cache(maxsize=4096)
def _category(stored: str) -> tuple[str, ...]:
    """A source's category path from its JSON column (one per source, read per item)."""
    return tuple(json.loads(stored))


def _row_to_item(row: tuple[Any, ...]) -> StoredItem:
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
        category=_category(row[15]),
        source_author=row[16],
    )
