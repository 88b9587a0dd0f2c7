"""The last build's state as a build reads it: its own entries (``@…``: marks, search
segments, the snapshot) at once, a page's digest only when asked for, every page's only when
a full pass iterates them. A tail build at 1,000,000 items asks for ~100 of ~200,000."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from hotpress._storage.site_rows import SiteStore


class BuildState(Mapping[str, str]):
    def __init__(self, storage: SiteStore) -> None:
        self.storage = storage
        self.marks = storage.site_state(marks=True)
        self._pages: dict[str, str | None] = {}
        self._all: dict[str, str] | None = None

    def __getitem__(self, key: str) -> str:
        if key.startswith("@"):
            return self.marks[key]
        if self._all is not None:
            return self._all[key]
        if key not in self._pages:
            self._pages[key] = self.storage.site_state_of([key]).get(key)
        value = self._pages[key]
        if value is None:
            raise KeyError(key)
        return value

    def everything(self) -> dict[str, str]:
        """Every entry (read once)."""
        if self._all is None:
            self._all = self.storage.site_state()
        return self._all

    def __iter__(self) -> Iterator[str]:
        return iter(self.everything())

    def __len__(self) -> int:
        if self._all is not None:
            return len(self._all)
        return self.storage.site_state_size()


__all__ = ["BuildState"]
