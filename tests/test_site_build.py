"""The static site built from a small sample archive: golden output, links, feeds, increments.

Regenerate the golden site after an intended template change with
``python -m tests.golden.regen`` (then review the diff).
"""

from __future__ import annotations

import difflib
import json
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from lxml import etree, html

from golden.regen import GOLDEN, golden_files
from golden.sample import SOURCES, START, make_item, sample_archive, sample_settings, store
from hotpress._site import build_site
from hotpress._site.urls import category_dir, item_file
from hotpress._storage.sqlite import SQLiteStorage
from hotpress.config import parse_settings
from hotpress.exceptions import ConfigError
from hotpress.types import StoredItem


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[SQLiteStorage]:
    storage = sample_archive(tmp_path / "hotpress.db")
    yield storage
    storage.close()


@pytest.fixture
def site(tmp_path: Path, archive: SQLiteStorage) -> Path:
    report = build_site(sample_settings(tmp_path), archive)
    assert report.error is None
    return tmp_path / "public"


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    return {
        p.relative_to(root).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
        for p in root.rglob("*")
        if p.is_file()
    }


def test_the_sample_archive_builds_to_the_golden_site(site: Path) -> None:
    built, golden = golden_files(site), golden_files(GOLDEN)
    assert sorted(built) == sorted(golden), "run `python -m tests.golden.regen` and review"
    for rel, data in built.items():
        if data != golden[rel]:
            diff = difflib.unified_diff(
                golden[rel].decode().splitlines(), data.decode().splitlines(), lineterm=""
            )
            pytest.fail(f"{rel} differs from the golden file:\n" + "\n".join(list(diff)[:40]))


def internal_targets(root: Path) -> Iterator[tuple[str, str]]:
    for page in root.rglob("*.html"):
        tree = html.parse(str(page))
        for element in tree.iter():
            for attr in ("href", "src"):
                value = element.get(attr)
                if value and not urlsplit(value).scheme and not value.startswith("mailto:"):
                    yield page.relative_to(root).as_posix(), value


def resolves(root: Path, url: str) -> bool:
    path = urlsplit(url).path
    assert path.startswith("/"), f"relative link {url!r}: every internal link is root-relative"
    target = root / path.lstrip("/")
    return (target / "index.html").is_file() if path.endswith("/") else target.is_file()


def test_every_internal_link_and_sitemap_entry_resolves_to_a_built_file(site: Path) -> None:
    links = list(internal_targets(site))
    assert len(links) > 500
    broken = [(page, url) for page, url in links if not resolves(site, url)]
    assert broken == []
    index = etree.parse(str(site / "sitemap.xml")).getroot()
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    parts = [loc.text or "" for loc in index.findall("s:sitemap/s:loc", ns)]
    locs = [
        loc.text or ""
        for part in parts
        for loc in etree.parse(str(site / urlsplit(part).path.lstrip("/")))
        .getroot()
        .iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
    ]
    assert len(locs) > 14
    assert all(loc.startswith("https://news.example.com/") for loc in locs)
    assert [loc for loc in locs if not resolves(site, urlsplit(loc).path)] == []


def test_no_output_path_holds_non_ascii_or_percent_encoding(site: Path) -> None:
    names = [p.relative_to(site).as_posix() for p in site.rglob("*")]
    assert [n for n in names if not n.isascii() or "%" in n] == []


