"""Refuse a database that is not a hotpress archive before writing anything to it.

A ``database:`` path pointing at another program's SQLite file (a browser's
``places.sqlite``, an app's cache) must not be "migrated": hotpress would add its tables to
the file and switch it to WAL mode, and the other program would find it changed. An empty
database (no tables, as SQLite creates it) is a new archive.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hotpress.exceptions import StorageError

__all__ = ["check_archive"]

OWN_TABLES = frozenset({"sources", "items", "fetch_log", "publications"})
"""Tables every hotpress archive has (schema step 1 made them)."""


def check_archive(db: sqlite3.Connection, path: Path) -> None:
    """Raise StorageError when ``db`` holds tables but is not a hotpress archive."""
    # Both read in one transaction: another process creating the archive at this moment
    # (workers started together) must not be seen half way (its tables, the old version).
    db.execute("BEGIN")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = sorted(
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
                " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            )
        )
    finally:
        db.execute("COMMIT")
    if not tables and version == 0:
        return
    # Schema step 1 creates the tables and sets user_version 1 in one transaction: an archive
    # at version 0 has no tables, and one past it has all of its own.
    if version == 0 or not OWN_TABLES.issubset(tables):
        shown = ", ".join(tables[:4]) + (", …" if len(tables) > 4 else "")
        raise StorageError(
            f"cannot open archive {path}: it is another program's SQLite database, not a "
            f"hotpress archive (its tables: {shown or 'none'}; schema version {version}); "
            "hotpress leaves it untouched: set `database:` to a new file"
        )
