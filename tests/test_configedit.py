"""Editing the config in place: comments, order and the owner's formatting survive."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from feedserver import FeedServer, Reply
from hotpress import cli
from hotpress._configedit import NewSource, add_sources, remove_source
from hotpress.config import load_settings
from hotpress.exceptions import ConfigError


@pytest.fixture
def starter(tmp_path: Path) -> Path:
    text = resources.files("hotpress").joinpath("data/starter.yml").read_text(encoding="utf-8")
    target = tmp_path / "hotpress.yml"
    target.write_text(text, encoding="utf-8")
    return target


def test_adding_a_source_keeps_every_line_and_appends_at_the_end(starter: Path) -> None:
    before = starter.read_text(encoding="utf-8").splitlines()
    added = add_sources(
        starter, [NewSource(category=("编程", "GitHub", "Trending"), route="github/trending/daily")]
    )
    after = starter.read_text(encoding="utf-8").splitlines()
    assert added == ["/github/trending/daily"]
    assert after[: len(before)] == before
    assert after[len(before) :] == [
        "  - category: [编程, GitHub, Trending]",
        "    route: /github/trending/daily",
    ]
    keys = [s.key for s in load_settings(starter).sources]
    assert keys[-1] == "/github/trending/daily" and len(keys) == 17


def test_a_source_already_in_the_config_is_not_added_twice(starter: Path) -> None:
    text = starter.read_text(encoding="utf-8")
    assert add_sources(starter, [NewSource(category=("x",), route="/zhihu/hot")]) == []
    assert starter.read_text(encoding="utf-8") == text


def test_removing_a_source_keeps_the_comment_introducing_the_next_group(starter: Path) -> None:
    before = starter.read_text(encoding="utf-8").splitlines()
    assert remove_source(starter, "/weibo/search/hot")
    after = starter.read_text(encoding="utf-8").splitlines()
    gone = [line for line in before if line not in after]
    assert gone == [
        "  - category: [社交媒体, 微博, 热搜榜]",
        "    route: /weibo/search/hot       # needs cookies: WEIBO_COOKIES on the RSSHub side",
    ]  # (its `interval: 15` and `hotlist: true` lines also go; other sources have them too)
    assert len(after) == len(before) - 4
    assert "  # 编程" in after
    assert "/weibo/search/hot" not in {s.key for s in load_settings(starter).sources}


def test_removing_an_unknown_source_changes_nothing(starter: Path) -> None:
    text = starter.read_text(encoding="utf-8")
    assert not remove_source(starter, "/nope")
    assert starter.read_text(encoding="utf-8") == text


def test_an_edit_that_would_break_the_config_is_refused(starter: Path) -> None:
    text = starter.read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match="category level"):
        add_sources(starter, [NewSource(category=("a", ".."), route="/x")])
    assert starter.read_text(encoding="utf-8") == text


def test_add_takes_the_category_path_from_the_rsshub_catalog(
    tmp_path: Path, feed_server: FeedServer, corpora: Path
) -> None:
    feed_server.route(
        "/api/namespace",
        Reply(body=(corpora / "rsshub" / "api_namespace.json").read_bytes()),
    )
    config = tmp_path / "hotpress.yml"
    config.write_text(
        f"# my feeds\nrsshub: {feed_server.url('/').rstrip('/')}\nsources: []\n", encoding="utf-8"
    )
    assert cli.main(["add", "-q", "/zhihu/hot", "--interval", "15", "-c", str(config)]) == 0
    (spec,) = load_settings(config).sources
    assert spec.category == ("社交媒体", "知乎", "知乎热榜")
    assert spec.interval_minutes == 15
    assert config.read_text(encoding="utf-8").startswith("# my feeds\n")


def test_add_with_an_explicit_category_and_a_url_needs_no_rsshub(tmp_path: Path) -> None:
    config = tmp_path / "hotpress.yml"
    config.write_text("sources:\n  - category: [a]\n    url: a.xml\n", encoding="utf-8")
    url = "https://example.com/feed.xml"
    assert cli.main(["add", "-q", url, "--category", "编程 / 例子 / 全部", "-c", str(config)]) == 0
    spec = load_settings(config).sources[-1]
    assert (spec.key, spec.category) == (url, ("编程", "例子", "全部"))
    assert cli.main(["add", "-q", "https://example.com/other.xml", "-c", str(config)]) == 1


def test_remove_command_exits_1_for_an_unknown_source(starter: Path) -> None:
    assert cli.main(["remove", "-q", "/nope", "-c", str(starter)]) == 1
    assert cli.main(["remove", "-q", "/zhihu/daily", "-c", str(starter)]) == 0
    assert "/zhihu/daily" not in {s.key for s in load_settings(starter).sources}
