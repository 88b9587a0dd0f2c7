"""Full builds whose item pages are rendered by spawned worker processes (``site.workers``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from golden.regen import GOLDEN, golden_files
from golden.sample import SOURCES, make_item, sample_archive, sample_settings, store
from hotpress._site import build_site
from hotpress._site.urls import item_file
from hotpress._storage.sqlite import SQLiteStorage


class Counting:
    def __init__(self) -> None:
        self.advanced: dict[str, int] = {}

    def begin(self, stage: str, total: int | None) -> None:
        self.advanced.setdefault(stage, 0)

    def advance(self, stage: str, n: int = 1, *, failed: bool = False) -> None:
        self.advanced[stage] += n

    def end(self, stage: str) -> None:
        pass


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[SQLiteStorage]:
    storage = sample_archive(tmp_path / "hotpress.db")
    yield storage
    storage.close()


def test_two_workers_build_exactly_the_golden_site(tmp_path: Path, archive: SQLiteStorage) -> None:
    progress = Counting()
    report = build_site(sample_settings(tmp_path, workers=2), archive, progress=progress)
    assert report.error is None
    root = tmp_path / "public"
    built, golden = golden_files(root), golden_files(GOLDEN)
    assert sorted(built) == sorted(golden)
    assert [rel for rel, data in built.items() if data != golden[rel]] == []
    items = archive.count_items()
    assert progress.advanced["site items"] == items
    # The same pages are counted as a build in one process counts them.
    serial = Counting()
    other = sample_archive(tmp_path / "other" / "hotpress.db")
    try:
        build_site(sample_settings(tmp_path / "other", workers=1), other, progress=serial)
    finally:
        other.close()
    assert serial.advanced == progress.advanced
    # Every item page written by a worker is counted, and no temp file or folder is left.
    assert report.written == sum(1 for p in root.rglob("*") if p.is_file())
    assert not (root / ".hotpress-tmp").exists()
    # The workers recorded the pages as published: nothing is pending, a rebuild is a no-op.
    assert list(archive.pending("site")) == []
    assert build_site(sample_settings(tmp_path, workers=2), archive).written == 0


def test_a_forced_rebuild_with_workers_rewrites_nothing_that_did_not_change(
    tmp_path: Path, archive: SQLiteStorage
) -> None:
    assert build_site(sample_settings(tmp_path), archive).error is None
    store(archive, SOURCES[1], [make_item(SOURCES[1], 77)])
    report = build_site(sample_settings(tmp_path, workers=2), archive, force=True)
    assert report.error is None
    # One new item: its page, its neighbour's and the lists and feeds that show it.
    assert 0 < report.written < 60
    assert report.unchanged > archive.count_items()


def test_a_worker_that_cannot_write_a_page_fails_the_build_naming_the_file(
    tmp_path: Path, archive: SQLiteStorage
) -> None:
    victim = next(archive.iter_items())
    blocked = tmp_path / "public" / item_file(victim.identity)
    (blocked / "in-the-way").mkdir(parents=True)  # a folder where the page must go
    report = build_site(sample_settings(tmp_path, workers=2), archive)
    assert report.error is not None
    assert str(blocked) in report.error
    # The failed build is not recorded as done: the next one tries again.
    (blocked / "in-the-way").rmdir()
    blocked.rmdir()
    again = build_site(sample_settings(tmp_path, workers=2), archive)
    assert again.error is None
    assert victim.title.split()[0] in blocked.read_text()
