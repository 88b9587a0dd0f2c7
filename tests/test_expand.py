"""``expand:``: the answer behind a hot-list item, through a local RSSHub-shaped server that
serves ``/zhihu/hot`` and ``/zhihu/question/<qid>`` in today's shapes."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feedserver import FeedServer, Reply
from hotpress import cli, core
from hotpress._expand import choose_entry, expansion_url, is_due, retry_at
from hotpress._storage import SQLiteStorage
from hotpress.config import load_settings, parse_settings
from hotpress.exceptions import ConfigError
from hotpress.types import ExpandSpec, ExpansionState, ParsedEntry, ParsedFeed, Validators
from zhihu_rsshub import (
    SEED_QID,
    Answer,
    Question,
    hot_list,
    other_questions,
    question_feed,
    seed_question,
    serve_zhihu,
)

NUMBER = re.compile(rb"random=\d+")
EXPAND = """\
    expand:
      link: 'zhihu\\.com/question/(?P<qid>\\d+)'
      route: /zhihu/question/{qid}
"""


def write_config(tmp_path: Path, server: FeedServer, expand: str = EXPAND) -> Path:
    config = tmp_path / "hotpress.yml"
    config.write_text(
        f"rsshub: {server.url('/').rstrip('/')}\n"
        "database: archive.db\n"
        "output:\n  hexo: blog/source/_posts\n"
        "fetch:\n  min_host_interval: 0\n  retries: 0\n"
        "sources:\n"
        "  - category: [社交媒体, 知乎, 知乎热榜]\n"
        "    route: /zhihu/hot\n" + expand,
        encoding="utf-8",
    )
    return config


def hexo_posts(config: Path) -> dict[str, bytes]:
    root = config.parent / "blog/source/_posts/社交媒体/知乎/知乎热榜"
    return {p.name: p.read_bytes() for p in sorted(root.glob("*.md"))}


def post_titled(config: Path, title: str) -> bytes:
    (found,) = [d for d in hexo_posts(config).values() if f"title: '{title}'".encode() in d]
    return found


def run(config: Path) -> None:
    assert cli.main(["run", "-q", "-c", str(config)]) == 0


def test_the_seed_item_comes_out_byte_for_byte_through_two_routes(
    tmp_path: Path, feed_server: FeedServer, seed_post: bytes
) -> None:
    seed, answers = seed_question(seed_post)
    questions = [*other_questions(4), seed, *other_questions(9)[4:]]
    assert len(questions) == 10
    serve_zhihu(feed_server, questions, {seed.qid: answers})
    config = write_config(tmp_path, feed_server)
    run(config)
    written = post_titled(config, seed.title)
    assert NUMBER.sub(b"random=N", written) == NUMBER.sub(b"random=N", seed_post)
    # The list body stands where no second feed answers (the other questions 404).
    other = post_titled(config, questions[0].title)
    assert "<p>问题 0 的摘要。</p>".encode() in other


def test_the_answer_author_is_kept_in_the_archive_and_the_post_keeps_the_sources(
    tmp_path: Path, feed_server: FeedServer, seed_post: bytes
) -> None:
    seed, answers = seed_question(seed_post)
    serve_zhihu(feed_server, [seed], {seed.qid: answers})
    config = write_config(tmp_path, feed_server)
    run(config)
    assert b"\nauthor: \xe7\x9f\xa5\xe4\xb9\x8e\n" in post_titled(config, seed.title)  # 知乎
    with sqlite3.connect(tmp_path / "archive.db") as db:
        ((author, link),) = db.execute("SELECT author, link FROM items").fetchall()
    assert author == "中国网"
    assert link == f"https://www.zhihu.com/question/{SEED_QID}"


def test_an_unchanged_refresh_fetches_only_the_list(
    tmp_path: Path, feed_server: FeedServer, seed_post: bytes
) -> None:
    seed, answers = seed_question(seed_post)
    questions = [seed, *other_questions(3)]
    serve_zhihu(feed_server, questions, {q.qid: answers for q in questions})
    config = write_config(tmp_path, feed_server)
    run(config)
    before = {q.qid: len(feed_server.requests_to(f"/zhihu/question/{q.qid}")) for q in questions}
    assert set(before.values()) == {1}
    run(config)
    run(config)
    assert len(feed_server.requests_to("/zhihu/hot")) == 3
    after = {q.qid: len(feed_server.requests_to(f"/zhihu/question/{q.qid}")) for q in questions}
    assert after == before


def test_a_failed_expansion_keeps_the_list_body_then_rewrites_the_same_post(
    tmp_path: Path, feed_server: FeedServer, seed_post: bytes
) -> None:
    seed, answers = seed_question(seed_post)
    serve_zhihu(feed_server, [seed], {})
    failing = Reply(
        status=503,
        body="<html><body><p>Error: Zhihu returned 403 (ZHIHU_COOKIES expired?)</p></body></html>",
        headers={"Content-Type": "text/html"},
    )
    feed_server.route(
        f"/zhihu/question/{seed.qid}", failing, Reply(body=question_feed(seed, answers))
    )
    config = write_config(tmp_path, feed_server)
    run(config)
    (name,) = hexo_posts(config)
    first = hexo_posts(config)[name]
    assert "<p>6 月 16 日，美俄两国元首在日内瓦举行会晤。</p>".encode() in first
    assert cli.main(["sources", "--json", "-c", str(config)]) == 0
    run(config)
    assert list(hexo_posts(config)) == [name]  # one post, rewritten in place
    assert NUMBER.sub(b"N", hexo_posts(config)[name]) == NUMBER.sub(b"N", seed_post)


def test_sources_health_counts_expanded_pending_and_failed(
    tmp_path: Path,
    feed_server: FeedServer,
    seed_post: bytes,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed, answers = seed_question(seed_post)
    questions = [seed, *other_questions(2)]
    serve_zhihu(feed_server, questions, {seed.qid: answers})  # the two others answer 404
    config = write_config(tmp_path, feed_server)
    run(config)
    capsys.readouterr()
    assert cli.main(["sources", "--json", "-c", str(config)]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["expanded"], row["expand_pending"], row["expand_failed"]) == (1, 2, 2)
    monkeypatch.setenv("COLUMNS", "400")  # one line per row: nothing folded
    assert cli.main(["sources", "-c", str(config)]) == 0
    table = capsys.readouterr().out
    assert "expanded / pending" in table and "1 / 2 / 2" in table


def test_a_link_that_does_not_match_keeps_the_list_body(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    questions = other_questions(2)
    serve_zhihu(
        feed_server, questions, {q.qid: [Answer("1", "某人", "<p>答</p>")] for q in questions}
    )
    expand = EXPAND.replace("question/(?P<qid>", "column/(?P<qid>")
    config = write_config(tmp_path, feed_server, expand)
    run(config)
    assert all(
        b"<p>" in body and "某人".encode() not in body for body in hexo_posts(config).values()
    )
    assert not feed_server.requests_to(f"/zhihu/question/{questions[0].qid}")


def test_after_refresh_an_expansion_is_asked_again_conditionally_and_304_changes_nothing(
    tmp_path: Path, feed_server: FeedServer, seed_post: bytes
) -> None:
    seed, answers = seed_question(seed_post)
    serve_zhihu(feed_server, [seed], {seed.qid: answers})
    settings = load_settings(write_config(tmp_path, feed_server))
    start = datetime(2026, 12, 5, 12, tzinfo=UTC)
    with SQLiteStorage(settings.database) as storage:
        for hours in (0, 1, 7):
            report = asyncio.run(
                core.refresh(settings, storage, clock=lambda h=hours: start + timedelta(hours=h))
            )
            assert report.expansions.failed == 0
        (revision,) = storage._db.execute("SELECT revision FROM items").fetchone()
    asked = feed_server.requests_to(f"/zhihu/question/{seed.qid}")
    assert len(asked) == 2  # at 0 h and after the 6 h refresh, not at 1 h
    assert asked[0].header("if-none-match") is None
    assert asked[1].header("if-none-match") is not None
    assert revision == 2  # the list body, then the answer; the 304 rewrote nothing


def test_an_edited_list_entry_keeps_the_expanded_body(
    tmp_path: Path, feed_server: FeedServer, seed_post: bytes
) -> None:
    seed, answers = seed_question(seed_post)
    serve_zhihu(feed_server, [seed], {seed.qid: answers})
    config = write_config(tmp_path, feed_server)
    run(config)
    edited = Question(seed.qid, seed.title + "（更新）", "新的摘要", seed.created)
    feed_server.route("/zhihu/hot", Reply(body=hot_list([edited])))
    run(config)
    (body,) = hexo_posts(config).values()
    assert "（更新）".encode() in body
    assert "中国网的回答<br><br><h2>".encode() in body
    assert "新的摘要".encode() not in body


# --- pure decisions ----------------------------------------------------------------------

SPEC = ExpandSpec(
    link=r"zhihu\.com/question/(?P<qid>\d+)", url="https://r.test/zhihu/question/{qid}"
)
NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)


def state(**changes: object) -> ExpansionState:
    values: dict[str, object] = {
        "item_id": 1,
        "source_key": "/zhihu/hot",
        "link": "https://www.zhihu.com/question/1",
        "url": "https://r.test/zhihu/question/1",
        "validators": Validators(),
        "digest": None,
        "expanded": None,
        "failures": 0,
        "next_try": NOW,
    }
    values.update(changes)
    return ExpansionState(**values)  # type: ignore[arg-type]


def test_the_url_is_the_template_filled_with_the_links_named_groups() -> None:
    link = "https://www.zhihu.com/question/1234567890123456789/answer/5"
    assert expansion_url(SPEC, link) == "https://r.test/zhihu/question/1234567890123456789"
    assert expansion_url(SPEC, "https://www.zhihu.com/hot") is None
    assert expansion_url(SPEC, None) is None
    odd = ExpandSpec(link=r"x/(?P<q>[^/]+)", url="https://r.test/{q}")
    assert expansion_url(odd, "https://a/x/a b?c") == "https://r.test/a%20b%3Fc"


def test_an_expansion_is_due_when_new_moved_or_its_time_has_come() -> None:
    url = "https://r.test/zhihu/question/1"
    assert is_due(state(url=None, next_try=None), url, NOW)
    assert is_due(state(url="https://r.test/zhihu/question/2"), url, NOW)
    assert is_due(state(next_try=NOW), url, NOW)
    assert not is_due(state(next_try=NOW + timedelta(minutes=1)), url, NOW)


def test_failures_are_retried_at_the_next_refresh_then_back_off_to_a_day() -> None:
    assert retry_at(NOW, 1, 15) == NOW
    assert retry_at(NOW, 2, 15) == NOW
    assert retry_at(NOW, 3, 15) == NOW + timedelta(minutes=30)
    assert retry_at(NOW, 4, 15) == NOW + timedelta(minutes=60)
    assert retry_at(NOW, 40, 15) == NOW + timedelta(hours=24)


def test_the_first_entry_with_a_body_or_the_longest_is_chosen() -> None:
    entries = (
        ParsedEntry(title="a", content=" "),
        ParsedEntry(title="b", content="<p>b</p>"),
        ParsedEntry(title="c", summary="<p>cccc</p>"),
    )
    feed = ParsedFeed(kind="rss", title="t", link=None, entries=entries)
    assert choose_entry(feed, "first") == entries[1]
    assert choose_entry(feed, "longest") == entries[2]
    assert choose_entry(ParsedFeed("rss", "t", None, entries[:1]), "first") is None


@pytest.mark.parametrize(
    ("expand", "message"),
    [
        ("link: '(' \n      route: /q/{qid}", "not a valid regular expression"),
        ("link: 'q/(?P<id>\\d+)'\n      route: /q/{qid}", "{qid}, which is not a named group"),
        ("link: 'q/(?P<qid>\\d+)'", "exactly one of `route:` or `url:`"),
        ("link: 'q/(?P<qid>\\d+)'\n      url: ftp://x/{qid}", "http(s) URL template"),
        ("link: 'q/(?P<qid>\\d+)'\n      route: /q/{qid}\n      refresh: soon", "6h"),
    ],
)
def test_a_bad_expand_block_is_a_config_error_naming_the_key(
    tmp_path: Path, expand: str, message: str
) -> None:
    text = (
        "sources:\n  - category: [a, b]\n    route: /zhihu/hot\n    expand:\n      " + expand + "\n"
    )
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, tmp_path / "hotpress.yml")
    assert message in str(caught.value)
    assert "sources[0].expand" in str(caught.value)


def test_refresh_reads_minutes_and_durations(tmp_path: Path) -> None:
    for value, minutes in (("90", 90), ("30m", 30), ("6h", 360), ("2d", 2880)):
        text = (
            "sources:\n  - category: [a, b]\n    route: /zhihu/hot\n    expand:\n"
            f"      link: 'q/(?P<qid>\\d+)'\n      route: /q/{{qid}}\n      refresh: {value}\n"
        )
        (spec,) = parse_settings(text, tmp_path / "hotpress.yml").sources
        assert spec.expand is not None
        assert spec.expand.refresh_minutes == minutes
        assert spec.expand.url == "https://rsshub.app/q/{qid}"
