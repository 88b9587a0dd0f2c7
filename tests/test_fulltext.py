"""``fulltext:``: the article behind an item's link, extracted with trafilatura from local
Chinese news pages, sanitized like any body; the feed's body stays when extraction fails or
gives less."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

import pytest

from articles import PARAGRAPHS, login_wall, news_page
from feedserver import FeedServer, Reply
from hotpress import cli, core
from hotpress._fulltext import extract_article, text_length
from hotpress._fulltext.run import wanted
from hotpress._storage import SQLiteStorage
from hotpress.config import load_settings, parse_settings
from hotpress.exceptions import ConfigError
from hotpress.types import ExpansionState, FulltextSpec, Validators

SUMMARY = "<p>俄美元首日内瓦会晤。</p>"


def rss(server: FeedServer, *entries: tuple[str, str, str]) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>{server.url(path)}</link>"
        f"<description>{escape(body)}</description>"
        "<pubDate>Thu, 17 Jun 2021 02:04:43 GMT</pubDate></item>"
        for path, title, body in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>新闻</title>'
        f"<link>https://news.example.com/</link>{items}</channel></rss>"
    ).encode()


def config_for(tmp_path: Path, server: FeedServer, fulltext: str = "true") -> Path:
    config = tmp_path / "hotpress.yml"
    config.write_text(
        "database: archive.db\noutput:\n  hexo: blog/source/_posts\n"
        "fetch:\n  min_host_interval: 0\n  retries: 0\n"
        f"sources:\n  - category: [新闻, 某某网, 国际]\n    url: {server.url('/feed.xml')}\n"
        f"    fulltext: {fulltext}\n",
        encoding="utf-8",
    )
    return config


def bodies(config: Path) -> dict[str, str]:
    out = {}
    for path in (config.parent / "blog/source/_posts").rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        title = text.split("title: '", 1)[1].split("'\n", 1)[0]
        out[title] = text.split("<div>   \n", 1)[1]
    return out


def run(config: Path) -> None:
    assert cli.main(["run", "-q", "-c", str(config)]) == 0


def test_the_article_replaces_the_summary_and_the_page_furniture_stays_out(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.route(
        "/a/1.html",
        Reply(
            body=news_page("拜登与普京会晤", hostile=True), headers={"Content-Type": "text/html"}
        ),
    )
    gbk = news_page("俄美峰会", charset="gbk")
    feed_server.route(
        "/a/2.html", Reply(body=gbk, headers={"Content-Type": "text/html; charset=gbk"})
    )
    feed_server.route(
        "/feed.xml",
        Reply(body=rss(feed_server, ("/a/1.html", "会晤", SUMMARY), ("/a/2.html", "峰会", ""))),
    )
    config = config_for(tmp_path, feed_server)
    run(config)
    found = bodies(config)
    for title in ("会晤", "峰会"):
        body = found[title]
        assert all(p in body for p in PARAGRAPHS), title
        for furniture in ("24 小时热文", "网友评论", "京ICP证", "分享到", "登录"):
            assert furniture not in body, (title, furniture)
    hostile = found["会晤"]
    assert "<script" not in hostile and "onclick" not in hostile and "alert" not in hostile
    image = feed_server.url("/img/2021/0617/a.jpg")
    assert f'<img src="{image}" alt="会晤现场" referrerpolicy="no-referrer">' in hostile


def test_a_failed_or_shorter_extraction_keeps_the_feed_body_and_success_comes_later(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    html = {"Content-Type": "text/html"}
    feed_server.route("/a/wall.html", Reply(body=login_wall(), headers=html))
    long_summary = "<p>" + "".join(PARAGRAPHS) + "</p>"
    feed_server.route("/a/short.html", Reply(body=news_page("短", PARAGRAPHS[:1]), headers=html))
    feed_server.route(
        "/a/flaky.html", Reply(status=503), Reply(body=news_page("后来"), headers=html)
    )
    feed_server.route(
        "/feed.xml",
        Reply(
            body=rss(
                feed_server,
                ("/a/wall.html", "登录墙", SUMMARY),
                ("/a/short.html", "更短", long_summary),
                ("/a/flaky.html", "先败后成", SUMMARY),
            )
        ),
    )
    settings = load_settings(config_for(tmp_path, feed_server))
    start = datetime(2026, 12, 5, 12, tzinfo=UTC)
    with SQLiteStorage(settings.database) as storage:
        for minutes in (0, 60):
            now = start + timedelta(minutes=minutes)
            report = asyncio.run(core.refresh(settings, storage, clock=lambda n=now: n))
            core.publish(settings, storage)
            if minutes == 0:
                assert (report.fulltext.attempted, report.fulltext.failed) == (3, 3)
                first = bodies(settings.path)
        (error,) = storage._db.execute(
            "SELECT error FROM expansions WHERE url LIKE '%wall.html'"
        ).fetchone()
    found = bodies(settings.path)
    assert SUMMARY in first["登录墙"] and SUMMARY in found["登录墙"]
    assert "not longer than the feed's own body" in error  # "请登录后查看" is all it finds
    assert found["更短"].startswith(long_summary)
    assert SUMMARY in first["先败后成"]
    assert all(p in found["先败后成"] for p in PARAGRAPHS)
    assert len(feed_server.requests_to("/a/flaky.html")) == 2


def test_an_item_is_extracted_once_and_again_only_when_it_changes(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.route("/a/1.html", Reply(body=news_page("会晤")))
    feed_server.route("/feed.xml", Reply(body=rss(feed_server, ("/a/1.html", "会晤", SUMMARY))))
    config = config_for(tmp_path, feed_server)
    run(config)
    run(config)
    assert len(feed_server.requests_to("/a/1.html")) == 1
    feed_server.route(
        "/feed.xml", Reply(body=rss(feed_server, ("/a/1.html", "会晤（更新）", SUMMARY)))
    )
    run(config)
    assert len(feed_server.requests_to("/a/1.html")) == 2
    assert all(p in bodies(config)["会晤（更新）"] for p in PARAGRAPHS)


def test_shorter_than_fetches_only_items_with_short_feed_bodies(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.route("/a/1.html", Reply(body=news_page("一")))
    feed_server.route("/a/2.html", Reply(body=news_page("二")))
    long_body = "<p>" + "长" * 400 + "</p>"
    feed_server.route(
        "/feed.xml",
        Reply(body=rss(feed_server, ("/a/1.html", "一", SUMMARY), ("/a/2.html", "二", long_body))),
    )
    run(config_for(tmp_path, feed_server, "{shorter_than: 300}"))
    assert len(feed_server.requests_to("/a/1.html")) == 1
    assert not feed_server.requests_to("/a/2.html")


def test_fulltext_and_expand_together_is_a_config_error(tmp_path: Path) -> None:
    text = (
        "sources:\n  - category: [a, b]\n    route: /x\n    fulltext: true\n    expand:\n"
        "      link: 'q/(?P<q>\\d+)'\n      route: /q/{q}\n"
    )
    with pytest.raises(ConfigError, match=r"sources\[0\]\.fulltext"):
        parse_settings(text, tmp_path / "h.yml")


def test_what_is_wanted_depends_on_the_rule_and_the_state() -> None:
    now = datetime(2026, 12, 5, tzinfo=UTC)
    state = ExpansionState(
        item_id=1,
        source_key="s",
        link="https://a.test/1",
        url=None,
        validators=Validators(),
        digest=None,
        expanded=None,
        failures=0,
        next_try=None,
        content="<p>短</p>",
    )
    assert wanted(FulltextSpec(), state, now)
    assert wanted(FulltextSpec(shorter_than=300), state, now)
    assert not wanted(FulltextSpec(shorter_than=1), state, now)
    later = now + timedelta(hours=1)
    assert not wanted(FulltextSpec(), replace(state, url=state.link, next_try=later), now)
    assert wanted(FulltextSpec(), replace(state, url=state.link, next_try=now), now)
    assert not wanted(FulltextSpec(), replace(state, link="x"), now)


def test_extraction_gives_none_for_a_page_without_an_article() -> None:
    empty = b"<html><body><form><input name=q></form></body></html>"
    assert extract_article(empty, "text/html", "https://a.test/") is None
    wall = extract_article(login_wall(), "text/html", "https://a.test/")
    assert wall is not None and text_length(wall) < text_length(SUMMARY)
    article = extract_article(news_page("会晤"), "text/html", "https://a.test/a/1.html")
    assert article is not None and text_length(article) > sum(len(p) for p in PARAGRAPHS) * 0.95


def test_links_to_private_hosts_are_not_fetched_for_a_source_off_that_network(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.route("/a/1.html", Reply(body=news_page("会晤")))
    (tmp_path / "feed.xml").write_bytes(rss(feed_server, ("/a/1.html", "会晤", SUMMARY)))
    config = config_for(tmp_path, feed_server)
    text = config.read_text(encoding="utf-8").replace(feed_server.url("/feed.xml"), "feed.xml")
    config.write_text(text, encoding="utf-8")
    run(config)
    assert not feed_server.requests_to("/a/1.html")
    assert SUMMARY in bodies(config)["会晤"]
    config.write_text("private_hosts: true\n" + text, encoding="utf-8")
    with SQLiteStorage(tmp_path / "archive.db") as storage:
        storage._db.execute("UPDATE expansions SET next_try = 0")
    run(config)
    assert len(feed_server.requests_to("/a/1.html")) == 1
    assert all(p in bodies(config)["会晤"] for p in PARAGRAPHS)
