"""One writer per archive: an advisory file lock beside the database (``run_lock`` picks a
PostgreSQL advisory lock for a ``postgresql://`` archive instead, see ``_storage/pg_lock``).

The lock file (``<database>.lock``, holding the pid) exists only while a run holds it: the
holder deletes it before letting go. A waiter may then hold a lock on the deleted file, so
after locking it checks that its file is still the one at the path, and starts again if not.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType

from hotpress._storage import advisory_lock, is_url
from hotpress.exceptions import LockedError, StorageError


def run_lock(database: Path | str, *, wait: float = 0.0) -> AbstractContextManager[object]:
    """The single-writer lock of the archive ``database`` names: a lock file beside an
    SQLite file, an advisory lock in a PostgreSQL server."""
    if is_url(database):
        return advisory_lock(str(database), wait=wait)
    return RunLock(Path(database), wait=wait)


class RunLock:
    """Held for the whole of a run; a second run waits up to ``wait`` seconds, then refuses."""

    def __init__(self, database: Path, *, wait: float = 0.0) -> None:
        self.path = database.with_name(database.name + ".lock")
        self.wait = wait
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            # The archive's folder cannot be made or written: say so about the archive.
            database = self.path.with_name(self.path.name.removesuffix(".lock"))
            raise StorageError(
                f"cannot open archive {database}: cannot create or use its folder: {exc}"
            ) from exc
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if self._current(fd):
                    break
                # The holder deleted this file on leaving: lock the one at the path now.
                os.close(fd)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                continue
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                    os.close(fd)
                    raise LockedError(
                        f"another hotpress run (pid {holder}) is using {self.path.with_suffix('')};"
                        " wait for it to finish or use --wait SECONDS"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            # Deleted while still held, so a run starting now makes a fresh file.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def _current(self, fd: int) -> bool:
        """Whether ``fd`` is still the file at ``self.path`` (not one deleted meanwhile)."""
        try:
            at_path = os.stat(self.path)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (mine.st_dev, mine.st_ino) == (at_path.st_dev, at_path.st_ino)
