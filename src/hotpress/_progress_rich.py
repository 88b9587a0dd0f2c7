"""Progress bars on a terminal (rich); nothing when output is not a terminal."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

_LABELS = {
    "sources": "fetching sources",
    "items": "items stored (new or changed)",
    "posts": "writing Hexo posts",
    "site items": "writing item pages",
    "site pages": "writing list pages and feeds",
}


class RichProgress:
    """Implements hotpress._progress.Progress with rich bars on stderr."""

    def __init__(self, console: Console) -> None:
        self._bars = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._failed: dict[str, int] = {}

    def __enter__(self) -> RichProgress:
        self._bars.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._bars.stop()

    def begin(self, stage: str, total: int | None) -> None:
        self._failed[stage] = 0
        self._tasks[stage] = self._bars.add_task(_LABELS.get(stage, stage), total=total, failed="")

    def advance(self, stage: str, n: int = 1, *, failed: bool = False) -> None:
        task = self._tasks.get(stage)
        if task is None:
            return
        if failed:
            self._failed[stage] += 1
        count = self._failed[stage]
        self._bars.update(task, advance=n, failed=f"[red]{count} failed[/red]" if count else "")

    def end(self, stage: str) -> None:
        task = self._tasks.pop(stage, None)
        if task is not None:
            done = self._bars.tasks[task].completed
            self._bars.update(task, total=done)
