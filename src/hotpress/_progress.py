"""Progress reporting passed into the pipeline (no globals): a no-op one and hooks."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def begin(self, stage: str, total: int | None) -> None: ...

    def advance(self, stage: str, n: int = 1, *, failed: bool = False) -> None: ...

    def end(self, stage: str) -> None: ...


class NullProgress:
    """Used when nobody watches (tests, non-terminal output)."""

    def begin(self, stage: str, total: int | None) -> None:
        pass

    def advance(self, stage: str, n: int = 1, *, failed: bool = False) -> None:
        pass

    def end(self, stage: str) -> None:
        pass
