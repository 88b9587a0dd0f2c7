"""The archive path: another program's database is refused untouched, and a folder that
cannot be made or written is a "cannot open archive" error naming the path, not a traceback."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from hotpress import cli
from hotpress._lock import RunLock
from hotpress._storage import SQLiteStorage
from hotpress.exceptions import StorageError


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _places(path: Path, *, version: int = 77) -> Path:
    """A database shaped like Firefox's places.sqlite (its tables, its schema version)."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
    db.execute("CREATE TABLE moz_bookmarks (id INTEGER PRIMARY KEY, fk INTEGER)")
    db.execute("INSERT INTO moz_places (url) VALUES ('https://example.com/')")
    db.execute(f"PRAGMA user_version = {version}")
    db.commit()
    db.close()
    return path


@pytest.mark.parametrize("version", [77, 3, 0])
def test_another_programs_database_is_refused_and_left_untouched(
    tmp_path: Path, version: int
) -> None:
    # Version 3 is a schema number hotpress itself uses: the tables still tell them apart.
    path = _places(tmp_path / "places.sqlite", version=version)
    before = _digest(path)
    with pytest.raises(StorageError, match="not a hotpress archive") as caught:
        SQLiteStorage(path)
    assert str(path) in str(caught.value) and "moz_places" in str(caught.value)
    assert _digest(path) == before
    assert not Path(f"{path}-wal").exists()
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    assert tables == {"moz_places", "moz_bookmarks"}


def test_an_empty_database_file_and_an_existing_archive_open(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    SQLiteStorage(empty).close()
    # Reopening the archive just made (every hotpress table present) works as ever.
    with SQLiteStorage(empty) as again:
        assert again.count_items() == 0
    blank = tmp_path / "blank.db"
    sqlite3.connect(blank).close()  # SQLite's own empty database
    SQLiteStorage(blank).close()


def test_a_run_on_another_programs_database_exits_with_the_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _places(tmp_path / "places.sqlite")
    before = _digest(path)
    config = tmp_path / "hotpress.yml"
    config.write_text(f"database: {path}\noutput:\n  hexo: posts\nsources: []\n")
    assert cli.main(["run", "-q", "-c", str(config)]) != 0
    err = capsys.readouterr().err
    assert "not a hotpress archive" in err and "Traceback" not in err
    assert _digest(path) == before


@pytest.mark.parametrize("under", ["a-file/hotpress.db", "a-file/sub/hotpress.db"])
def test_a_database_folder_that_cannot_be_made_is_a_cannot_open_archive_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], under: str
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    database = tmp_path / under
    with pytest.raises(StorageError, match="cannot open archive") as caught:
        SQLiteStorage(database)
    assert str(database) in str(caught.value)
    with pytest.raises(StorageError, match="cannot open archive") as caught, RunLock(database):
        pass
    assert str(database) in str(caught.value)
    config = tmp_path / "hotpress.yml"
    config.write_text(f"database: {under}\noutput:\n  hexo: posts\n  site: public\nsources: []\n")
    for command in (["run", "-q"], ["publish"], ["build"], ["sources"]):
        code = cli.main([*command, "-c", str(config)])
        err = capsys.readouterr().err
        assert code != 0, command
        assert "cannot open archive" in err and str(database) in err, (command, err)
        assert "Traceback" not in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_database_folder_is_a_cannot_open_archive_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(StorageError, match="cannot open archive"):
            SQLiteStorage(folder / "sub" / "hotpress.db")
        with pytest.raises(StorageError, match="cannot open archive"), RunLock(folder / "h.db"):
            pass
    finally:
        folder.chmod(0o755)
