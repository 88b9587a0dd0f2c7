"""Replaced files' old copies, deleted beside the writing instead of in it.

Replacing a file (``os.replace`` of a temp file over it) frees the old file's blocks inside
the rename. On a file system that trims freed blocks at once (ext4 mounted with ``discard``
and no journal, as on the benchmark machine) that rename waits for the disk: 1-2.5 ms a
file, more than rendering the page. A site build replacing 600 pages spent over a second
there, on one thread.

A :class:`Trash` takes that wait off the writing thread: before the rename the writer
hard-links the old file into its temp folder (:meth:`Trash.keep`: the rename then frees
nothing, and readers still see the old bytes or the new ones, never no file), and after it
hands the link over (:meth:`Trash.drop`). Links are deleted in batches by ``rm`` processes
that run while the build goes on, several at once (the disk trims them in parallel); a
thread would not do, since it needs the GIL back after every ``unlink`` and the renderer
holds it. :meth:`Trash.close` waits for them and deletes whatever is left itself, so a
build still ends with the old files gone. The links are named like the writer's temp files
(``<pid>-old<n>.tmp``), so the next writer sweeps those of a killed build.

Where hard links or ``rm`` are missing, :meth:`Trash.keep` says so and the rename frees the
old file itself, as without a trash.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

from hotpress._publish.disk import TEMP_DIR

__all__ = ["Trash"]

BATCH = 32
"""Old files per ``rm`` process."""


class Trash:
    """Old copies of the files replaced below ``root``, deleted by background processes."""

    def __init__(self, root: Path) -> None:
        self._folder = f"{root}{os.sep}{TEMP_DIR}{os.sep}"
        self._rm = shutil.which("rm")
        self._count = 0
        self._batch: list[str] = []
        self._kept: list[str] = []
        """Every link handed over (checked once more at :meth:`close`)."""
        self._running: list[subprocess.Popen[bytes]] = []
        self.deleted = 0
        """Old files handed over so far."""

    def keep(self, target: str) -> str | None:
        """Hard-link ``target`` (an existing file, not a symlink) into the temp folder, which
        must exist; the link's path, or None if the file system or system cannot."""
        if self._rm is None:
            return None
        self._count += 1
        path = f"{self._folder}{os.getpid()}-old{self._count}.tmp"
        try:
            os.link(target, path, follow_symlinks=False)
        except OSError:
            # EXDEV (another file system), EPERM/ENOTSUP (no hard links), a leftover name...
            return None
        return path

    def cancel(self, path: str) -> None:
        """The replace failed: the target still holds the file, so the link frees nothing."""
        with contextlib.suppress(OSError):
            os.unlink(path)

    def drop(self, path: str) -> None:
        """The target was replaced: ``path`` now holds the only link to the old file."""
        self._batch.append(path)
        self._kept.append(path)
        self.deleted += 1
        if len(self._batch) >= BATCH:
            self._spawn()

    def _spawn(self) -> None:
        batch, self._batch = self._batch, []
        self._running = [p for p in self._running if p.poll() is None]
        if self._rm is None or not batch:
            return
        try:
            process = subprocess.Popen(
                [self._rm, "-f", "--", *batch],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            return  # left for close()
        self._running.append(process)

    def close(self, *, remove_folder: bool = True) -> None:
        """Wait for the deleting processes; delete what they left; remove the temp folder if
        it is empty (``remove_folder``: not while another process's writer may use it). Call
        it once every writer using this trash is done."""
        self._spawn()
        for process in self._running:
            process.wait()
        self._running = []
        for path in self._kept:
            with contextlib.suppress(OSError):  # else the next writer's sweep removes it
                os.unlink(path)
        self._kept = []
        if remove_folder:
            with contextlib.suppress(OSError):  # other writers' files may still be in it
                os.rmdir(self._folder)
