"""Names as a case-insensitive, normalizing file system sees them (macOS, Windows).

``Same Title.md`` and ``same title.md``, or ``Café.md`` in NFC and in NFD, are two files on
Linux but one on APFS/HFS+ and NTFS: a post named like another one there would overwrite it
(or, synced from Linux, clash). New post names are chosen as if every disk folded: a name
taken once folded gets the usual ``-<8 hex>`` suffix. Names already recorded stay as they are.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Iterable

__all__ = ["FoldedNames", "fold"]


def fold(text: str) -> str:
    """``text`` as a case-insensitive, normalizing file system compares names."""
    return unicodedata.normalize("NFC", text).casefold()


class FoldedNames:
    """The paths of one output, folded: who holds each (recorded or chosen in this run), and
    what each folder on disk holds. Read lazily: a run that names no new post reads nothing."""

    def __init__(self, recorded: Callable[[], Iterable[tuple[str, int]]], root: str) -> None:
        self._recorded = recorded
        self._root = root
        self._owners: dict[str, int] | None = None
        self._claimed: dict[str, int] = {}
        self._listings: dict[str, dict[str, str]] = {}

    def owner(self, rel: str) -> int | None:
        """The item recorded at a path that folds like ``rel``, or that claimed it."""
        key = fold(rel)
        if key in self._claimed:
            return self._claimed[key]
        if self._owners is None:
            self._owners = {fold(path): item for path, item in self._recorded()}
        return self._owners.get(key)

    def claim(self, rel: str, item_id: int) -> None:
        """``rel`` is this item's in this run (not recorded yet)."""
        self._claimed[fold(rel)] = item_id

    def on_disk(self, folder: str, name: str) -> str | None:
        """The exact name of a file in ``folder`` that folds like ``name``, if any."""
        listing = self._listings.get(folder)
        if listing is None:
            try:
                names = os.listdir(os.path.join(self._root, folder or "."))
            except OSError:
                names = []
            listing = self._listings[folder] = {fold(n): n for n in names}
        return listing.get(fold(name))
