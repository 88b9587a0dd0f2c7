"""One story on several hot lists: similarity of Chinese titles, grouping, "也在"."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import html

from conftest import DATA
from feedserver import FeedServer, Reply
from hotpress import core
from hotpress._hot.similar import DEFAULT_THRESHOLD, similarity
from hotpress._site import build_site
from hotpress._storage import SQLiteStorage
from hotpress.config import Settings, parse_settings

T0 = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)


def test_precision_and_recall_on_the_labelled_pairs_hold() -> None:
    with (DATA / "story_pairs.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert len(rows) >= 200
    tp = fp = fn = 0
    for row in rows:
        same, hit = row["same"] == "1", similarity(row["a"], row["b"]) >= DEFAULT_THRESHOLD
        tp += same and hit
        fp += (not same) and hit
        fn += same and not hit
    # docs/benchmarks.md reports 0.91 / 0.88 at the default threshold.
    assert tp / (tp + fp) >= 0.9
    assert tp / (tp + fn) >= 0.85


def test_titles_of_one_event_score_above_unrelated_ones() -> None:
    zhihu = "6 月 16 日拜登与普京在日内瓦会晤，两人谈了什么？"
    assert similarity(zhihu, "#拜登普京会晤#") >= DEFAULT_THRESHOLD
    assert similarity(zhihu, "拜登普京日内瓦峰会结束") >= DEFAULT_THRESHOLD
    assert similarity(zhihu, "日内瓦湖畔的天鹅") < DEFAULT_THRESHOLD
    assert similarity("中国队夺冠", "中国经济数据发布") == 0.0  # one shared word is no story
    assert similarity("", "拜登") == 0.0


def feed(*titles: str) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><guid>{t}</guid><link>https://e.example/{i}</link></item>"
        for i, t in enumerate(titles)
    )
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    return f"{head}{body}</channel></rss>".encode()


def settings_for(tmp_path: Path, server: FeedServer, extra: str = "") -> Settings:
    path = tmp_path / "hotpress.yml"
    path.write_text(
        f"rsshub: {server.url('/').rstrip('/')}\nfetch:\n  min_host_interval: 0\n"
        f"output:\n  site: public\n{extra}"
        "sources:\n"
        "  - category: [社交媒体, 知乎, 知乎热榜]\n    route: /zhihu\n    hotlist: true\n"
        "  - category: [社交媒体, 微博, 微博热搜]\n    route: /weibo\n    hotlist: true\n"
        "  - category: [博客, 某人]\n    route: /blog\n",
        encoding="utf-8",
    )
    return parse_settings(path.read_text(encoding="utf-8"), path)


def serve(server: FeedServer) -> None:
    server.route(
        "/zhihu",
        Reply(body=feed("如何评价全红婵东京奥运会跳水夺冠？", "量子计算机离我们还有多远")),
    )
    server.route("/weibo", Reply(body=feed("#郑州暴雨#", "#全红婵夺冠#")))
    server.route("/blog", Reply(body=feed("全红婵夺冠的那一跳")))  # not a hot list


def build(settings: Settings) -> None:
    with SQLiteStorage(settings.database) as store:
        asyncio.run(core.refresh(settings, store, clock=lambda: T0))
        assert build_site(settings, store, now=T0).error is None


def test_the_same_story_on_two_lists_is_shown_on_item_pages_digests_and_the_story_page(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    serve(feed_server)
    settings = settings_for(tmp_path, feed_server)
    build(settings)
    root = tmp_path / "public"
    zhihu = html.fromstring((root / "hot" / "zhihu" / "index.html").read_bytes())
    first = zhihu.xpath("//tbody/tr")[0]
    assert "也在: 微博热搜 #2" in first.xpath("string(td[2])")
    assert "也在" not in zhihu.xpath("string(//tbody/tr[2])")
    page = root / first.xpath("td[2]/a/@href")[0].lstrip("/")
    assert "也在: 微博热搜 #2" in page.read_text(encoding="utf-8")
    day = (root / "hot" / "weibo" / "2024-01-15" / "index.html").read_text(encoding="utf-8")
    assert "也在: 知乎热榜 #1" in day
    stories = html.fromstring((root / "hot" / "stories" / "index.html").read_bytes())
    rows = stories.xpath("//tbody/tr")
    assert [r.xpath("string(td[1])") for r in rows] == ["2", "1", "1"]
    assert rows[0].xpath("string(td[3])") == "知乎热榜 #1 · 微博热搜 #2"


@pytest.mark.parametrize(("threshold", "grouped"), [(0.25, True), (1.0, False)])
def test_the_threshold_is_configurable(
    tmp_path: Path, feed_server: FeedServer, threshold: float, grouped: bool
) -> None:
    serve(feed_server)
    settings = settings_for(tmp_path, feed_server, f"stories:\n  threshold: {threshold}\n")
    build(settings)
    text = (tmp_path / "public" / "hot" / "zhihu" / "index.html").read_text(encoding="utf-8")
    assert ("也在" in text) is grouped


def test_a_move_on_one_list_rewrites_the_same_storys_item_page_on_another(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    serve(feed_server)
    settings = settings_for(tmp_path, feed_server)
    build(settings)
    root = tmp_path / "public"
    rows = html.fromstring((root / "hot" / "zhihu" / "index.html").read_bytes()).xpath(
        "//tbody/tr/td[2]/a/@href"
    )
    quan, other = (root / href.lstrip("/") for href in rows)  # 全红婵, then 量子计算机
    stamps = {p: p.stat().st_mtime_ns for p in (quan, other)}
    # Only Weibo moves: its 全红婵 item climbs to #1; Zhihu's list stays as it was.
    feed_server.route("/weibo", Reply(body=feed("#全红婵夺冠#", "#郑州暴雨#")))
    later = datetime(2024, 1, 15, 12, 10, tzinfo=UTC)
    with SQLiteStorage(settings.database) as store:
        asyncio.run(core.refresh(settings, store, clock=lambda: later))
        assert build_site(settings, store, now=later).error is None
    assert "也在: 微博热搜 #1" in quan.read_text(encoding="utf-8")
    assert quan.stat().st_mtime_ns != stamps[quan]
    assert other.stat().st_mtime_ns == stamps[other]
