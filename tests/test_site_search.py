"""The site's own search index: keys, shard files, lookups, and level-wise updates."""

from __future__ import annotations

import dataclasses
import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from golden.sample import SOURCES, make_item, sample_archive, sample_settings, store
from hotpress._site import build_site, search, searchindex
from hotpress._site.search import Doc, postings, query_keys, read_shard, shard_of
from hotpress._site.searchindex import record, texts
from hotpress._site.searchlevel import SHARD_BYTES, level_files


def _doc(item_id: int, title: str, body: str) -> Doc:
    return Doc(item_id, f"/items/{item_id}.html", title, "2024-02-01", "科技 / 汽车", body)


def _level(docs: list[Doc]) -> tuple[int, dict[str, bytes]]:
    shards, files = level_files([postings([texts(record(d)) for d in docs])], "x/")
    return shards, dict(files)


def _find(level: tuple[int, dict[str, bytes]], query: str) -> set[int]:
    """Every key's head postings, intersected (the browser's candidates, before its check)."""
    shards, files = level
    hits: set[int] | None = None
    for key in query_keys(query):
        _, found = read_shard(files[f"x/{shard_of(key, shards)}.bin"], key)
        ids = {ident for ident, _ in found}
        hits = ids if hits is None else hits & ids
    return hits or set()


def test_a_chinese_word_in_the_lead_finds_its_item_and_no_other() -> None:
    level = _level(
        [
            _doc(3, "天气", "<p>今日北京天气晴朗，气温回升。</p>"),
            _doc(1, "新能源", "<p>城市新建了一批<b>充电桩</b>，方便车主。</p>"),
            _doc(2, "电力", "<p>充电宝与桩基础工程。</p>"),
        ]
    )
    assert _find(level, "充电桩") == {1}
    assert _find(level, "充电") == {1, 2}
    assert _find(level, "气温 北京") == {3}
    assert _find(level, "充电桩 北京") == set()


def test_postings_run_newest_first_and_flag_title_matches() -> None:
    docs = [_doc(n, "芯片" if n % 2 else "其他", "<p>本文谈到芯片产业。</p>") for n in range(1, 7)]
    shards, files = _level(docs)
    key = (ord("芯") << 16) | ord("片")
    count, found = read_shard(files[f"x/{shard_of(key, shards)}.bin"], key)
    assert count == 6
    assert [i for i, _ in found] == [6, 5, 4, 3, 2, 1]
    assert [t for _, t in found] == [False, True, False, True, False, True]


def test_a_single_character_is_a_term_of_titles_only() -> None:
    level = _level([_doc(1, "猫", "<p>狗</p>"), _doc(2, "别的", "<p>猫咪</p>")])
    assert _find(level, "猫") == {1}
    assert _find(level, "狗") == set()


def test_only_the_lead_of_a_long_body_is_indexed() -> None:
    body = "<p>" + "甲乙" * search.LEAD + "</p><p>深处的词</p>"
    level = _level([_doc(1, "长文", body)])
    assert _find(level, "甲乙") == {1}
    assert _find(level, "深处") == set()
    assert searchindex.lead(_doc(1, "长文", body)) == ("甲乙" * search.LEAD)[: search.LEAD]


def test_latin_words_match_whole_words_in_any_case() -> None:
    level = _level([_doc(1, "GitHub Trending", "<p>Rust 1.80 released</p>")])
    assert _find(level, "github") == {1}
    assert _find(level, "RUST 1") == {1}
    assert _find(level, "rus") == set()


def test_keys_of_bigrams_chars_and_words_never_collide() -> None:
    bigrams = query_keys("充电桩")
    words = query_keys("tesla model 3")
    char = query_keys("猫")
    assert len(bigrams) == 2 and len(words) == 3 and len(char) == 1
    assert min(bigrams) >= 0x30400000 > max(char) >= 0x30000000 > max(words)


def test_a_common_term_keeps_its_newest_postings_in_its_shard_and_the_rest_in_pages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(search, "PAGE", 4)
    monkeypatch.setattr(search, "MORE", 3)
    shards, files = _level([_doc(n, "发布会", "<p>无</p>") for n in range(1, 11)])
    key = (ord("发") << 16) | ord("布")
    shard = shard_of(key, shards)
    count, head = read_shard(files[f"x/{shard}.bin"], key)
    assert count == 10 and [i for i, _ in head] == [10, 9, 8, 7]
    assert [i for i, _ in read_shard(files[f"x/more/{shard}-1.bin"], key)[1]] == [6, 5, 4]
    assert [i for i, _ in read_shard(files[f"x/more/{shard}-2.bin"], key)[1]] == [3, 2, 1]


def test_shard_files_stay_small_as_the_archive_grows() -> None:
    hanzi = "天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏闰余成岁律吕调阳云腾致雨露结为霜"

    def docs(count: int) -> list[Doc]:
        return [
            _doc(
                n,
                f"标题{n}",
                "<p>" + "".join(hanzi[(n * k + k * k) % len(hanzi)] for k in range(80)) + "</p>",
            )
            for n in range(count)
        ]

    few_shards, _ = _level(docs(100))
    many_shards, many = _level(docs(20_000))
    assert many_shards > few_shards
    assert max(map(len, many.values())) < 2.5 * SHARD_BYTES


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*.*")}