def expected_entries(archive: SQLiteStorage, category: tuple[str, ...]) -> list[StoredItem]:
    items = archive.iter_items(newest_first=True)
    return [i for i in items if i.category[: len(category)] == category][:30]


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
@pytest.mark.parametrize("category", [(), ("社交媒体", "微博")])
def test_rss_and_atom_feeds_round_trip_through_feedparser(
    site: Path, archive: SQLiteStorage, name: str, category: tuple[str, ...]
) -> None:
    folder = category_dir(category) + "/" if category else ""
    parsed = feedparser.parse((site / folder / name).read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    expected = expected_entries(archive, category)
    assert [e.title for e in parsed.entries] == [i.title for i in expected]
    assert [e.link for e in parsed.entries] == [
        f"https://news.example.com/{item_file(i.identity)}" for i in expected
    ]
    dates = [e.published_parsed[:6] for e in parsed.entries]
    assert dates == [i.date.utctimetuple()[:6] for i in expected]
    assert parsed.feed.title.endswith("小冰 RSSHub")
    first = parsed.entries[0]
    body = first.content[0].value if "content" in first else first.summary
    assert body == expected[0].content


@pytest.mark.parametrize("category", [(), ("社交媒体", "微博")])
def test_the_json_feed_is_version_1_1_with_the_same_items(
    site: Path, archive: SQLiteStorage, category: tuple[str, ...]
) -> None:
    # feedparser does not read JSON Feed, so the document is checked against the spec's keys.
    folder = category_dir(category) + "/" if category else ""
    doc = json.loads((site / folder / "feed.json").read_text())
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["feed_url"] == f"https://news.example.com/{folder}feed.json"
    expected = expected_entries(archive, category)
    assert [(e["title"], e["url"], e["content_html"]) for e in doc["items"]] == [
        (i.title, f"https://news.example.com/{item_file(i.identity)}", i.content) for i in expected
    ]
    stamps = [datetime.fromisoformat(e["date_published"]) for e in doc["items"]]
    assert stamps == [i.date for i in expected]


def test_a_build_over_an_unchanged_archive_writes_no_file(
    tmp_path: Path, site: Path, archive: SQLiteStorage
) -> None:
    before = snapshot(site)
    settings = sample_settings(tmp_path)
    assert build_site(settings, archive).written == 0
    # Even a forced build, which renders every page again, finds every file's bytes equal.
    forced = build_site(settings, archive, force=True)
    assert (forced.written, forced.error) == (0, None)
    assert snapshot(site) == before


def test_adding_one_item_rewrites_only_the_pages_it_touches(
    tmp_path: Path, site: Path, archive: SQLiteStorage
) -> None:
    weibo = SOURCES[1]
    before = snapshot(site)
    newest_weibo = make_item(weibo, 13)
    added = make_item(weibo, 20)
    store(archive, weibo, [added])
    report = build_site(sample_settings(tmp_path), archive)
    after = snapshot(site)
    changed = {p for p in after if before.get(p, (0, b""))[1] != after[p][1]}
    touched = {p for p in after if before.get(p) != after[p]}
    assert touched == changed, "a file was rewritten with the same bytes"
    assert report.written == len(changed)
    # per_page 4. Counts before -> after: all 14 -> 15 (newest page 4), 社交媒体 11 -> 12
    # (page 3), 微博 and 微博热搜 5 -> 6 (page 2), February 9 -> 10 (page 3).
    lists = {
        "": 4,
        category_dir(weibo.category[:1]) + "/": 3,
        category_dir(weibo.category[:2]) + "/": 2,
        category_dir(weibo.category) + "/": 2,
        "archives/2024/02/": 3,
    }
    expected = {
        item_file(added.identity),
        item_file(newest_weibo.identity),  # gains a "newer" link
        "categories/index.html",
        "archives/index.html",
        "archives/2024/index.html",
        "sitemap.xml",
        "sitemap-items-1.xml",
    }
    for base, page in lists.items():
        expected |= {f"{base}{n}" for n in ("index.html", "feed.xml", "atom.xml", "feed.json")}
        expected.add(f"{base}page/{page}/index.html")
    assert {p for p in changed if not p.startswith("search-index/")} == expected
    assert any(p.startswith("search-index/d/") for p in changed), "the search index is updated"


def test_an_edited_title_keeps_the_item_url_and_updates_its_cards(
    tmp_path: Path, site: Path, archive: SQLiteStorage
) -> None:
    zhihu = SOURCES[0]
    edited = make_item(zhihu, 15, title="改过的标题")
    store(archive, zhihu, [edited])
    build_site(sample_settings(tmp_path), archive)
    page = (site / item_file(edited.identity)).read_text()
    assert "<h1>改过的标题</h1>" in page
    assert "改过的标题" in (site / "index.html").read_text()
    assert len(list((site / "items").iterdir())) == 14


def test_a_theme_folder_overrides_single_templates_and_static_files(
    tmp_path: Path, archive: SQLiteStorage
) -> None:
    theme = tmp_path / "mytheme"
    (theme / "templates").mkdir(parents=True)
    (theme / "static").mkdir()
    (theme / "templates" / "404.html").write_text("<p>自定义 404</p>")
    (theme / "static" / "style.css").write_text("body{color:red}")
    build_site(sample_settings(tmp_path, theme=str(theme)), archive)
    site = tmp_path / "public"
    assert (site / "404.html").read_text() == "<p>自定义 404</p>"
    assert (site / "static" / "style.css").read_text() == "body{color:red}"
    assert (site / "static" / "site.js").is_file()  # not overridden: the bundled one
    assert '<article class="card">' in (site / "index.html").read_text()


def test_an_empty_archive_builds_a_home_page_and_valid_feeds(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "hotpress.db")
    try:
        report = build_site(sample_settings(tmp_path), storage)
    finally:
        storage.close()
    assert report.error is None
    assert (tmp_path / "public" / "index.html").is_file()
    doc = json.loads((tmp_path / "public" / "feed.json").read_text())
    assert doc["items"] == []


def test_an_undated_old_item_lands_in_its_month_and_counts(
    tmp_path: Path, archive: SQLiteStorage, site: Path
) -> None:
    github = SOURCES[2]
    store(archive, github, [make_item(github, 99, published=START - timedelta(days=400))])
    build_site(sample_settings(tmp_path), archive)
    archives = (site / "archives" / "index.html").read_text()
    assert 'href="/archives/2022/12/"' in archives
    assert (site / "archives" / "2022" / "12" / "index.html").is_file()


def test_two_new_items_sharing_a_url_prefix_get_distinct_stable_pages(
    tmp_path: Path, site: Path, archive: SQLiteStorage
) -> None:
    first = make_item(SOURCES[0], 31)
    second = make_item(SOURCES[2], 32)
    store(archive, SOURCES[0], [first])
    store(archive, SOURCES[2], [second])
    # Force the rare case: both identities start with the same 12 hex digits.
    shared = "abcdef012345"
    for item, tail in ((first, "1" * 20), (second, "2" * 20)):
        archive._db.execute(
            "UPDATE items SET identity = ? WHERE identity = ?", (shared + tail, item.identity)
        )
    assert build_site(sample_settings(tmp_path), archive).error is None
    older, newer = site / f"items/{shared}.html", site / f"items/{shared}{'2' * 20}.html"
    assert first.title in older.read_text() and second.title in newer.read_text()
    # The neighbour that gained a "newer" link points at the long path, and every link
    # (prev/next included) resolves.
    linked = [target for _, target in internal_targets(site)]
    assert f"/items/{shared}{'2' * 20}.html" in linked
    assert [t for t in linked if not resolves(site, t)] == []
    # A later build keeps both paths.
    assert build_site(sample_settings(tmp_path), archive, force=True).written == 0


def test_a_site_with_one_feed_no_archives_and_no_search_has_only_those_pages(
    tmp_path: Path, archive: SQLiteStorage
) -> None:
    settings = sample_settings(
        tmp_path, feeds=("rss",), list_feeds=False, archives=False, search=False
    )
    assert build_site(settings, archive).error is None
    root = tmp_path / "public"
    names = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert [n for n in names if n.endswith(("feed.xml", "atom.xml", "feed.json"))] == ["feed.xml"]
    assert not [n for n in names if n.startswith(("archives/", "search/", "search-index/"))]
    assert (root / "categories" / "index.html").is_file()
    assert [(page, url) for page, url in internal_targets(root) if not resolves(root, url)] == []
    home = (root / "index.html").read_text()
    assert "/archives/" not in home and "/search/" not in home
    assert home.count('rel="alternate"') == 1
    category = next(root.glob("c/*/index.html")).read_text()
    assert 'rel="alternate"' not in category
    assert ">RSS</a>" in category and "Atom" not in category


def test_turning_archives_back_on_rebuilds_the_month_lists(
    tmp_path: Path, archive: SQLiteStorage
) -> None:
    assert build_site(sample_settings(tmp_path, archives=False), archive).error is None
    root = tmp_path / "public"
    assert not (root / "archives").exists()
    report = build_site(sample_settings(tmp_path), archive)
    assert report.error is None and report.written > 0
    assert (root / "archives" / "index.html").is_file()
    built, golden = golden_files(root), golden_files(GOLDEN)
    assert sorted(built) == sorted(golden)
    assert [rel for rel, data in built.items() if data != golden[rel]] == []


def test_a_feed_format_named_twice_is_a_config_error_with_its_line(tmp_path: Path) -> None:
    text = "output:\n  site: public\nsite:\n  feeds: [rss, rss]\n"
    with pytest.raises(ConfigError, match="each feed format once") as caught:
        parse_settings(text, tmp_path / "hotpress.yml")
    assert caught.value.line == 4


def test_a_deleted_output_folder_is_built_again_in_full(
    tmp_path: Path, archive: SQLiteStorage, site: Path
) -> None:
    shutil.rmtree(site)
    report = build_site(sample_settings(tmp_path), archive)
    assert report.error is None
    built, golden = golden_files(site), golden_files(GOLDEN)
    assert sorted(built) == sorted(golden)
    assert [rel for rel, data in built.items() if data != golden[rel]] == []
