"""Hot lists on the site: the list page, the item pages' rank chart, the daily digests and
their feeds, built incrementally."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
from lxml import html

from feedserver import FeedServer, Reply
from hotpress import core
from hotpress._hot.digest import RunRow, day_entries
from hotpress._hot.naming import hot_slug
from hotpress._site import build as build_module
from hotpress._site import build_site
from hotpress._site.hot_worker import HotJob
from hotpress._site.pages import Renderer
from hotpress._storage import SQLiteStorage
from hotpress.config import Settings, parse_settings
from hotpress.types import StoredItem

T0 = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)  # 20:00 in Asia/Shanghai
STEP = timedelta(minutes=10)
SLUG = "hot"


def hot_feed(*ids: str) -> bytes:
    body = "".join(
        f"<item><title>话题{i}</title><guid>{i}</guid><link>https://e.example/{i}</link>"
        f"<description>&lt;p&gt;正文{i} 35 万热度&lt;/p&gt;</description></item>"
        for i in ids
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        f"{body}</channel></rss>"
    ).encode()


def plain_feed(posts: int = 1) -> bytes:
    body = "".join(
        f"<item><title>博客文章{n}</title><guid>p{n}</guid><link>https://b.example/p{n}</link>"
        f"<pubDate>Mon, 15 Jan 2024 0{7 + n}:00:00 GMT</pubDate><description>文</description>"
        "</item>"
        for n in range(1, posts + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>b</title>'
        f"{body}</channel></rss>"
    ).encode()


def settings_for(server: FeedServer, tmp_path: Path, concurrency: int = 10) -> Settings:
    path = tmp_path / "hotpress.yml"
    path.write_text(
        f"rsshub: {server.url('/').rstrip('/')}\nfetch:\n  min_host_interval: 0\n"
        f"  concurrency: {concurrency}\n"
        "output:\n  site: public\n"
        "sources:\n  - category: [社交媒体, 微博, 热搜榜]\n    route: /hot\n"
        "    hotlist: true\n    heat: '(?P<value>[\\d.]+)\\s*万热度'\n"
        "  - category: [博客, 某人]\n    route: /blog\n",
        encoding="utf-8",
    )
    return parse_settings(path.read_text(encoding="utf-8"), path)


def round_(settings: Settings, when: datetime) -> tuple[int, int]:
    with SQLiteStorage(settings.database) as store:
        report = asyncio.run(core.refresh(settings, store, clock=lambda: when))
        assert not report.failed
        built = build_site(settings, store, now=when)
    assert built.error is None
    return built.written, built.unchanged


def mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*.*")}


def item_page(root: Path, guid: str, settings: Settings) -> str:
    with SQLiteStorage(settings.database) as store:
        (path,) = [
            p
            for item in store.iter_items()
            if item.guid == guid
            for _, p in store.site_items([item.id], "site").values()
        ]
    assert path is not None
    return (root / path).read_text(encoding="utf-8")


def page(root: Path, guid: str) -> str:
    """The item page's path under the site root (its link on the list page)."""
    found = html.fromstring((root / "hot" / SLUG / "index.html").read_bytes()).xpath(
        f"//tbody/tr/td[2]/a[normalize-space()='话题{guid}']/@href"
    )
    if not found:  # off the list now: the digest of the day still links it
        day = sorted((root / "hot" / SLUG).glob("2*/index.html"))[0]
        found = html.fromstring(day.read_bytes()).xpath(
            f"//tbody/tr/td[2]/a[normalize-space()='话题{guid}']/@href"
        )
    return str(found[0]).lstrip("/")


def test_the_score_weighs_time_on_the_list_by_rank() -> None:
    hour = 3600
    runs = [
        RunRow(1, 1, None, 0, 2 * hour, cont=False),  # 2 h at #1
        RunRow(2, 2, 5e5, 0, 4 * hour, cont=False),  # 4 h at #2 of 2
        RunRow(3, 1, None, 5 * hour, 5 * hour, cont=False),  # one refresh at #1: no time
        RunRow(1, 2, None, 2 * hour + 600, 3 * hour, cont=True),  # moved down, stayed
    ]
    entries = day_entries(runs, 0, 24 * hour)
    assert [(e.item_id, e.peak) for e in entries] == [(1, 1), (2, 2), (3, 1)]
    one, two, three = entries
    # 2 h at weight 1, the 10-minute move at its old rank (1), 50 min at #2 (weight 1/2).
    assert one.hours == round(3 * hour / 3600, 2)
    assert one.score == round((2 + 10 / 60 + 50 / 60 / 2), 3)
    assert (two.score, two.heat) == (2.0, 5e5)
    assert (three.score, three.hours) == (0.0, 0.0)
    # Only the part inside the day counts: 1 was there at 3 h only (#2), 3 later (#1).
    late = day_entries(runs, 3 * hour, 24 * hour)
    assert [(e.item_id, e.peak, e.score) for e in late] == [(2, 2, 0.5), (3, 1, 0.0), (1, 2, 0.0)]


