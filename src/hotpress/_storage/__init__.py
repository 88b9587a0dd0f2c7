"""Storage stage: the archive behind a small interface (see base.Storage)."""

from __future__ import annotations

from pathlib import Path

from hotpress._storage.base import FetchLogEntry, Pending, Publication, Storage
from hotpress._storage.sqlite import SQLiteStorage

__all__ = ["FetchLogEntry", "Pending", "Publication", "SQLiteStorage", "Storage", "open_storage"]


def open_storage(database: Path | str) -> SQLiteStorage:
    """Open (creating and migrating) the archive named by the config's ``database``."""
    return SQLiteStorage(database)
