"""Read queries the static site needs, for the SQLite backend (mixed into SQLiteStorage)."""

from __future__ import annotations

import sqlite3


class SiteQueriesMixin:
    _db: sqlite3.Connection