def test_adding_an_item_rewrites_its_records_the_delta_and_the_manifest_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(searchindex, "SEGMENT", 10)  # the 14 sample items span segments 0-1
    storage = sample_archive(tmp_path / "hotpress.db")
    try:
        settings = sample_settings(tmp_path)
        build_site(settings, storage)
        root = tmp_path / "public" / search.FOLDER
        manifest = json.loads((root / "index.json").read_text())
        assert manifest["delta"] is None and sorted(manifest["segs"]) == ["0", "1"]
        before = _tree(root)
        added = make_item(SOURCES[0], 30, body="<p>新增一条关于量子计算机的报道。</p>")
        store(storage, SOURCES[0], [added])
        build_site(settings, storage)
        after = _tree(root)
        changed = {p for p in after if before.get(p) != after[p]}
        assert not [p for p in changed if p.startswith("b/")], "the base level is kept"
        assert {p.split("/")[0] for p in changed} == {"d", "docs", "index.json"}
        manifest = json.loads(after["index.json"])
        shards = manifest["delta"][0]
        key = (ord("量") << 16) | ord("子")
        _, found = read_shard(after[f"d/{shard_of(key, shards)}.bin"], key)
        (new_id,) = [i for i, _ in found]
        chunk = gzip.decompress(after[f"docs/{new_id // searchindex.DOCS}.bin"])
        record = next(r for r in json.loads(chunk) if r[0] == new_id)
        assert record[2] == added.title and "量子计算机" in record[5]
        # Past MERGE items in the delta, the next build folds it into the base.
        monkeypatch.setattr(searchindex, "MERGE", 0)
        more = make_item(SOURCES[0], 31, body="<p>又一条。</p>")
        store(storage, SOURCES[0], [more])
        build_site(settings, storage)
        manifest = json.loads((root / "index.json").read_text())
        assert manifest["delta"] is None
        shards = manifest["base"][0]
        _, found = read_shard((root / f"b/{shard_of(key, shards)}.bin").read_bytes(), key)
        assert [i for i, _ in found] == [new_id]
    finally:
        storage.close()


def test_the_category_list_is_a_file_of_its_own_rewritten_when_a_category_changes(
    tmp_path: Path,
) -> None:
    storage = sample_archive(tmp_path / "hotpress.db")
    try:
        settings = sample_settings(tmp_path)
        build_site(settings, storage)
        root = tmp_path / "public" / search.FOLDER
        manifest = json.loads((root / "index.json").read_text())
        paths = json.loads(gzip.decompress((root / "cats.bin").read_bytes()))
        assert paths == sorted(" / ".join(s.category) for s in SOURCES)
        assert isinstance(manifest["cats"], str), "index.json names the list, not its paths"
        written = (root / "cats.bin").stat().st_mtime_ns
        build_site(settings, storage)
        assert (root / "cats.bin").stat().st_mtime_ns == written
        renamed = dataclasses.replace(SOURCES[0], category=("社交媒体", "知乎", "改名"))
        storage.sync_sources([renamed, *SOURCES[1:]])
        build_site(settings, storage)
        again = json.loads((root / "index.json").read_text())
        assert again["cats"] != manifest["cats"]
        paths = json.loads(gzip.decompress((root / "cats.bin").read_bytes()))
        assert "社交媒体 / 知乎 / 改名" in paths and "社交媒体 / 知乎 / 知乎热榜" not in paths
    finally:
        storage.close()


def test_a_category_and_its_ancestors_are_terms_of_every_item_in_it() -> None:
    docs = [
        Doc(1, "/1", "一", "2024-01-01", "科技 / 汽车", "<p>无</p>"),
        Doc(2, "/2", "二", "2024-01-01", "科技 / 手机", "<p>无</p>"),
        Doc(3, "/3", "三", "2024-01-01", "体育", "<p>无</p>"),
    ]
    shards, files = _level(docs)

    def members(path: str) -> set[int]:
        key = search.category_keys(path)[-1]
        return {i for i, _ in read_shard(files[f"x/{shard_of(key, shards)}.bin"], key)[1]}

    assert members("科技") == {1, 2}
    assert members("科技 / 汽车") == {1}
    assert members("体育") == {3}
    assert search.category_keys("") == []


def test_a_level_built_in_groups_equals_one_built_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from hotpress._site import searchlevel

    docs = [
        _doc(n, f"第{n}条 发布会", f"<p>今日{n % 7}号新闻：充电桩与芯片。</p>") for n in range(300)
    ]
    parts = [postings([texts(record(d)) for d in docs[i : i + 50]]) for i in range(0, 300, 50)]
    whole = level_files(parts, "x/", total=0)
    monkeypatch.setattr(searchlevel, "GROUP_POSTINGS", 100)
    grouped = level_files(parts, "x/", total=len(np.concatenate(parts)))
    assert grouped[0] > whole[0]  # a shard never spans two groups

    def terms(level: tuple[int, list[tuple[str, bytes]]]) -> dict[int, object]:
        shards, files = level[0], dict(level[1])
        keys = {int(k) for k in np.concatenate(parts) >> np.uint64(32)}
        return {k: read_shard(files[f"x/{shard_of(k, shards)}.bin"], k) for k in keys}

    assert terms(grouped) == terms(whole)
    capped = searchlevel.Level(parts, "x/", total=10**9)
    assert capped.shards == 1 << 10  # at most 1,024 groups
    assert sum(1 for _ in capped.files()) == capped.shards
