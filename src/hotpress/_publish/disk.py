"""Disk-level helpers of the writer: flushing a file system, sweeping dead writers' temp files.

Split from ``writer`` so each stays small; ``writer`` re-exports the public names.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from hotpress.exceptions import PublishError

__all__ = ["TEMP_DIR", "SyncFs", "check_temp_folder", "sweep_temp", "sync_filesystem"]

TEMP_DIR = ".hotpress-tmp"
_TEMP_NAME = re.compile(r"(\d+)-.*\.tmp")


def _alive(pid: int) -> bool:
    """The process runs (a zombie, ended and not yet reaped by its parent, does not: a worker
    whose parent was killed may wait for a reaper that never comes)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[:1] != [b"Z"]
    except OSError:  # no /proc (not Linux), or it ended meanwhile
        return True


SyncFs = Callable[[int], None]
"""Flushes the file system of an open file descriptor to disk; raises OSError."""


def _libc_syncfs() -> SyncFs | None:
    """``syncfs(2)`` from the C library (Linux), or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = (ctypes.c_int,)
    function.restype = ctypes.c_int

    def syncfs(fd: int) -> None:
        if function(fd) != 0:  # ctypes lets other threads run during the call
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))

    return syncfs


_SYNCFS = _libc_syncfs()


def sync_filesystem(fd: int, syncfs: SyncFs | None = _SYNCFS) -> None:
    """Flush the file system holding the open ``fd`` to disk; ``os.sync()`` where the system
    has no ``syncfs``. Unlike ``sync()`` it leaves other file systems alone, and it reports a
    write-back error (EIO, ENOSPC) that happened since ``fd`` was opened instead of hiding it."""
    if syncfs is not None:
        try:
            syncfs(fd)
        except OSError as exc:
            if exc.errno != errno.ENOSYS:  # ENOSYS: a kernel older than the C library
                raise
        else:
            return
    os.sync()


def check_temp_folder(folder: Path) -> None:
    """Refuse a temp folder that is a symlink (or not a folder): following it would write
    temp files, and let the sweep delete files, wherever it points, outside the output."""
    try:
        mode = os.lstat(folder).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise PublishError(f"cannot read the temp folder: {exc}", path=folder) from exc
    if stat.S_ISLNK(mode):
        raise PublishError(
            "the temp folder is a symlink; refusing to follow it out of the output"
            " (remove the link: hotpress makes the folder itself)",
            path=folder,
        )
    if not stat.S_ISDIR(mode):
        raise PublishError("the temp folder's name is taken by a file", path=folder)


def sweep_temp(root: Path) -> int:
    """Remove temp files that writers which no longer run left under ``root``; how many."""
    folder = Path(root) / TEMP_DIR
    removed = 0
    check_temp_folder(folder)
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return 0
    except OSError as exc:
        raise PublishError(f"cannot read the temp folder: {exc}", path=folder) from exc
    for entry in entries:
        match = _TEMP_NAME.fullmatch(entry.name)
        if match is None:
            continue
        pid = int(match.group(1))
        if pid == os.getpid() or _alive(pid):
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(entry.path)
            removed += 1
    return removed
