"""What publishing one output did: the report both outputs (Hexo posts, the site) return."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OutputReport:
    name: str
    written: int = 0
    unchanged: int = 0
    """Files rendered again with the bytes already on disk (or known to be current)."""
    error: str | None = None
    total: int | None = None
    """Files of this output hotpress keeps after the run (written ones included); None:
    ``written + unchanged`` (an output that accounts for every file on each run)."""

    @property
    def files(self) -> int:
        return self.total if self.total is not None else self.written + self.unchanged

    @property
    def up_to_date(self) -> int:
        """Files that needed no write: already as they should be."""
        return max(self.files - self.written, 0)
