"""The writer's temp folder (``.hotpress-tmp``) is never followed out of the output: a symlink
there is refused, so neither temp files nor the sweep of dead writers' files reach outside."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from golden.sample import sample_archive, sample_settings
from hotpress import cli
from hotpress._publish.posts import publish_hexo
from hotpress._publish.writer import TEMP_DIR, Writer, sweep_temp
from hotpress._site import build_site
from hotpress.exceptions import PublishError


def _dead_pid() -> str:
    return subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the output holding a file named like a dead writer's temp file."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / f"{_dead_pid()}-1.tmp").write_bytes(b"somebody's data")
    return folder


def _linked(root: Path, outside: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / TEMP_DIR).symlink_to(outside, target_is_directory=True)
    return root


def _untouched(outside: Path) -> None:
    assert [p.read_bytes() for p in outside.iterdir()] == [b"somebody's data"]


def test_the_sweep_refuses_a_symlinked_temp_folder(tmp_path: Path, outside: Path) -> None:
    root = _linked(tmp_path / "out", outside)
    with pytest.raises(PublishError, match="symlink") as caught:
        sweep_temp(root)
    assert TEMP_DIR in str(caught.value)
    _untouched(outside)


def test_a_writer_refuses_a_symlinked_temp_folder(tmp_path: Path, outside: Path) -> None:
    root = _linked(tmp_path / "out", outside)
    with Writer(root) as writer, pytest.raises(PublishError, match="symlink"):
        writer.write("a.md", b"post")
    assert not (root / "a.md").exists()
    _untouched(outside)


def test_a_temp_folder_name_taken_by_a_file_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "out"
    root.mkdir()
    (root / TEMP_DIR).write_bytes(b"x")
    with Writer(root) as writer, pytest.raises(PublishError, match="taken by a file"):
        writer.write("a.md", b"post")


def test_publishing_and_building_with_a_symlinked_temp_folder_delete_nothing_outside(
    tmp_path: Path, outside: Path
) -> None:
    storage = sample_archive(tmp_path / "hotpress.db")
    try:
        report = publish_hexo(storage, _linked(tmp_path / "posts", outside))
        assert report.error is not None and "symlink" in report.error
        settings = sample_settings(tmp_path)
        assert settings.site_dir is not None
        _linked(settings.site_dir, outside)
        report = build_site(settings, storage)
        assert report.error is not None and "symlink" in report.error
    finally:
        storage.close()
    _untouched(outside)


def test_the_command_line_reports_it_without_a_traceback(
    tmp_path: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _linked(tmp_path / "posts", outside)
    config = tmp_path / "hotpress.yml"
    config.write_text("output:\n  hexo: posts\nsources: []\n")
    assert cli.main(["publish", "-c", str(config)]) != 0
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert "symlink" in shown and "Traceback" not in shown
    _untouched(outside)


def test_the_sweep_removes_the_files_of_a_writer_that_ended_unreaped(tmp_path: Path) -> None:
    """A zombie (ended, its parent not waiting for it yet) holds no file: its temp files go.
    A worker whose run was killed is reparented, and its new parent may never reap it."""
    root = tmp_path / "out"
    (root / TEMP_DIR).mkdir(parents=True)
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while Path(f"/proc/{zombie.pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    (root / TEMP_DIR / f"{zombie.pid}-1.tmp").write_bytes(b"half a post")
    (root / TEMP_DIR / f"{os.getpid()}-1.tmp").write_bytes(b"this process's")
    try:
        assert sweep_temp(root) == 1
        assert [p.name for p in (root / TEMP_DIR).iterdir()] == [f"{os.getpid()}-1.tmp"]
    finally:
        zombie.wait()


def test_a_writer_for_another_process_names_its_temp_files_after_that_process(
    tmp_path: Path,
) -> None:
    """A worker writing posts for a run: its files are swept once the run's process is gone,
    even while the worker itself (or a zombie with its pid) is still there."""
    root = tmp_path / "out"
    owner = int(_dead_pid())
    writer = Writer(root, defer_sync=True, owner=owner)
    writer.write("a.md", b"post")
    writer.release()  # leaves the temp folder: the owner's writer removes it
    (root / TEMP_DIR / f"{owner}-{os.getpid()}-7.tmp").write_bytes(b"left by a kill")
    # Written by this process, which runs: swept all the same, its owner is gone.
    assert sweep_temp(root) == 1
    assert list((root / TEMP_DIR).iterdir()) == []
    assert (root / "a.md").read_bytes() == b"post"
    # A writer for this process keeps its own name (pid first, as the sweep reads it).
    with Writer(root, owner=os.getpid()) as mine:
        assert mine._temp_prefix == f"{os.getpid()}-"
