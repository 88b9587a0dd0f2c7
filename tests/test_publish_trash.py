"""The trash: a replaced file's old copy is kept by a hard link until background ``rm``
processes delete it, so the rename frees nothing on the writing thread."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hotpress._publish import trash as trash_module
from hotpress._publish.trash import Trash
from hotpress._publish.writer import TEMP_DIR, Writer, sweep_temp
from hotpress.exceptions import PublishError


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_the_old_copy_is_kept_until_the_trash_is_closed(tmp_path: Path) -> None:
    Writer(tmp_path, durable=False).write("a.html", b"old")
    inode = (tmp_path / "a.html").stat().st_ino
    trash = Trash(tmp_path)
    with Writer(tmp_path, durable=False, trash=trash) as writer:
        assert writer.write("a.html", b"new") is True
        assert writer.write("b.html", b"created") is True  # nothing to keep
    assert (tmp_path / "a.html").read_bytes() == b"new"
    (kept,) = (tmp_path / TEMP_DIR).iterdir()  # the writer closed; its trash did not
    assert kept.name == f"{os.getpid()}-old1.tmp"
    assert kept.stat().st_ino == inode and kept.read_bytes() == b"old"
    assert trash.deleted == 1
    trash.close()
    assert _files(tmp_path) == ["a.html", "b.html"]
    assert not (tmp_path / TEMP_DIR).exists()


def test_many_old_copies_are_deleted_by_processes_in_batches(tmp_path: Path) -> None:
    count = 3 * trash_module.BATCH + 5
    with Writer(tmp_path, durable=False) as writer:
        for n in range(count):
            writer.write(f"p/{n}/index.html", b"old %d" % n)
    trash = Trash(tmp_path)
    with Writer(tmp_path, durable=False, trash=trash) as writer:
        for n in range(count):
            writer.write(f"p/{n}/index.html", b"new %d" % n)
        # Three full batches went to rm while writing; the last few wait for close().
        left = [p for p in (tmp_path / TEMP_DIR).iterdir() if p.name.startswith(f"{os.getpid()}")]
        assert len(left) >= 5
    trash.close()
    assert trash.deleted == count
    assert not (tmp_path / TEMP_DIR).exists()
    assert [(tmp_path / f"p/{n}/index.html").read_bytes() for n in range(count)] == [
        b"new %d" % n for n in range(count)
    ]


def test_a_failed_replace_leaves_the_old_file_and_no_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Writer(tmp_path, durable=False).write("a.html", b"old")

    def broken(src: str, dst: str) -> None:
        raise OSError(errno.EIO, "Input/output error")

    trash = Trash(tmp_path)
    writer = Writer(tmp_path, durable=False, trash=trash)
    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(PublishError, match="Input/output error"):
        writer.write("a.html", b"new")
    monkeypatch.undo()
    writer.close()
    trash.close()
    assert (tmp_path / "a.html").read_bytes() == b"old"
    assert (tmp_path / "a.html").stat().st_nlink == 1
    assert _files(tmp_path) == ["a.html"]


def test_without_hard_links_the_rename_frees_the_old_file_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Writer(tmp_path, durable=False).write("a.html", b"old")

    def no_links(src: str, dst: str, **_: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    trash = Trash(tmp_path)
    with Writer(tmp_path, durable=False, trash=trash) as writer:
        assert writer.write("a.html", b"new") is True
    trash.close()
    assert trash.deleted == 0
    assert _files(tmp_path) == ["a.html"]
    assert (tmp_path / "a.html").read_bytes() == b"new"


def test_old_copies_a_killed_build_left_are_swept(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    folder = tmp_path / TEMP_DIR
    folder.mkdir()
    (folder / f"{dead}-old7.tmp").write_bytes(b"old page")
    (folder / f"{os.getpid()}-old8.tmp").write_bytes(b"this build's")
    assert sweep_temp(tmp_path) == 1
    assert [p.name for p in folder.iterdir()] == [f"{os.getpid()}-old8.tmp"]
