"""The one owner of output files.

Every file hotpress publishes goes through :meth:`Writer.write`: the path is checked to stay
inside the output root (no absolute paths, no ``..``, no symlink leading out), a path is
written at most once per run (two posts claiming one file is a bug, not a last-wins race),
unchanged files are left alone (their mtime too, so ``git`` and rsync see no change), and a
file is replaced atomically so a reader never sees half a post.

Temporary files live in one folder, ``<root>/.hotpress-tmp`` (a dot folder: Hexo and web
servers' defaults ignore it), named after the writing process; a run killed between writing
and renaming leaves one there, and the next Writer on that root removes the files of processes
that are gone (:func:`sweep_temp`). The folder is removed when the Writer closes.

``defer_sync=True`` keeps a durable writer's promise in batches: instead of one fsync per file
(hundreds of microseconds each here), :meth:`sync` flushes everything written so far in one
call; the Hexo output calls it before it records a batch of posts as published, so what the
archive says is published is on disk.

``durable=False`` skips the fsync before the rename: the rename still keeps readers from
seeing half a file, but a power cut may leave a file empty. The static site uses it (it is
rebuilt from the archive, which stays the source of truth); the Hexo posts stay durable.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
from pathlib import Path, PurePosixPath
from stat import S_ISLNK

from hotpress.exceptions import PublishError

__all__ = ["TEMP_DIR", "Writer", "sweep_temp"]

_NEW_FILE_MODE = 0o644
TEMP_DIR = ".hotpress-tmp"
_TEMP_NAME = re.compile(r"(\d+)-.*\.tmp")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_temp(root: Path) -> int:
    """Remove temp files that writers which no longer run left under ``root``; how many."""
    folder = Path(root) / TEMP_DIR
    removed = 0
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


class Writer:
    """Writes files below ``root``; counts what it wrote and what it found unchanged."""

    def __init__(self, root: Path, *, durable: bool = True, defer_sync: bool = False) -> None:
        self.root = Path(root)
        self.durable = durable
        self.defer_sync = defer_sync
        self._unsynced = 0
        self._real_root = Path(os.path.realpath(self.root))
        self._seen: set[PurePosixPath] = set()
        self._checked: set[PurePosixPath] = set()
        """Folders already made and found inside the root in this run (one check each)."""
        self._fresh: set[PurePosixPath] = set()
        """Folders this run created: they held no file before."""
        self._count = 0
        self._tmp = self.root / TEMP_DIR
        self._tmp_ready = False
        self.written = 0
        self.unchanged = 0

    def sync(self) -> None:
        """Make every file written so far durable (one system-wide flush, not one per file)."""
        if self._unsynced:
            os.sync()
            self._unsynced = 0

    def close(self) -> None:
        """Flush what is pending; remove the temp folder if nothing else is in it."""
        self.sync()
        if self._tmp_ready:
            with contextlib.suppress(OSError):
                os.rmdir(self._tmp)
            self._tmp_ready = False

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def paths(self) -> frozenset[PurePosixPath]:
        """Every relative path passed to :meth:`write` so far (written or unchanged)."""
        return frozenset(self._seen)

    def _relative(self, relpath: str | PurePosixPath) -> PurePosixPath:
        text = str(relpath)
        rel = PurePosixPath(text)
        if (
            not text
            or "\x00" in text
            or "\\" in text
            or rel.is_absolute()
            or ".." in rel.parts
            or rel.name in ("", ".")
        ):
            raise PublishError("refusing a path that is empty, absolute or has '..'", path=text)
        return rel

    def _folder(self, rel: PurePosixPath) -> bool:
        """Make ``rel``'s folder and check it stays inside; True if this run created it."""
        parent = rel.parent
        if parent in self._checked:
            return parent in self._fresh
        folder = self.root.joinpath(*parent.parts)
        if parent != parent.parent and parent.parent in self._checked:
            # One level below a checked folder: a folder mkdir just made is no symlink, so it
            # needs no realpath (the common case: one new folder per item page).
            try:
                os.mkdir(folder)
            except FileExistsError:
                pass
            except OSError as exc:
                raise PublishError(f"cannot create folder: {exc}", path=folder) from exc
            else:
                self._checked.add(parent)
                self._fresh.add(parent)
                return True
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PublishError(f"cannot create folder: {exc}", path=folder) from exc
        # realpath after mkdir: a symlinked folder anywhere below the root shows up here.
        if not Path(os.path.realpath(folder)).is_relative_to(self._real_root):
            raise PublishError("path leads outside the output root", path=folder / rel.name)
        # Every folder between the root and this one is inside the root too.
        self._checked.update(parent.parents)
        self._checked.add(parent)
        return False

    def write(self, relpath: str | PurePosixPath, data: bytes) -> bool:
        """Write ``data`` to ``root/relpath``; False if the file already held these bytes."""
        rel = self._relative(relpath)
        if rel in self._seen:
            raise PublishError("written twice in one run", path=str(rel))
        self._seen.add(rel)
        fresh = self._folder(rel)
        target = self.root.joinpath(*rel.parts)
        try:
            mode = _NEW_FILE_MODE
            if not fresh:  # in a folder made by this run, no file can be in the way
                try:
                    stat = os.lstat(target)
                except FileNotFoundError:
                    pass
                else:
                    if S_ISLNK(stat.st_mode):
                        raise PublishError("refusing to write through a symlink", path=target)
                    mode = stat.st_mode & 0o777
                    if stat.st_size == len(data) and target.read_bytes() == data:
                        self.unchanged += 1
                        return False
            self._replace(target, data, mode)
        except OSError as exc:
            raise PublishError(f"cannot write: {exc}", path=target) from exc
        self.written += 1
        return True

    def _temp(self, target: Path) -> tuple[int, str]:
        if not self._tmp_ready:
            self._tmp.mkdir(parents=True, exist_ok=True)
            sweep_temp(self.root)
            self._tmp_ready = True
        self._count += 1
        prefix = f"{os.getpid()}-"
        tmp = str(self._tmp / f"{prefix}{self._count}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), tmp
        except FileExistsError:  # left by a crashed run that had our pid
            return tempfile.mkstemp(dir=self._tmp, prefix=prefix, suffix=".tmp")

    def _fill(self, fd: int, data: bytes, mode: int) -> None:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            if self.durable and not self.defer_sync:
                os.fsync(handle.fileno())
        if self.durable and self.defer_sync:
            self._unsynced += 1

    def _replace(self, target: Path, data: bytes, mode: int) -> None:
        fd, tmp = self._temp(target)
        try:
            self._fill(fd, data, mode)
            try:
                os.replace(tmp, target)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                # The target folder is on another file system: stage the file beside it.
                os.unlink(tmp)
                self._replace_beside(target, data, mode)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _replace_beside(self, target: Path, data: bytes, mode: int) -> None:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:40]}.")
        try:
            self._fill(fd, data, mode)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