def test_the_hot_slug_is_readable_ascii() -> None:
    assert hot_slug("/weibo/search/hot") == "weibo-search-hot"
    assert hot_slug("https://Example.com/热榜.xml") == "example-com-xml"
    assert len(hot_slug("/" + "热" * 5)) == 10


def test_hot_pages_show_ranks_charts_and_daily_digests(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    settings = settings_for(feed_server, tmp_path)
    root = tmp_path / "public"
    feed_server.route("/blog", Reply(body=plain_feed()))
    feed_server.route("/hot", Reply(body=hot_feed("a", "b", "c")))
    round_(settings, T0)
    feed_server.route("/hot", Reply(body=hot_feed("b", "a", "c")))
    round_(settings, T0 + 6 * STEP)

    page = html.fromstring((root / "hot" / SLUG / "index.html").read_bytes())
    rows = page.xpath("//tbody/tr")
    assert [r.xpath("string(td[2])") for r in rows] == ["话题b", "话题a", "话题c"]
    assert [r.xpath("string(td[3])") for r in rows] == ["1 小时"] * 3
    assert [r.xpath("string(td[4])") for r in rows] == ["#1", "#1", "#3"]
    assert [r.xpath("string(td[5])") for r in rows] == ["35 万"] * 3
    assert len(page.xpath("//svg[@class='spark']/polyline")) == 3
    assert not page.xpath("//script[not(@src)]")
    # Each title links to the item's own page on the site.
    href = rows[0].xpath("td[2]/a/@href")[0]
    assert href.startswith("/items/") and (root / href.lstrip("/")).is_file()

    # An item page shows the item as of its last rank change (21:00: a went from #1 to #2),
    # so a refresh that leaves it where it is does not touch it; the stay's start is a
    # <time> the site script also shows as "N 小时前".
    a = html.fromstring(item_page(root, "a", settings).encode())
    block = a.xpath("string(//section[@class='hot-rank'])")
    assert "现第 2 名 · 自 01-15 20:00 起在榜 · 最高第 1 名 · 上榜 01-15 20:00" in block
    assert a.xpath("//section[@class='hot-rank']//time/@datetime") == ["2024-01-15T20:00:00+08:00"]
    assert a.xpath("//svg[@class='rank-chart']//polyline")
    assert "01-15 21:00" in a.xpath("string(//svg[@class='rank-chart'])")
    plain = item_page(root, "p1", settings)
    assert "hot-rank" not in plain and "rank-chart" not in plain

    # The digest of 2024-01-15 (Asia/Shanghai): by score, with its three feeds.
    day = root / "hot" / SLUG / "2024-01-15"
    digest = html.fromstring((day / "index.html").read_bytes())
    assert [r.xpath("string(td[2])") for r in digest.xpath("//tbody/tr")] == [
        "话题a",  # 50 min at #1 then 10 at #2 beats 50 at #2 then 10 at #1
        "话题b",
        "话题c",
    ]
    rss = feedparser.parse((day / "feed.xml").read_bytes())
    assert not rss.bozo and [e.title for e in rss.entries] == ["话题a", "话题b", "话题c"]
    assert "最高第 1 名 · 在榜 1 小时" in rss.entries[0].description
    assert not feedparser.parse((day / "atom.xml").read_bytes()).bozo
    doc = json.loads((day / "feed.json").read_text(encoding="utf-8"))
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert [i["title"] for i in doc["items"]] == ["话题a", "话题b", "话题c"]
    index = (root / "hot" / "index.html").read_text(encoding="utf-8")
    assert f'href="/hot/{SLUG}/"' in index and "热搜榜" in index


def test_a_refresh_rewrites_only_the_hot_pages_it_changed(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    settings = settings_for(feed_server, tmp_path)
    root = tmp_path / "public"
    feed_server.route("/blog", Reply(body=plain_feed()))
    feed_server.route("/hot", Reply(body=hot_feed("a", "b", "c")))
    round_(settings, T0)
    before = mtimes(root)
    # Ranks move, no item changes: the archive's items (the build fingerprint) are the same.
    feed_server.route("/hot", Reply(body=hot_feed("b", "a", "c")))
    written, _ = round_(settings, T0 + STEP)
    after = mtimes(root)
    changed = {p for p in after if after[p] != before.get(p)}
    items = {p for p in changed if p.startswith("items/")}
    assert items == {page(root, "a"), page(root, "b")}  # c stayed at #3: its page stays
    assert changed - items == {
        "hot/stories/index.html",
        f"hot/{SLUG}/index.html",
        f"hot/{SLUG}/2024-01-15/index.html",
        f"hot/{SLUG}/2024-01-15/feed.xml",
        f"hot/{SLUG}/2024-01-15/atom.xml",
        f"hot/{SLUG}/2024-01-15/feed.json",
    }
    assert written == len(changed)
    # No refresh: nothing at all is written.
    with SQLiteStorage(settings.database) as store:
        again = build_site(settings, store, now=T0 + 2 * STEP)
    assert again.written == 0 and mtimes(root) == after
    # Past midnight (Asia/Shanghai): a new digest day; c left the list, its page stays.
    feed_server.route("/hot", Reply(body=hot_feed("b", "a")))
    midnight = datetime(2024, 1, 15, 16, 5, tzinfo=UTC)
    round_(settings, midnight)
    later = mtimes(root)
    assert (root / "hot" / SLUG / "2024-01-16" / "feed.json").is_file()
    changed = {p for p in later if later[p] != after.get(p)}
    # c left the list: its page now shows its whole stay; b and a kept their ranks.
    assert {p for p in changed if p.startswith("items/")} == {page(root, "c")}
    c = (root / page(root, "c")).read_text(encoding="utf-8")
    assert "已下榜 · 在榜 0.2 小时 · 最高第 3 名" in c
    previous_day = (root / "hot" / SLUG / "2024-01-15" / "index.html").read_text(encoding="utf-8")
    assert f'href="/hot/{SLUG}/2024-01-16/"' in previous_day


def test_digest_daily_writes_one_hexo_post_per_day(tmp_path: Path, feed_server: FeedServer) -> None:
    path = tmp_path / "hotpress.yml"
    path.write_text(
        f"rsshub: {feed_server.url('/').rstrip('/')}\nfetch:\n  min_host_interval: 0\n"
        "output:\n  hexo: posts\n"
        "sources:\n  - category: [社交媒体, 微博, 热搜榜]\n    route: /hot\n"
        "    hotlist: true\n    digest: daily\n",
        encoding="utf-8",
    )
    settings = parse_settings(path.read_text(encoding="utf-8"), path)
    folder = tmp_path / "posts" / "社交媒体" / "微博" / "热搜榜" / "日报"

    def run(when: datetime) -> list[core.OutputReport]:
        with SQLiteStorage(settings.database) as store:
            asyncio.run(core.refresh(settings, store, clock=lambda: when))
            return list(core.publish(settings, store))

    feed_server.route("/hot", Reply(body=hot_feed("a", "b")))
    run(T0)
    feed_server.route("/hot", Reply(body=hot_feed("b", "a")))
    reports = run(T0 + 6 * STEP)
    assert [r.name for r in reports] == ["hexo", "hexo digests"]
    post = (folder / "热搜榜 日报 2024-01-15.md").read_text(encoding="utf-8")
    front, body = post.split("---\n")[1:3]
    assert front.splitlines() == [
        "title: '热搜榜 日报 2024-01-15'",
        "categories: ",
        " - 社交媒体",
        " - 微博",
        " - 热搜榜",
        " - 日报",
        front.splitlines()[6],  # headimg: the placeholder fixed by the digest's identity
        "author: 微博",
        "comments: false",
        "date: Mon, 15 Jan 2024 15:59:59 GMT",  # the day's end in Asia/Shanghai
        front.splitlines()[10],
    ]
    assert front.splitlines()[6].startswith("headimg: 'https://picsum.photos/400/300?random=")
    assert body.index("话题a") < body.index("话题b")  # 50 min at #1 beats 50 at #2
    assert '<a href="https://e.example/a">话题a</a> · 最高第 1 名 · 在榜 1 小时' in body
    # A publish with no refresh since writes nothing; the next day gets its own post.
    with SQLiteStorage(settings.database) as store:
        again = core.publish(settings, store)
    assert again[1].written == 0 and again[1].unchanged == 0
    run(datetime(2024, 1, 15, 16, 5, tzinfo=UTC))
    assert sorted(p.name for p in folder.iterdir()) == [
        "热搜榜 日报 2024-01-15.md",
        "热搜榜 日报 2024-01-16.md",
    ]


def test_a_refresh_with_the_same_ranks_rewrites_only_the_hot_list_pages(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    settings = settings_for(feed_server, tmp_path)
    root = tmp_path / "public"
    feed_server.route("/blog", Reply(body=plain_feed()))
    feed_server.route("/hot", Reply(body=hot_feed("a", "b", "c")))
    round_(settings, T0)
    feed_server.route("/hot", Reply(body=hot_feed("a", "b", "c", "d")))  # d enters at #4
    round_(settings, T0 + STEP)
    a_before = (root / page(root, "a")).read_text(encoding="utf-8")
    before = mtimes(root)
    # An hour of refreshes that leave every item where it was: hours on the list grow (the
    # list page and the day's digest show them), no item page changes.
    for n in range(2, 8):
        round_(settings, T0 + n * STEP)
    after = mtimes(root)
    changed = {p for p in after if after[p] != before.get(p)}
    assert changed == {
        f"hot/{SLUG}/index.html",
        f"hot/{SLUG}/2024-01-15/index.html",
        f"hot/{SLUG}/2024-01-15/feed.xml",
        f"hot/{SLUG}/2024-01-15/atom.xml",
        f"hot/{SLUG}/2024-01-15/feed.json",
    }
    rows = html.fromstring((root / "hot" / SLUG / "index.html").read_bytes()).xpath("//tbody/tr")
    assert [r.xpath("string(td[3])") for r in rows] == ["1.2 小时"] * 3 + ["1 小时"]
    assert (root / page(root, "a")).read_text(encoding="utf-8") == a_before
    # The next move rewrites exactly the pages of the items it moved: d climbs to #1,
    # a, b and c each go down one place.
    feed_server.route("/hot", Reply(body=hot_feed("d", "a", "b", "c")))
    round_(settings, T0 + 8 * STEP)
    later = mtimes(root)
    changed = {p for p in later if later[p] != after.get(p)}
    assert {p for p in changed if p.startswith("items/")} == {
        page(root, g) for g in ("a", "b", "c", "d")
    }
    assert changed - {p for p in changed if p.startswith("items/")} == {
        "hot/stories/index.html",
        f"hot/{SLUG}/index.html",
        f"hot/{SLUG}/2024-01-15/index.html",
        f"hot/{SLUG}/2024-01-15/feed.xml",
        f"hot/{SLUG}/2024-01-15/atom.xml",
        f"hot/{SLUG}/2024-01-15/feed.json",
    }
    a = (root / page(root, "a")).read_text(encoding="utf-8")
    assert "现第 2 名 · 自 <time" in a and "01-15 21:20" in a  # the chart ends at the move


def test_hot_pages_built_beside_the_lists_by_a_worker_are_the_same(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A round with new items and a refresh: with ``site.workers`` the hot pages are built
    by a worker process while the main one does the lists; the site is byte for byte the
    one a single process builds, and every page is written once."""
    started: list[object] = []

    class Seen(build_module.HotWorker):
        def __init__(self, job: HotJob) -> None:
            started.append(job.done)
            super().__init__(job)

    monkeypatch.setattr(build_module, "HotWorker", Seen)
    sites = {}
    for workers in (1, 2):
        folder = tmp_path / f"workers-{workers}"
        folder.mkdir()
        # One fetch at a time: the sources are stored in order, so both archives give their
        # items the same ids (the search index shows them).
        base = settings_for(feed_server, folder, concurrency=1)
        settings = replace(base, site=base.site.model_copy(update={"workers": workers}))
        feed_server.route("/blog", Reply(body=plain_feed()))
        feed_server.route("/hot", Reply(body=hot_feed("a", "b", "c")))
        round_(settings, T0)
        before = mtimes(folder / "public")
        feed_server.route("/blog", Reply(body=plain_feed(2)))  # one more item: lists change
        feed_server.route("/hot", Reply(body=hot_feed("b", "a", "c", "d")))
        written, _ = round_(settings, T0 + STEP)
        after = mtimes(folder / "public")
        assert written == sum(1 for p in after if after[p] != before.get(p))
        assert not (folder / "public" / ".hotpress-tmp").exists()
        sites[workers] = {
            p.relative_to(folder / "public").as_posix(): p.read_bytes()
            for p in (folder / "public").rglob("*")
            if p.is_file()
        }
    # One worker was started, for the second build of the two-worker site, and it was told
    # which item pages the main process had written (the new items d and p2, neighbours).
    assert len(started) == 1 and started[0]
    assert sites[1] == sites[2]


def test_no_item_page_is_rendered_twice_in_one_build(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new item entering the list is due in the item pass and moved for the hot pass:
    the hot pass takes the page the item pass wrote."""
    settings = settings_for(feed_server, tmp_path)
    feed_server.route("/blog", Reply(body=plain_feed()))
    feed_server.route("/hot", Reply(body=hot_feed("a", "b", "c")))
    round_(settings, T0)
    rendered: list[str] = []
    item_page = Renderer.item_page

    def counted(self: Renderer, item: StoredItem, *args: Any, **kwargs: Any) -> bytes:
        rendered.append(item.guid or "")
        return item_page(self, item, *args, **kwargs)

    monkeypatch.setattr(Renderer, "item_page", counted)
    feed_server.route("/hot", Reply(body=hot_feed("b", "a", "d", "c")))  # d enters at #3
    round_(settings, T0 + STEP)
    # d's page (new), c's (its neighbour d is new; its rank moved too), a's and b's (moved).
    assert sorted(rendered) == ["a", "b", "c", "d"]
