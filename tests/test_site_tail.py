"""The tail build (``_site/tail.py``): when the archive only gained items (and sources) since the
last build, the lists are planned from their newest pages alone, not from every item's row.
Its site must be the full build's, byte for byte: each case builds incrementally, checks the
full pass was not taken (or was, for a change the tail cannot follow), then compares the
folder with a full build of a copy of the archive, and a forced build rewrites nothing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from golden.sample import SOURCES, START, make_item, sample_archive, sample_settings, store
from hotpress._site import build_site
from hotpress._site.extra import category_key
from hotpress._storage.sqlite import SQLiteStorage
from hotpress.config import Settings
from hotpress.types import SourceSpec

NOW = datetime(2024, 3, 1, tzinfo=UTC)
NEW = SourceSpec("/new/feed", ("社交媒体", "新源"), "https://r.test/new", "新源", "Asia/Shanghai")


LEVELS = ("search-index/b/", "search-index/d/", "search-index/index.json")
"""The search index's levels differ by history (a delta level beside the base, or a base
merged anew), not by content; the forced build checks them."""


def files(root: Path) -> dict[str, bytes]:
    found = {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}
    return {rel: p.read_bytes() for rel, p in found.items() if not rel.startswith(LEVELS)}


class Counted:
    """Counts the full passes over the archive order (``site_order``) a build makes."""

    def __init__(self, storage: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.passes = 0
        original = storage.site_order

        def site_order() -> Iterator[Any]:
            self.passes += 1
            return original()

        monkeypatch.setattr(storage, "site_order", site_order)


@pytest.fixture
def built(tmp_path: Path) -> Iterator[tuple[SQLiteStorage, Settings]]:
    storage = sample_archive(tmp_path / "hotpress.db")
    settings = replace(sample_settings(tmp_path), sources=(*SOURCES, NEW))
    assert build_site(settings, storage, now=NOW).error is None
    yield storage, settings
    storage.close()


def same_as_full(tmp_path: Path, storage: SQLiteStorage, settings: Settings) -> None:
    storage._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    other = tmp_path / "full"
    other.mkdir()
    shutil.copyfile(tmp_path / "hotpress.db", other / "hotpress.db")
    copy = SQLiteStorage(other / "hotpress.db")
    try:
        full = replace(settings, site_dir=other / "public", database=other / "hotpress.db")
        assert build_site(full, copy, now=NOW).error is None
    finally:
        copy.close()
    incremental, whole = files(settings.site_dir or tmp_path), files(other / "public")
    assert sorted(incremental) == sorted(whole)
    assert [p for p in whole if whole[p] != incremental[p]] == []
    forced = build_site(settings, storage, now=NOW, force=True)
    assert (forced.written, forced.error) == (0, None)


def newest(storage: Any) -> None:
    """Items newer than every other, enough to open new pages on each list."""
    weibo = SOURCES[1]
    store(storage, weibo, [make_item(weibo, n) for n in range(40, 47)])


def older(storage: Any) -> None:
    """Items dated before most of the archive: every page after them shifts."""
    zhihu = SOURCES[0]
    store(
        storage, zhihu, [make_item(zhihu, n, published=START - timedelta(days=n)) for n in (1, 2)]
    )


def new_source(storage: Any) -> None:
    """A new source in a new category below an existing one, in both months."""
    storage.sync_sources([*SOURCES, NEW])
    items = [make_item(NEW, n) for n in (2, 5, 30)]
    store(storage, NEW, items)


def one(storage: SQLiteStorage) -> None:
    github = SOURCES[2]
    store(storage, github, [make_item(github, 60)])


@pytest.mark.parametrize("change", [newest, older, new_source, one])
def test_a_build_after_new_items_reads_only_the_tail_and_equals_a_full_build(
    tmp_path: Path,
    built: tuple[SQLiteStorage, Settings],
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[SQLiteStorage], None],
) -> None:
    storage, settings = built
    change(storage)
    counted = Counted(storage, monkeypatch)
    report = build_site(settings, storage, now=NOW)
    assert (report.error, counted.passes) == (None, 0)
    assert report.written > 0
    same_as_full(tmp_path, storage, settings)


def test_round_after_round_of_new_items_stays_on_the_tail(
    tmp_path: Path, built: tuple[SQLiteStorage, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    storage, settings = built
    counted = Counted(storage, monkeypatch)
    storage.sync_sources([*SOURCES, NEW])
    for round in range(6):
        spec = (SOURCES[0], NEW, SOURCES[2])[round % 3]
        store(storage, spec, [make_item(spec, 100 + round * 3 + k) for k in range(round + 1)])
        assert build_site(settings, storage, now=NOW).error is None
    assert counted.passes == 0
    same_as_full(tmp_path, storage, settings)


def test_an_edited_item_takes_the_full_pass_and_still_equals_a_full_build(
    tmp_path: Path, built: tuple[SQLiteStorage, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    storage, settings = built
    zhihu = SOURCES[0]
    store(storage, zhihu, [make_item(zhihu, 3, title="改过的标题"), make_item(zhihu, 50)])
    counted = Counted(storage, monkeypatch)
    assert build_site(settings, storage, now=NOW).error is None
    assert counted.passes == 1
    same_as_full(tmp_path, storage, settings)


def test_a_removed_item_takes_the_full_pass(
    tmp_path: Path, built: tuple[SQLiteStorage, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    storage, settings = built
    github = SOURCES[2]
    store(storage, github, [make_item(github, 61)])
    oldest = min(storage.site_marks(0), key=lambda m: m.date)
    storage.purge_items([oldest.id])
    counted = Counted(storage, monkeypatch)
    assert build_site(settings, storage, now=NOW).error is None
    assert counted.passes == 1


def test_a_changed_list_page_deleted_by_hand_is_written_again_by_a_tail_build(
    tmp_path: Path, built: tuple[SQLiteStorage, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tail build looks only at the pages from a list's oldest new item on (a full or a
    forced build checks every page's file)."""
    storage, settings = built
    root = settings.site_dir or tmp_path
    newest_page = root / "page" / "4" / "index.html"  # 14 items, 4 per page
    newest_page.unlink()
    one(storage)
    counted = Counted(storage, monkeypatch)
    assert build_site(settings, storage, now=NOW).error is None
    assert counted.passes == 0
    assert newest_page.is_file()
    same_as_full(tmp_path, storage, settings)


def test_on_postgresql_a_tail_build_equals_a_forced_full_build(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hotpress._storage import open_storage

    settings = replace(sample_settings(tmp_path), sources=(*SOURCES, NEW), database=pg_url)
    with open_storage(pg_url) as storage:
        storage.sync_sources(SOURCES)
        for index, spec in enumerate(SOURCES):
            count = (6, 5, 3)[index]
            store(storage, spec, [make_item(spec, n * 3 + index) for n in range(count)])
        assert build_site(settings, storage, now=NOW).error is None
        counted = Counted(storage, monkeypatch)
        for change in (newest, new_source, older):
            change(storage)
            assert build_site(settings, storage, now=NOW).error is None
        assert counted.passes == 0
        forced = build_site(settings, storage, now=NOW, force=True)
        assert (forced.written, forced.error) == (0, None)


@pytest.mark.parametrize(
    "path",
    [
        (),
        ("基准", "源3", "频道1-2"),
        ('引号"',),
        ("a\\b", "c"),
        ("x\ny",),
        ("\u2028", "\x7f"),
        ("",),
    ],
)
def test_a_category_key_joined_by_hand_is_the_json_one(path: tuple[str, ...]) -> None:
    assert category_key(path) == "c" + json.dumps(list(path), ensure_ascii=False)
