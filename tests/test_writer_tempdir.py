"""The writer's temp folder (``.hotpress-tmp``) is never followed out of the output: a symlink
there is refused, so neither temp files nor the sweep of dead writers' files reach outside."""

from __future__ import annotations

import subprocess
import sys
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
