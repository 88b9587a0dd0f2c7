"""The one atomic file replacement and the one "stays inside" check (``_publish.files``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hotpress._publish.files import is_inside, real_root, replace_file


def test_replace_file_puts_the_bytes_and_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    replace_file(target, "新的".encode(), mode=0o640)
    assert target.read_text(encoding="utf-8") == "新的"
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")

    def broken(fd: int, data: bytes, mode: int) -> None:
        os.close(fd)
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        replace_file(target, b"new", writer=broken)
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_is_inside_follows_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (root / "link").symlink_to(outside)
    resolved = real_root(root)
    assert is_inside(resolved, root)
    assert is_inside(resolved, root / "a")
    assert not is_inside(resolved, root / "link")
    assert not is_inside(resolved, root / ".." / "elsewhere")
    assert not is_inside(resolved, tmp_path / "rootish")
