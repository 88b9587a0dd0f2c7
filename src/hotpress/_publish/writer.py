"""The one owner of output files.

Every file hotpress publishes goes through :meth:`Writer.write`: the path is checked to stay
inside the output root (no absolute paths, no ``..``, no symlink leading out), a path is
written at most once per run (two posts claiming one file is a bug, not a last-wins race),
unchanged files are left alone (their mtime too, so ``git`` and rsync see no change), and a
file is replaced atomically so a reader never sees half a post.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path, PurePosixPath

from hotpress.exceptions import PublishError

__all__ = ["Writer"]

_NEW_FILE_MODE = 0o644


class Writer:
    """Writes files below ``root``; counts what it wrote and what it found unchanged."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._real_root = Path(os.path.realpath(self.root))
        self._seen: set[PurePosixPath] = set()
        self.written = 0
        self.unchanged = 0

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

    def _target(self, rel: PurePosixPath) -> Path:
        target = self.root.joinpath(*rel.parts)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PublishError(f"cannot create folder: {exc}", path=target.parent) from exc
        # realpath after mkdir: a symlinked folder anywhere below the root shows up here.
        real_parent = Path(os.path.realpath(target.parent))
        if not real_parent.is_relative_to(self._real_root):
            raise PublishError("path leads outside the output root", path=target)
        if target.is_symlink():
            raise PublishError("refusing to write through a symlink", path=target)
        return target

    def write(self, relpath: str | PurePosixPath, data: bytes) -> bool:
        """Write ``data`` to ``root/relpath``; False if the file already held these bytes."""
        rel = self._relative(relpath)
        if rel in self._seen:
            raise PublishError("written twice in one run", path=str(rel))
        self._seen.add(rel)
        target = self._target(rel)
        try:
            mode = _NEW_FILE_MODE
            if target.exists():
                stat = target.stat()
                mode = stat.st_mode & 0o777
                if stat.st_size == len(data) and target.read_bytes() == data:
                    self.unchanged += 1
                    return False
            self._replace(target, data, mode)
        except OSError as exc:
            raise PublishError(f"cannot write: {exc}", path=target) from exc
        self.written += 1
        return True

    @staticmethod
    def _replace(target: Path, data: bytes, mode: int) -> None:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:40]}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fchmod(handle.fileno(), mode)
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
