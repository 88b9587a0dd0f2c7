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
archive says is published is on disk. That flush is ``syncfs(2)`` on the output's file system
(:func:`sync_filesystem`), not ``sync()`` of every disk on the machine, and :meth:`sync` may
run on another thread while the writing goes on (the Hexo output overlaps the two).

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
import threading
from pathlib import Path, PurePosixPath
from stat import S_ISLNK

from hotpress._publish.disk import (
    TEMP_DIR,
    SyncFs,
    check_temp_folder,
    sweep_temp,
    sync_filesystem,
)
from hotpress._publish.files import fill, is_inside, replace_file
from hotpress.exceptions import PublishError

__all__ = ["TEMP_DIR", "SyncFs", "Writer", "sweep_temp", "sync_filesystem"]

_NEW_FILE_MODE = 0o644
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL
# A relative path already in the form PurePosixPath gives it: segments that are neither
# empty, "." nor "..", without NUL or backslash. Most paths are; the others are parsed.
_PLAIN_PATH = re.compile(r"(?:(?!\.\.?(?:/|$))[^/\x00\\]+/)*(?!\.\.?$)[^/\x00\\]+")


class Writer:
    """Writes files below ``root``; counts what it wrote and what it found unchanged."""

    def __init__(
        self,
        root: Path,
        *,
        durable: bool = True,
        defer_sync: bool = False,
        owner: int | None = None,
    ) -> None:
        """``owner``: the process this writer writes for, when it is not this one (a worker
        writing a share of a publish): temp files are named after it first, so a sweep keeps
        them while it runs and removes them once it is gone, whatever became of this one."""
        self.root = Path(root)
        self.durable = durable
        self.defer_sync = defer_sync
        # Paths are joined as text: pathlib costs more than the system calls of a small file.
        root_text = str(self.root)
        self._prefix = "" if root_text == "." else root_text.rstrip("/") + "/"
        self._lock = threading.Lock()
        """Guards what :meth:`sync` (possibly on another thread) shares with the writing."""
        self._unsynced = 0
        self._elsewhere = 0
        """Of the unsynced files, those on another file system (EXDEV): flushed by sync()."""
        self._fs_fd: int | None = None
        """The temp folder, open from the first file on: syncfs reports the write-back errors
        that happened since it was opened."""
        self._real_root = Path(os.path.realpath(self.root))
        self._seen: set[str] = set()
        """Relative paths passed to :meth:`write`, as PurePosixPath writes them."""
        self._checked: set[str] = set()
        """Folders (relative, "" the root) already made and found inside the root in this run
        (one check each)."""
        self._fresh: set[str] = set()
        """Folders this run created: they held no file before."""
        self._count = 0
        self._umask = process_umask()
        """Read once (``None``: unknown, every file then gets its mode by fchmod)."""
        self._tmp = self.root / TEMP_DIR
        self._tmp_ready = False
        pid = os.getpid()
        self._temp_prefix = f"{pid}-" if owner in (None, pid) else f"{owner}-{pid}-"
        self.written = 0
        self.unchanged = 0
        self.created = 0
        """Of ``written``, the files that did not exist before."""

    def sync(self) -> None:
        """Make every file written so far durable: one flush of the output's file system, not
        one fsync per file. It may run on another thread while :meth:`write` goes on; it
        covers every write that had returned when it was called."""
        with self._lock:
            pending, elsewhere, fd = self._unsynced, self._elsewhere, self._fs_fd
        if not pending:
            return
        try:
            if elsewhere or fd is None:
                os.sync()
            else:
                sync_filesystem(fd)
        except OSError as exc:
            raise PublishError(f"cannot flush to disk: {exc}", path=self.root) from exc
        with self._lock:
            self._unsynced -= pending
            self._elsewhere -= elsewhere

    def close(self) -> None:
        """Flush what is pending; remove the temp folder if nothing else is in it. Not while
        a :meth:`sync` runs on another thread."""
        try:
            self.sync()
        finally:
            if self._fs_fd is not None:
                os.close(self._fs_fd)
                self._fs_fd = None
            if self._tmp_ready:
                with contextlib.suppress(OSError):
                    os.rmdir(self._tmp)
                self._tmp_ready = False

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def path_count(self) -> int:
        """How many paths :meth:`write` was given so far (``len(paths)``, without building it)."""
        return len(self._seen)

    @property
    def paths(self) -> frozenset[PurePosixPath]:
        """Every relative path passed to :meth:`write` so far (written or unchanged)."""
        return frozenset(PurePosixPath(path) for path in self._seen)

    def _relative(self, relpath: str | PurePosixPath) -> str:
        """``relpath`` as PurePosixPath writes it (``x//a``, ``./x/a``: ``x/a``); refused if
        empty, absolute, with '..' or naming no file."""
        text = str(relpath)
        if _PLAIN_PATH.fullmatch(text):
            return text
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
        return str(rel)

    def _folder(self, rel: str) -> bool:
        """Make ``rel``'s folder and check it stays inside; True if this run created it."""
        parent, _, name = rel.rpartition("/")
        if parent in self._checked:
            return parent in self._fresh
        folder = self._prefix + parent if parent else str(self.root)
        if parent and parent.rpartition("/")[0] in self._checked:
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
            Path(folder).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PublishError(f"cannot create folder: {exc}", path=folder) from exc
        # realpath after mkdir: a symlinked folder anywhere below the root shows up here.
        if not is_inside(self._real_root, folder):
            raise PublishError("path leads outside the output root", path=f"{folder}/{name}")
        # Every folder between the root and this one is inside the root too.
        self._checked.add("")
        while parent:
            self._checked.add(parent)
            parent = parent.rpartition("/")[0]
        return False

    def write(self, relpath: str | PurePosixPath, data: bytes) -> bool:
        """Write ``data`` to ``root/relpath``; False if the file already held these bytes."""
        rel = self._relative(relpath)
        if rel in self._seen:
            raise PublishError("written twice in one run", path=rel)
        self._seen.add(rel)
        fresh = self._folder(rel)
        target = f"{self._prefix}{rel}"
        existed = False
        try:
            mode = _NEW_FILE_MODE
            if not fresh:  # in a folder made by this run, no file can be in the way
                try:
                    stat = os.lstat(target)
                except FileNotFoundError:
                    pass
                else:
                    existed = True
                    if S_ISLNK(stat.st_mode):
                        raise PublishError("refusing to write through a symlink", path=target)
                    mode = stat.st_mode & 0o777
                    if stat.st_size == len(data) and _read(target) == data:
                        self.unchanged += 1
                        return False
            self._replace(target, data, mode)
        except OSError as exc:
            raise PublishError(f"cannot write: {exc}", path=target) from exc
        self.written += 1
        self.created += not existed
        return True

    def prepare(self) -> None:
        """Make the temp folder (done by the first write otherwise). A deferred sync reports
        the write-back errors of every file written after this, by any process."""
        if self._tmp_ready:
            return
        try:
            self._tmp.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            pass  # a symlink or a file: refused below
        except OSError as exc:
            raise PublishError(f"cannot create the temp folder: {exc}", path=self._tmp) from exc
        check_temp_folder(self._tmp)
        sweep_temp(self.root)
        if self.durable and self.defer_sync and self._fs_fd is None:
            try:
                self._fs_fd = os.open(self._tmp, os.O_RDONLY)
            except OSError as exc:
                raise PublishError(f"cannot open the temp folder: {exc}", path=self._tmp) from exc
        self._tmp_ready = True

    def hand_off(self) -> tuple[int, int]:
        """The files written since the last sync, now another writer's to flush
        (:meth:`adopt`): a worker process writes posts, the publishing process flushes and
        records them. Returns ``(files, of them on other file systems)``."""
        with self._lock:
            pending, elsewhere = self._unsynced, self._elsewhere
            self._unsynced = self._elsewhere = 0
        return pending, elsewhere

    def adopt(self, files: int, elsewhere: int) -> None:
        """Files another process wrote below this root (its :meth:`hand_off`), flushed by
        this writer's next :meth:`sync`."""
        with self._lock:
            self._unsynced += files
            self._elsewhere += elsewhere

    def release(self) -> None:
        """Close without flushing and leave the temp folder: what this writer wrote is another
        writer's to flush (:meth:`hand_off`), and that writer may still be writing."""
        if self._fs_fd is not None:
            os.close(self._fs_fd)
            self._fs_fd = None
        self._tmp_ready = False

    def _temp(self, mode: int) -> tuple[int, str, bool]:
        """A new temp file: its descriptor, its path, and whether it already has ``mode``."""
        self.prepare()
        self._count += 1
        prefix = self._temp_prefix
        tmp = f"{self._prefix}{TEMP_DIR}/{prefix}{self._count}.tmp"
        # Created with the post's mode when the umask leaves it whole (it does for 0o644 under
        # the usual 022): no fchmod then, one system call less per file.
        exact = self._umask is not None and not mode & self._umask
        try:
            return os.open(tmp, _CREATE, mode if exact else 0o600), tmp, exact
        except FileExistsError:  # left by a crashed run that had our pid
            return (*tempfile.mkstemp(dir=self._tmp, prefix=prefix, suffix=".tmp"), False)

    def _fill(self, fd: int, data: bytes, mode: int, *, chmod: bool = True) -> None:
        fill(fd, data, mode, sync=self.durable and not self.defer_sync, chmod=chmod)

    def _replace(self, target: str, data: bytes, mode: int) -> None:
        fd, tmp, exact = self._temp(mode)
        try:
            self._fill(fd, data, mode, chmod=not exact)
            try:
                os.replace(tmp, target)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                # The target folder is on another file system: stage the file beside it.
                os.unlink(tmp)
                self._replace_beside(target, data, mode)
                return
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self._written_through(elsewhere=False)

    def _replace_beside(self, target: str, data: bytes, mode: int) -> None:
        replace_file(target, data, mode=mode, writer=self._fill)
        self._written_through(elsewhere=True)

    def _written_through(self, *, elsewhere: bool) -> None:
        # Counted once renamed into place: a sync that saw the count covers the rename too.
        if self.durable and self.defer_sync:
            with self._lock:
                self._unsynced += 1
                self._elsewhere += elsewhere


def process_umask() -> int | None:
    """This process's umask, read without setting it (``os.umask`` sets it, and a file another
    thread created meanwhile would get the wrong mode); ``None`` where the kernel does not
    say (Linux says since 4.7, in /proc/self/status)."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return None


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()
