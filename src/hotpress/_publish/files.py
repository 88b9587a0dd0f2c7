"""The one way hotpress replaces a file and checks a path stays in its folder.

``replace_file`` writes a temp file beside the target and renames it into place: a reader
sees the old bytes or the new ones, never half a file. The output ``Writer`` (when its temp
folder is on another file system), the config editor (``hotpress add``) and the workflow
writer (``hotpress deploy``) all go through it. ``is_inside`` is the path check the Writer
and retention share: after resolving symlinks, the path is the root or below it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

Fill = Callable[[int, bytes, int], None]
"""(open temp file descriptor, bytes, mode): write, chmod and close it."""


def fill(fd: int, data: bytes, mode: int, *, sync: bool = False, chmod: bool = True) -> None:
    """Write ``data`` to ``fd``, set its mode (``chmod=False``: it was created with it), fsync
    it if asked, and close it."""
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if chmod:
            os.fchmod(fd, mode)
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def replace_file(
    target: str | os.PathLike[str],
    data: bytes,
    *,
    mode: int = 0o644,
    writer: Fill | None = None,
    suffix: str = "",
) -> None:
    """Atomically put ``data`` at ``target`` (a temp file beside it, then a rename)."""
    folder, name = os.path.split(os.fspath(target))
    fd, tmp = tempfile.mkstemp(dir=folder or ".", prefix=f".{name[:40]}.", suffix=suffix)
    try:
        (writer or fill)(fd, data, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def real_root(root: str | os.PathLike[str]) -> Path:
    return Path(os.path.realpath(root))


def is_inside(root: Path, path: str | os.PathLike[str]) -> bool:
    """``path``, symlinks resolved, is ``root`` (already resolved: :func:`real_root`) or
    below it."""
    return Path(os.path.realpath(path)).is_relative_to(root)
