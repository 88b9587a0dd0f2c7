"""Every command against a PostgreSQL archive (``database: postgresql://…``), end to end:
a config, a local feed server, the machine's PostgreSQL (a new database per test), and the
commands a user runs: run, run --due, publish, build, sources, prune, hot, serve, watch."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import httpx
import pytest

from feedserver import FeedServer, RecordedRequest, Reply
from hotpress import cli
from hotpress._site.urls import item_file
from hotpress._storage import open_storage
from hotpress.config import load_settings
from serving import serving


def rss(*items: tuple[str, str], rank_heat: bool = False) -> bytes:
    body = "".join(
        f"<item><title>{title}</title><guid>{guid}</guid>"
        f"<link>https://example.com/{guid}</link>"
        f"<description>&lt;p&gt;{'12 万热度' if rank_heat else '正文 ' + title}&lt;/p&gt;"
        "</description><pubDate>Mon, 15 Jan 2024 02:30:00 GMT</pubDate></item>"
        for guid, title in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>https://example.com/</link>{body}</channel></rss>"
    ).encode()


NEWS = rss(("n1", "新闻一"), ("n2", "新闻二"), ("n3", "新闻三"))
HOT = rss(("h1", "热点甲"), ("h2", "热点乙"), rank_heat=True)


@pytest.fixture
def site(tmp_path: Path, feed_server: FeedServer, pg_url: str) -> Path:
    feed_server.route("/news", Reply(body=NEWS, headers={"Content-Type": "application/rss+xml"}))
    feed_server.route("/hot", Reply(body=HOT, headers={"Content-Type": "application/rss+xml"}))
    config = tmp_path / "hotpress.yml"
    config.write_text(
        f"database: {pg_url}\n"
        f"rsshub: {feed_server.url('/').rstrip('/')}\n"
        "fetch:\n  min_host_interval: 0\n"
        "output:\n  hexo: blog/source/_posts\n  site: public\n"
        "site:\n  url: https://example.com/\n"
        "sources:\n"
        "  - category: [新闻, 本地]\n    route: /news\n"
        "  - category: [社交媒体, 微博, 热搜榜]\n    route: /hot\n    hotlist: true\n"
        "    heat: '(?P<value>[\\d.]+)\\s*万热度'\n",
        encoding="utf-8",
    )
    return config


def test_run_publish_build_sources_hot_and_prune_use_the_server_archive(
    site: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = site.parent
    assert cli.main(["run", "-q", "-c", str(site)]) == 0
    posts = sorted(p.name for p in (folder / "blog/source/_posts").rglob("*.md"))
    assert posts == sorted(f"{t}.md" for t in ["新闻一", "新闻二", "新闻三", "热点甲", "热点乙"])
    assert (folder / "public/index.html").is_file()
    with open_storage(pg_url) as storage:
        assert storage.count_items() == 5
        assert storage.count_publications("hexo") == storage.count_publications("site") == 5
        assert [e.rank for e in storage.hot_list("/hot")] == [1, 2]
    # Nothing beside the config stands for the archive or its lock.
    assert sorted(p.name for p in folder.iterdir()) == ["blog", "hotpress.yml", "public"]

    capsys.readouterr()
    assert cli.main(["run", "--due", "-c", str(site)]) == 0
    out = capsys.readouterr().out
    assert "sources: none is due yet" in out and "hexo: 0 written, 5 already up to date" in out
    assert cli.main(["publish", "-c", str(site)]) == 0
    assert "0 written" in capsys.readouterr().out
    assert cli.main(["build", "-c", str(site)]) == 0
    capsys.readouterr()

    assert cli.main(["sources", "--json", "-c", str(site)]) == 0
    rows = {r["key"]: r for r in json.loads(capsys.readouterr().out)}
    assert (rows["/news"]["items_total"], rows["/hot"]["items_total"]) == (3, 2)
    assert rows["/news"]["last_status"] == 200

    assert cli.main(["hot", "/hot", "--json", "-c", str(site)]) == 0
    hot = json.loads(capsys.readouterr().out)
    assert [(r["rank"], r["title"], r["heat"]) for r in hot] == [
        (1, "热点甲", 120000.0),
        (2, "热点乙", 120000.0),
    ]

    site.write_text(site.read_text(encoding="utf-8") + "keep_per_channel: 1\n", "utf-8")
    assert cli.main(["prune", "--purge", "-c", str(site)]) == 0
    left = sorted(p.name for p in (folder / "blog/source/_posts").rglob("*.md"))
    assert len(left) == 2  # one post per source
    assert "3 old post(s) removed" in capsys.readouterr().out
    with open_storage(pg_url) as storage:  # still on their feeds: purged after a grace time
        assert storage.count_items() == 5
        assert storage.count_publications("hexo") == 5


def test_serve_builds_from_the_server_archive_and_rebuilds_when_it_changes(
    site: Path, pg_url: str, feed_server: FeedServer
) -> None:
    assert cli.main(["run", "-q", "-c", str(site)]) == 0
    settings = load_settings(site)
    with serving(settings) as (base, builds):
        assert builds.get(timeout=5).error is None  # the first build, as serve starts
        home = httpx.get(base, timeout=5)
        assert home.status_code == 200 and "新闻三" in home.text
        # A run elsewhere adds an item: serve sees the archive's data version move.
        feed_server.route(
            "/news",
            Reply(body=rss(("n4", "新闻四")), headers={"Content-Type": "application/rss+xml"}),
        )
        assert cli.main(["fetch", "-q", "-c", str(site)]) == 0
        report = builds.get(timeout=30)
        assert report.error is None and report.written > 0
        with open_storage(pg_url) as storage:
            (added,) = [i for i in storage.iter_items() if i.title == "新闻四"]
        page = httpx.get(base + item_file(added.identity), timeout=5)
        assert page.status_code == 200 and "新闻四" in page.text


def test_watch_runs_a_round_against_the_server_archive(
    site: Path, pg_url: str, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    def terminate(_: RecordedRequest) -> Reply:
        os.kill(os.getpid(), signal.SIGTERM)
        return Reply(body=HOT, headers={"Content-Type": "application/rss+xml"})

    feed_server.route("/hot", terminate)
    assert cli.main(["watch", "--log-format", "json", "-c", str(site)]) == 0
    messages = [json.loads(line)["message"] for line in capsys.readouterr().err.splitlines()]
    assert "round: 2 due, 2 ok, 0 failed; 5 new, 0 updated" in messages
    assert messages[-1] == "stopped after 1 rounds"
    with open_storage(pg_url) as storage:
        assert storage.count_items() == 5
        assert storage.count_publications("hexo") == 5


def test_a_run_waits_for_the_advisory_lock_of_another(site: Path, pg_url: str) -> None:
    from hotpress._lock import run_lock

    with run_lock(pg_url):
        assert cli.main(["run", "-q", "-c", str(site)]) != 0
    assert cli.main(["run", "-q", "-c", str(site)]) == 0
