"""Hot lists keep every entry's rank at each refresh, compactly, and answer `hotpress hot`."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feedserver import FeedServer, RecordedRequest, Reply
from hotpress import core
from hotpress._hot import compile_heat, parse_heat, rank_entries
from hotpress._storage import SQLiteStorage
from hotpress.cli import main
from hotpress.config import parse_settings
from hotpress.exceptions import ConfigError
from hotpress.types import ParsedEntry

T0 = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)  # 20:00 in Asia/Shanghai
STEP = timedelta(minutes=10)
HEAT = r"(?P<value>[\d.]+)\s*万热度"


def hot_feed(*ids: str, heat: dict[str, str] | None = None) -> bytes:
    heat = heat or {}
    body = "".join(
        f"<item><title>话题{i}</title><guid>{i}</guid><link>https://e.example/{i}</link>"
        f"<description>&lt;p&gt;{heat.get(i, '1 万热度')}&lt;/p&gt;</description></item>"
        for i in ids
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        f"{body}</channel></rss>"
    ).encode()


def config(server: FeedServer, tmp_path: Path) -> Path:
    path = tmp_path / "hotpress.yml"
    path.write_text(
        f"rsshub: {server.url('/').rstrip('/')}\nfetch:\n  min_host_interval: 0\n"
        "sources:\n  - category: [社交媒体, 微博, 热搜榜]\n    route: /hot\n"
        f"    hotlist: true\n    heat: '{HEAT}'\n",
        encoding="utf-8",
    )
    return path


def refresh(path: Path, when: datetime) -> core.SourceOutcome:
    settings = parse_settings(path.read_text(encoding="utf-8"), path)
    with SQLiteStorage(settings.database) as store:
        report = asyncio.run(core.refresh(settings, store, clock=lambda: when))
    (outcome,) = report.outcomes
    assert outcome.error is None
    return outcome


class Lists:
    """Serves one body per refresh, in turn; ``None`` answers 304 to a conditional GET."""

    def __init__(self, *bodies: bytes | None) -> None:
        self.bodies = list(bodies)
        self.turn = 0

    def __call__(self, request: RecordedRequest) -> Reply:
        body = self.bodies[min(self.turn, len(self.bodies) - 1)]
        self.turn += 1
        if body is None:
            assert request.header("if-none-match") == '"v"'
            return Reply(status=304, headers={"ETag": '"v"'})
        return Reply(body=body, headers={"ETag": '"v"', "Content-Type": "application/rss+xml"})


def run_rounds(tmp_path: Path, server: FeedServer, *bodies: bytes | None) -> Path:
    path = config(server, tmp_path)
    server.route("/hot", Lists(*bodies))
    for turn in range(len(bodies)):
        refresh(path, T0 + turn * STEP)
    return path


def runs(path: Path) -> list[tuple[str, int, int, int]]:
    """(guid, rank, first refresh, last refresh) of every stored run."""
    with sqlite3.connect(path.parent / "hotpress.db") as db:
        rows = db.execute(
            "SELECT i.guid, r.rank, r.first, r.last FROM hot_runs r"
            " JOIN items i ON i.id = r.item_id ORDER BY r.first, r.rank"
        ).fetchall()
    start = int(T0.timestamp())
    return [(g, rank, (f - start) // 600, (last - start) // 600) for g, rank, f, last in rows]


def test_heat_is_read_as_value_times_unit() -> None:
    pattern = compile_heat(HEAT)
    assert parse_heat(pattern, "话题", "<p>352 万热度</p>") == 3_520_000
    assert parse_heat(pattern, "1.5万热度 在标题", "<p>9 万热度</p>") == 15_000
    assert parse_heat(pattern, "没有热度") is None
    unit = compile_heat(r"热度\s*(?P<value>[\d,.]+)(?P<unit>亿|万)?")
    assert parse_heat(unit, "热度 1.2亿") == pytest.approx(1.2e8)
    assert parse_heat(unit, "热度 3,500") == 3500


def test_ranks_follow_feed_order_and_an_identity_counts_once() -> None:
    entries = [("a", ParsedEntry(title="A")), ("b", ParsedEntry(title="B"))]
    entries.append(("a", ParsedEntry(title="A again")))
    entries.append(("c", ParsedEntry(title="C")))
    ranks = rank_entries(entries)
    assert [(r.identity, r.rank, r.heat) for r in ranks] == [
        ("a", 1, None),
        ("b", 2, None),
        ("c", 3, None),
    ]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("    hotlist: true\n    heat: '[0-9]+'\n", "named group `value`"),
        ("    hotlist: true\n    heat: '(?P<value>'\n", "not a regular expression"),
        ("    digest: daily\n", "need `hotlist: true`"),
    ],
)
def test_a_bad_hot_list_setting_names_the_source(tmp_path: Path, extra: str, message: str) -> None:
    text = "sources:\n  - category: [a, b]\n    route: /x\n" + extra
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, tmp_path / "hotpress.yml")
    assert message in str(caught.value)
    assert "sources[0]" in str(caught.value)
    assert caught.value.line is not None


def test_ranks_are_recorded_per_refresh_as_runs_not_samples(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    same = hot_feed("a", "b", "c")
    path = run_rounds(
        tmp_path,
        feed_server,
        same,  # 0: a b c
        same,  # 1: identical body (not parsed again): same ranks
        None,  # 2: 304: same ranks
        hot_feed("b", "a", "d"),  # 3: a and b swap, c leaves, d enters
        hot_feed("b", "a", "d"),  # 4
        hot_feed("a", "c", "b"),  # 5: c comes back, d leaves
    )
    assert runs(path) == [
        ("a", 1, 0, 2),
        ("b", 2, 0, 2),
        ("c", 3, 0, 2),
        ("b", 1, 3, 4),
        ("a", 2, 3, 4),
        ("d", 3, 3, 4),
        ("a", 1, 5, 5),
        ("c", 2, 5, 5),
        ("b", 3, 5, 5),
    ]
    settings = parse_settings(path.read_text(encoding="utf-8"), path)
    with SQLiteStorage(settings.database) as store:
        now = {e.identity: e for e in store.hot_list("/hot")}
        titles = [e.title for e in sorted(now.values(), key=lambda e: e.rank or 0)]
        assert titles == ["话题a", "话题c", "话题b"]
        a = next(e for e in now.values() if e.title == "话题a")
        assert (a.rank, a.peak_rank, a.first_seen, a.last_seen) == (1, 1, T0, T0 + 5 * STEP)
        assert a.hours_on_list == pytest.approx(50 / 60, abs=0.01)  # never left
        c = next(e for e in now.values() if e.title == "话题c")
        # On from 0 to 2, off at 3 and 4, back at 5: 20 minutes, the gap not counted.
        assert c.hours_on_list == pytest.approx(20 / 60, abs=0.01)
        assert c.history == ((T0, 3), (T0 + 2 * STEP, 3), (T0 + 5 * STEP, 2))
        assert a.heat == 10_000


def test_the_list_as_it_stood_at_a_moment(tmp_path: Path, feed_server: FeedServer) -> None:
    path = run_rounds(
        tmp_path,
        feed_server,
        hot_feed("a", "b", "c"),
        hot_feed("a", "b", "c"),
        hot_feed("c", "b"),
        hot_feed("c", "b"),
    )
    settings = parse_settings(path.read_text(encoding="utf-8"), path)
    with SQLiteStorage(settings.database) as store:

        def titles(at: datetime) -> list[tuple[int | None, str]]:
            return [(e.rank, e.title) for e in store.hot_list("/hot", at=at)]

        assert titles(T0 - STEP) == []
        assert titles(T0 + STEP + timedelta(minutes=5)) == [
            (1, "话题a"),
            (2, "话题b"),
            (3, "话题c"),
        ]
        assert titles(T0 + 2 * STEP) == [(1, "话题c"), (2, "话题b")]
        assert titles(T0 + 9 * STEP) == [(1, "话题c"), (2, "话题b")]
        # What it knew then: a's stay ended at the second refresh.
        then = {e.title: e for e in store.hot_list("/hot", at=T0 + STEP)}
        assert then["话题b"].last_seen == T0 + STEP
        assert then["话题b"].hours_on_list == pytest.approx(10 / 60, abs=0.01)
        later = store.hot_items([then["话题a"].item_id])[then["话题a"].item_id]
        assert later.rank is None and later.last_seen == T0 + STEP


def test_a_failed_refresh_records_nothing(tmp_path: Path, feed_server: FeedServer) -> None:
    path = config(feed_server, tmp_path)
    feed_server.route("/hot", Reply(body=hot_feed("a", "b")))
    refresh(path, T0)
    feed_server.route("/hot", Reply(status=200, body=b"<html>not a feed</html>"))
    settings = parse_settings(path.read_text(encoding="utf-8"), path)
    with SQLiteStorage(settings.database) as store:
        report = asyncio.run(core.refresh(settings, store, clock=lambda: T0 + STEP))
        assert report.outcomes[0].error
        assert store.hot_last("/hot") == T0
        assert [e.last_seen for e in store.hot_list("/hot")] == [T0, T0]


def test_marking_a_source_hotlist_later_reads_its_unchanged_body_once(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    path = config(feed_server, tmp_path)
    plain = path.read_text(encoding="utf-8").replace("    hotlist: true\n", "")
    plain = plain.replace(f"    heat: '{HEAT}'\n", "")
    path.write_text(plain, encoding="utf-8")
    feed_server.route("/hot", Reply(body=hot_feed("a", "b")))
    refresh(path, T0)
    config(feed_server, tmp_path)
    refresh(path, T0 + STEP)
    settings = parse_settings(path.read_text(encoding="utf-8"), path)
    with SQLiteStorage(settings.database) as store:
        assert [e.rank for e in store.hot_list("/hot")] == [1, 2]


def test_hot_command_prints_the_list_and_its_json(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    path = run_rounds(
        tmp_path,
        feed_server,
        hot_feed("a", "b", heat={"a": "352 万热度", "b": "12.5 万热度"}),
        hot_feed("b", "a", heat={"a": "300 万热度", "b": "400 万热度"}),
    )
    assert main(["hot", "/hot", "-c", str(path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [list(r) for r in rows] == [
        [
            "rank",
            "title",
            "link",
            "identity",
            "first_seen",
            "last_seen",
            "peak_rank",
            "hours_on_list",
            "heat",
            "history",
        ]
    ] * 2
    b, a = rows
    assert (b["rank"], b["title"], b["link"], b["heat"]) == (1, "话题b", "https://e.example/b", 4e6)
    assert a["peak_rank"] == 1 and a["hours_on_list"] == pytest.approx(0.17)
    assert a["history"] == [[T0.isoformat(), 1], [(T0 + STEP).isoformat(), 2]]
    assert main(["hot", "/hot", "-c", str(path)]) == 0
    text = capsys.readouterr().out
    assert "1. 话题b" in text and "peak #1" in text
    # 2024-01-14 ended (Asia/Shanghai) before the first refresh; the 15th after both.
    assert main(["hot", "/hot", "-c", str(path), "--json", "--day", "2024-01-14"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["hot", "/hot", "-c", str(path), "--json", "--day", "2024-01-15"]) == 0
    assert [r["title"] for r in json.loads(capsys.readouterr().out)] == ["话题b", "话题a"]
    assert main(["hot", "/nope", "-c", str(path)]) == 1
    assert main(["hot", "/hot", "-c", str(path), "--day", "15/01"]) == 2


def test_the_starter_config_marks_its_hot_lists(tmp_path: Path) -> None:
    path = tmp_path / "hotpress.yml"
    assert main(["init", "-c", str(path)]) == 0
    settings = parse_settings(path.read_text(encoding="utf-8"), path)
    hot = {s.key for s in settings.sources if s.hotlist}
    assert hot == {"/zhihu/hot", "/weibo/search/hot", "/juejin/trending/ios/monthly"}
