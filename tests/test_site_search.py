"""The site's own search index: keys, segment files, lookups, and segment-wise updates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from golden.sample import SOURCES, make_item, sample_archive, sample_settings, store
from hotpress._site import build_site, search
from hotpress._site.search import Doc, bucket, lookup, query_keys, segment_files


def _doc(item_id: int, title: str, body: str) -> Doc:
    return Doc(item_id, f"/items/{item_id}.html", title, "2024-02-01", "科技 / 汽车", body)


def _find(files: dict[str, bytes], segment: int, query: str) -> set[int]:
    """What the browser does: every key's positions, intersected."""
    hits: set[int] | None = None
    for key in query_keys(query):
        found = set(lookup(files[f"search-index/{segment}/{bucket(key)}.bin"], key))
        hits = found if hits is None else hits & found
    return hits or set()


def test_a_chinese_word_inside_a_body_finds_its_item_and_no_other() -> None:
    files = dict(
        segment_files(
            0,
            [
                _doc(3, "天气", "<p>今日北京天气晴朗，气温回升。</p>"),
                _doc(1, "新能源", "<p>城市新建了一批<b>充电桩</b>，方便车主。</p>"),
                _doc(2, "电力", "<p>充电宝与桩基础工程。</p>"),
            ],
        )
    )
    docs = json.loads(files["search-index/0/docs.json"])
    assert [d[0] for d in docs] == ["/items/1.html", "/items/2.html", "/items/3.html"]
    assert _find(files, 0, "充电桩") == {0}
    assert _find(files, 0, "充电") == {0, 1}
    assert _find(files, 0, "气温 北京") == {2}
    assert _find(files, 0, "充电桩 北京") == set()


def test_latin_words_match_whole_words_in_any_case() -> None:
    files = dict(segment_files(0, [_doc(1, "GitHub Trending", "<p>Rust 1.80 released</p>")]))
    assert _find(files, 0, "github") == {0}
    assert _find(files, 0, "RUST 1") == {0}
    assert _find(files, 0, "rus") == set()


def test_keys_of_bigrams_and_words_never_collide() -> None:
    bigrams = query_keys("充电桩")
    words = query_keys("tesla model 3")
    assert len(bigrams) == 2 and len(words) == 3
    assert min(bigrams) >= 0x30400000 > max(words)


def test_every_bucket_file_exists_even_when_empty() -> None:
    files = dict(segment_files(7, [_doc(7001, "短", "<p>一</p>")]))
    assert {f"search-index/7/{n}.bin" for n in range(search.BUCKETS)} <= set(files)
    assert lookup(files["search-index/7/0.bin"], 123) == []


def test_adding_an_item_rewrites_only_the_newest_segment_and_the_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "SEGMENT", 5)  # the 14 sample items span segments 0-2
    storage = sample_archive(tmp_path / "hotpress.db")
    try:
        settings = sample_settings(tmp_path)
        build_site(settings, storage)
        root = tmp_path / "public" / search.FOLDER
        manifest = json.loads((root / "index.json").read_text())
        assert [s[0] for s in manifest["segments"]] == [2, 1, 0]
        before = {p: p.read_bytes() for p in root.rglob("*.*")}
        added = make_item(SOURCES[0], 30, body="<p>新增一条关于量子计算机的报道。</p>")
        store(storage, SOURCES[0], [added])
        build_site(settings, storage)
        after = {p: p.read_bytes() for p in root.rglob("*.*")}
        changed = {p.relative_to(root).parts[0] for p in after if before.get(p) != after[p]}
        assert changed == {"3", "index.json"}
        files = {p.relative_to(root.parent).as_posix(): data for p, data in after.items()}
        docs = json.loads(files["search-index/3/docs.json"])
        assert [docs[p][1] for p in _find(files, 3, "量子计算")] == [added.title]
        assert _find(files, 0, "量子计算") == set()
    finally:
        storage.close()
