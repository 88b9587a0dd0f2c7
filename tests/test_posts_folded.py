"""Hexo post names chosen as if the disk folded case and Unicode normalization (macOS,
Windows): ``Same Title``/``same title`` and NFC/NFD ``Café`` never share a file there."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from hotpress._publish.folded import fold
from hotpress._publish.posts import publish_hexo
from hotpress._storage import Publication, SQLiteStorage
from hotpress.types import Item, SourceSpec
from test_storage import NOW, SPEC, make_item, ok

FOLDER = "社交媒体/知乎/知乎热榜/"
NFC = unicodedata.normalize("NFC", "Café au lait")
NFD = unicodedata.normalize("NFD", "Café au lait")


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[SQLiteStorage]:
    store = SQLiteStorage(tmp_path / "archive.db")
    store.sync_sources([SPEC])
    yield store
    store.close()


def _store(storage: SQLiteStorage, items: list[Item], spec: SourceSpec = SPEC) -> None:
    storage.save_fetch(spec.key, ok(), items, now=NOW, error=None, next_due=None)


def _item(n: int, title: str) -> Item:
    """An item whose identity's first 8 hex are its own (the suffix a taken name gets)."""
    return replace(make_item(n, title=title), identity=hashlib.sha256(title.encode()).hexdigest())


def _paths(storage: SQLiteStorage) -> dict[str, str]:
    """Title -> published path."""
    return {
        i.title: p
        for i in storage.iter_items()
        for p, owner in storage.publication_paths("hexo")
        if owner == i.id
    }


def _distinct_when_folded(paths: list[str]) -> bool:
    return len({fold(p) for p in paths}) == len(paths)


@pytest.mark.parametrize(
    "titles",
    [
        ["Same Title", "same title", "SAME TITLE"],
        [NFC, NFD],
        ["Straße", "STRASSE", "strasse"],  # casefold maps ß to ss
        ["ǅemal", "ǆemal", "Ǆemal"],  # title case
    ],
)
def test_titles_equal_once_folded_get_names_distinct_once_folded(
    tmp_path: Path, storage: SQLiteStorage, titles: list[str]
) -> None:
    _store(storage, [_item(n, t) for n, t in enumerate(titles)])
    report = publish_hexo(storage, tmp_path / "hexo")
    assert (report.written, report.error) == (len(titles), None)
    paths = _paths(storage)
    assert _distinct_when_folded(list(paths.values())), paths
    # The first keeps the plain name; the others get the usual -<8 hex> suffix.
    first, *others = (paths[t] for t in titles)
    assert first == FOLDER + titles[0] + ".md"
    for path in others:
        assert path.startswith(FOLDER) and re.search(r"-[0-9a-f]{8}\.md$", path), path
    for title, path in paths.items():
        assert title in (tmp_path / "hexo" / path).read_text(encoding="utf-8")


def test_categories_equal_once_folded_do_not_share_a_post_name(
    tmp_path: Path, storage: SQLiteStorage
) -> None:
    upper = SourceSpec("/hn/a", ("Hacker News", "Top"), "http://127.0.0.1:1/a", "HN", "UTC")
    lower = SourceSpec("/hn/b", ("hacker news", "top"), "http://127.0.0.1:1/b", "HN", "UTC")
    storage.sync_sources([upper, lower])
    _store(storage, [replace(make_item(1, title="Show HN"), source_key=upper.key)], upper)
    _store(storage, [replace(make_item(2, title="Show HN"), source_key=lower.key)], lower)
    assert publish_hexo(storage, tmp_path / "hexo").error is None
    paths = sorted(p for p, _ in storage.publication_paths("hexo"))
    assert len(paths) == 2 and _distinct_when_folded(paths), paths


def test_a_file_on_disk_that_folds_like_the_name_is_not_overwritten(
    tmp_path: Path, storage: SQLiteStorage
) -> None:
    root = tmp_path / "hexo"
    (root / FOLDER).mkdir(parents=True)
    foreign = root / FOLDER / "same title.md"
    foreign.write_text("someone's own post", encoding="utf-8")
    _store(storage, [make_item(1, title="Same Title")])
    assert publish_hexo(storage, root).error is None
    (path,) = _paths(storage).values()
    assert fold(path) != fold(FOLDER + "same title.md")
    assert foreign.read_text(encoding="utf-8") == "someone's own post"


def test_names_recorded_before_stay_as_they_are(tmp_path: Path, storage: SQLiteStorage) -> None:
    # Published by an earlier hotpress on Linux: two names that fold alike, both recorded.
    _store(storage, [make_item(1, title="Same Title"), make_item(2, title="same title")])
    items = {i.title: i for i in storage.iter_items()}
    storage.record_publications(
        "hexo",
        [
            Publication(items["Same Title"].id, 0, 0, FOLDER + "Same Title.md"),
            Publication(items["same title"].id, 0, 0, FOLDER + "same title.md"),
        ],
    )
    assert publish_hexo(storage, tmp_path / "hexo", force=True).error is None
    assert sorted(_paths(storage).values()) == [
        FOLDER + "Same Title.md",
        FOLDER + "same title.md",
    ]
    # A third one now gets a name of its own, once folded too.
    _store(storage, [make_item(3, title="SAME title")])
    assert publish_hexo(storage, tmp_path / "hexo").error is None
    third = _paths(storage)["SAME title"]
    assert fold(third) != fold(FOLDER + "same title.md")
