"""Word-group filters (TrendRadar's form): held-back items are archived, not published."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feedserver import FeedServer, RecordedRequest, Reply
from hotpress import core
from hotpress._filters import FilterSyntaxError, parse_filters, passing
from hotpress._storage import SQLiteStorage
from hotpress.cli import main
from hotpress.config import parse_settings
from hotpress.exceptions import ConfigError

T0 = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)

GROUPS = """
# 手机
华为
苹果
+手机
!广告

/A股|港股/
@1
"""


def check(text: str, *titles: str) -> list[bool]:
    return passing([parse_filters(text)], titles)


def test_an_item_passes_when_it_matches_a_group() -> None:
    assert check(
        GROUPS,
        "华为发布新手机",  # a plain word and the required one
        "华为发布新平板",  # no 手机
        "苹果手机广告",  # an excluded word of its group
        "今日a股大涨",  # the regex, case-insensitive
        "港股也涨了",  # the regex again, but the group's cap (1) is used up
        "天气不错",  # no group
    ) == [True, False, False, True, False, False]


def test_only_excluded_words_let_everything_else_through() -> None:
    assert check("!广告\n!推广", "新闻", "一条广告", "推广内容") == [True, False, False]
    # A `!`-only group beside others excludes its words everywhere.
    assert check("华为\n\n!广告", "华为新品", "华为广告", "小米") == [True, False, False]


def test_global_and_source_filters_must_both_pass() -> None:
    both = [parse_filters("!广告"), parse_filters("华为\n小米")]
    assert passing(both, ["华为新品", "华为广告", "苹果"]) == [True, False, False]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [("华为\n@0", 2, "@N"), ("a\n\n/[/", 3, "regular expression"), ("+", 1, "empty word")],
)
def test_a_bad_filter_line_is_named(text: str, line: int, message: str) -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse_filters(text)
    assert caught.value.line == line and message in str(caught.value)


def test_a_bad_filter_in_the_config_names_the_key(tmp_path: Path) -> None:
    text = 'sources:\n  - category: [a, b]\n    route: /x\n    filters: "华为\\n@x"\n'
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, tmp_path / "hotpress.yml")
    assert "sources[0].filters" in str(caught.value) and "filter line 2" in str(caught.value)


def feed(*titles: str) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><guid>g{i}</guid><link>https://e.example/{i}</link>"
        f"<pubDate>Mon, 15 Jan 2024 0{i}:00:00 GMT</pubDate><description>{t}</description></item>"
        for i, t in enumerate(titles)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        f"{body}</channel></rss>"
    ).encode()


def write_config(path: Path, server: FeedServer, source_filters: str) -> None:
    path.write_text(
        f"rsshub: {server.url('/').rstrip('/')}\nfetch:\n  min_host_interval: 0\n"
        "output:\n  hexo: posts\n  site: public\n"
        "filters: |\n  !广告\n"
        "sources:\n  - category: [新闻, 源, 频道]\n    route: /f\n"
        f"    filters: |\n{source_filters}",
        encoding="utf-8",
    )


def test_held_back_items_are_archived_not_published_until_a_filter_lets_them_through(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hotpress.yml"
    write_config(path, feed_server, "      华为\n      小米\n")
    feed_server.route(
        "/f", Reply(body=feed("华为新品", "华为广告", "苹果新品"), headers={"ETag": '"1"'})
    )

    def run(when: datetime) -> None:
        settings = parse_settings(path.read_text(encoding="utf-8"), path)
        with SQLiteStorage(settings.database) as store:
            report = core.run(settings, store, clock=lambda: when)
        assert report.fetch is not None and not report.fetch.failed

    run(T0)
    posts = tmp_path / "posts" / "新闻" / "源" / "频道"
    assert sorted(p.name for p in posts.iterdir()) == ["华为新品.md"]
    site = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    assert "华为新品" in site and "苹果新品" not in site and "华为广告" not in site
    assert main(["sources", "-c", str(path), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["items_total"], row["items_filtered"]) == (3, 2)

    # The filter is widened; the feed answers 304: the stored titles are judged again.
    write_config(path, feed_server, "      华为\n      苹果\n")

    def not_modified(request: RecordedRequest) -> Reply:
        assert request.header("if-none-match") == '"1"'
        return Reply(status=304, headers={"ETag": '"1"'})

    feed_server.route("/f", not_modified)
    run(T0 + timedelta(hours=1))
    assert sorted(p.name for p in posts.iterdir()) == ["华为新品.md", "苹果新品.md"]
    site = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    assert "苹果新品" in site and "华为广告" not in site
    assert main(["sources", "-c", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["items_filtered"] == 1
