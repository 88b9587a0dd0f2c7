"""Category folders on the site: unique per category path (as a case-folding disk compares
names), stored and never changed, and a collision never stops a build."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from lxml import html

from golden.sample import SOURCES, make_item, sample_archive, sample_settings, store
from hotpress._catalog import parse_namespaces
from hotpress._site import build_site
from hotpress._site.slugs import assign_dirs, fold
from hotpress._storage.sqlite import SQLiteStorage
from hotpress.config import parse_settings
from hotpress.types import SourceSpec

_TZ = "Asia/Shanghai"
HN = (("Hacker News", "Top"), ("hacker news", "top"), ("Hacker-News", "TOP"))


def spec(n: int, category: tuple[str, ...]) -> SourceSpec:
    return SourceSpec(f"/hn/{n}", category, f"https://r.test/hn{n}", "HN", _TZ)


def test_colliding_names_get_distinct_folders_the_first_keeping_the_plain_slug() -> None:
    dirs = assign_dirs(HN, {})
    assert dirs[("Hacker News",)] == "c/hacker-news"
    assert dirs[("Hacker News", "Top")] == "c/hacker-news/top"
    folders = [dirs[path] for path in HN]
    assert len({fold(f) for f in folders}) == 3
    assert dirs[("hacker news",)].startswith("c/hacker-news-")
    assert dirs[("Hacker-News",)].startswith("c/hacker-news-")
    # Children keep their own plain slug below their parent's folder.
    assert dirs[("hacker news", "top")] == dirs[("hacker news",)] + "/top"


def test_folders_given_out_never_change_and_are_never_reused() -> None:
    first = assign_dirs([HN[1]], {})  # [hacker news, top] came first: it has the plain slug
    assert first[HN[1]] == "c/hacker-news/top"
    later = assign_dirs([HN[0], HN[1], HN[2]], first)
    assert set(later) & set(first) == set()  # known paths are not given out again
    assert later[("Hacker News",)] != "c/hacker-news"
    # A removed category keeps its folder reserved.
    again = assign_dirs([("HACKER NEWS",)], {**first, **later})
    assert again[("HACKER NEWS",)] not in {*first.values(), *later.values()}


def test_any_pile_of_colliding_names_gets_distinct_folders() -> None:
    names = ["page", "Page", "PAGE", "a b", "a-b", "A_B", "a.b", "", "知乎", "ß", "ss", "SS"]
    names += ["Café", "Cafe\u0301", "CAFÉ", "a" * 300, "A" * 300]
    dirs = assign_dirs([(n,) for n in names if n], {})
    folders = list(dirs.values())
    assert len({fold(f) for f in folders}) == len(folders)
    assert all(f.startswith("c/") and f.isascii() and "/page" not in f for f in folders)
    # A name's hash suffix already taken (by a category named like it) goes to the next one.
    tricky = assign_dirs([("x",), ("X",)], {("x-old",): "c/x-" + _sha8("X")})
    assert len(set(tricky.values())) == 2 and "c/x-" + _sha8("X") not in tricky.values()


def _sha8(name: str) -> str:
    import hashlib

    return hashlib.sha1(name.encode()).hexdigest()[:8]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_site_with_colliding_categories_builds_and_keeps_its_folders(
    tmp_path: Path, workers: int
) -> None:
    storage = sample_archive(tmp_path / "hotpress.db")
    specs = tuple(spec(n, path) for n, path in enumerate(HN))
    storage.sync_sources(specs)
    for n, s in enumerate(specs):
        store(storage, s, [make_item(s, 100 + n, title=f"HN item {n}")])
    # workers=2: the item and list pages are rendered by worker processes.
    settings = replace(sample_settings(tmp_path, workers=workers), sources=SOURCES + specs)
    report = build_site(settings, storage)
    assert report.error is None
    public = tmp_path / "public"
    dirs = storage.site_category_dirs()
    for n, path in enumerate(HN):
        page = public / dirs[path] / "index.html"
        text = page.read_text(encoding="utf-8")
        assert f"HN item {n}" in text
        assert all(f"HN item {m}" not in text for m in range(3) if m != n)
    # The golden site's own categories kept their plain slugs.
    assert dirs[("Tech", "GitHub Trending")] == "c/tech/github-trending"
    # Each item page's breadcrumbs link to its own category's folder.
    links = _crumb_links(public, "HN item 1")
    assert "/" + dirs[HN[1]] + "/" in links
    # A later category that sorts first, and a fresh build, change no folder.
    newcomer = spec(9, ("HACKER NEWS", "Top"))
    storage.sync_sources([newcomer])
    store(storage, newcomer, [make_item(newcomer, 200, title="HN item 9")])
    settings = replace(settings, sources=(newcomer, *reversed(settings.sources)))
    assert build_site(settings, storage, force=True).error is None
    after = storage.site_category_dirs()
    assert {p: after[p] for p in dirs} == dirs
    assert after[("HACKER NEWS",)] not in dirs.values()
    storage.close()


def _crumb_links(public: Path, title: str) -> set[str]:
    for page in (public / "items").glob("*.html"):
        tree = html.parse(str(page))
        if title in (tree.findtext(".//h1") or ""):
            return {a.get("href") or "" for a in tree.iter("a")}
    raise AssertionError(f"no item page titled {title!r}")


def test_a_nul_in_a_category_level_never_splits_it(tmp_path: Path) -> None:
    settings = parse_settings(
        'sources:\n  - category: ["Hacker\\0News", "T\\x01op"]\n    url: https://x.test/f\n',
        tmp_path / "hotpress.yml",
    )
    assert settings.sources[0].category == ("HackerNews", "Top")
    # A level reaching the site with a NUL (an archive written before) stays one level.
    storage = SQLiteStorage(tmp_path / "hotpress.db")
    nul = spec(1, ("a\0b", "c"))
    storage.sync_sources([nul])
    store(storage, nul, [make_item(nul, 1, title="NUL item")])
    site = replace(sample_settings(tmp_path), sources=(nul,))
    assert build_site(site, storage).error is None
    dirs = storage.site_category_dirs()
    assert set(dirs) == {("a\0b",), ("a\0b", "c")}
    public = tmp_path / "public"
    assert "NUL item" in (public / dirs[("a\0b", "c")] / "index.html").read_text()
    tree = (public / "categories" / "index.html").read_text()
    assert tree.count('href="/c/') == 2  # two levels, not three
    storage.close()


def test_a_nul_in_rsshubs_catalog_names_never_reaches_a_category() -> None:
    routes = parse_namespaces(
        {
            "hn": {
                "name": "Hacker\0News",
                "routes": {
                    "/top": {"name": "T\0op\x85", "categories": ["programming"]},
                    "/new\0": {"name": "\0", "categories": ["pro\0gramming"]},
                },
            }
        }
    )
    assert [r.category for r in routes] == [
        ("编程", "HackerNews", "Top"),
        ("programming", "HackerNews", "/new"),
    ]
