"""`hotpress watch`, driven by a fake clock and sleep (no waiting), with real local feed
files, a real archive and a real local HTTP server."""

from __future__ import annotations

import itertools
import logging
import os
import re
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feedserver import FeedServer, RecordedRequest, Reply
from hotpress._lock import RunLock
from hotpress._storage import SQLiteStorage
from hotpress._watch import Round, Stop, stop_on_signals, watch
from hotpress.config import Settings, load_settings

START = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def rss(*guids: str) -> str:
    items = "".join(
        f"<item><title>{g}</title><guid>{g}</guid><pubDate>Fri, 01 Mar 2024 00:00:00 GMT</pubDate>"
        "</item>"
        for g in guids
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    )


class FakeTime:
    """The clock and the sleep of the loop: sleeping moves the clock; ``until`` stops it."""

    def __init__(self, stop: Stop, until: timedelta) -> None:
        self.now = START
        self.stop = stop
        self.end = START + until
        self.sleeps: list[float] = []
        self.hooks: list[Callable[[datetime], None]] = []

    def clock(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)
        for hook in self.hooks:
            hook(self.now)
        if self.now >= self.end:
            self.stop.set()


def config(tmp_path: Path, sources: str, extra: str = "") -> Settings:
    path = tmp_path / "hotpress.yml"
    path.write_text(f"output:\n  hexo: posts\n{extra}sources:\n{sources}", encoding="utf-8")
    return load_settings(path)


def attempts(settings: Settings, key: str) -> list[datetime]:
    with SQLiteStorage(settings.database) as store:
        return sorted(e.started for e in store.fetch_log(key, limit=1000))


def test_each_source_is_refreshed_at_its_own_interval(tmp_path: Path) -> None:
    (tmp_path / "fast.xml").write_text(rss("f1"), encoding="utf-8")
    (tmp_path / "slow.xml").write_text(rss("s1"), encoding="utf-8")
    settings = config(
        tmp_path,
        "  - category: [fast]\n    url: fast.xml\n    interval: 10\n"
        "  - category: [slow]\n    url: slow.xml\n    interval: 60\n",
    )
    stop = Stop()
    fake = FakeTime(stop, until=timedelta(hours=3))
    rounds = watch(settings, stop=stop, clock=fake.clock, sleep=fake.sleep)
    fast, slow = attempts(settings, "fast.xml"), attempts(settings, "slow.xml")
    # 10 min + up to 10% jitter over 3 h: 17 to 19 refreshes; 60 min: 3 or 4.
    assert 16 <= len(fast) <= 19 and 3 <= len(slow) <= 4
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(fast)]
    assert all(600 <= gap <= 600 * 1.1 + 1 for gap in gaps)
    assert rounds >= len(fast)
    assert max(fake.sleeps) <= 300  # never sleeps past the cap


def test_the_loop_says_when_its_next_round_is_once_for_each_round(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Between rounds the loop wakes every 5 minutes (the cap) and says nothing: it says
    once, as it goes to sleep after a round, when the next one is due, in the config's
    timezone. Before, an hour between rounds passed without a line."""
    (tmp_path / "a.xml").write_text(rss("a1"), encoding="utf-8")
    settings = config(tmp_path, "  - category: [a]\n    url: a.xml\n    interval: 20\n")
    stop = Stop()
    fake = FakeTime(stop, until=timedelta(minutes=50))
    with caplog.at_level(logging.INFO, logger="hotpress"):
        rounds = watch(settings, stop=stop, clock=fake.clock, sleep=fake.sleep)
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("next round")]
    assert rounds == 3  # at 08:00, ~08:20, ~08:41 UTC
    assert len(said) == 3 < len(fake.sleeps), (said, fake.sleeps)
    # 20 minutes + up to 10% jitter after 08:00 UTC, said in Asia/Shanghai (the default).
    assert re.fullmatch(r"next round in 2[012] min, at 2024-03-01 16:2[012] CST", said[0]), said


def test_each_round_publishes_only_what_changed(tmp_path: Path) -> None:
    feed = tmp_path / "a.xml"
    feed.write_text(rss("one"), encoding="utf-8")
    settings = config(tmp_path, "  - category: [a]\n    url: a.xml\n    interval: 5\n")
    stop = Stop()
    fake = FakeTime(stop, until=timedelta(minutes=30))
    seen: list[Round] = []

    def add_item(now: datetime) -> None:
        if now >= START + timedelta(minutes=12) and "two" not in feed.read_text("utf-8"):
            feed.write_text(rss("one", "two"), encoding="utf-8")

    fake.hooks.append(add_item)
    watch(settings, stop=stop, clock=fake.clock, sleep=fake.sleep, on_round=seen.append)
    written = [sum(r.written for r in rnd.outputs) for rnd in seen]
    assert written[0] == 1  # the first round publishes what it found
    assert sum(written) == 2  # "two" once, when it appeared; nothing rewritten in between
    assert sorted(p.stem for p in (tmp_path / "posts").rglob("*.md")) == ["one", "two"]


def test_a_failing_source_backs_off_and_recovers(tmp_path: Path) -> None:
    feed = tmp_path / "late.xml"
    settings = config(tmp_path, "  - category: [a]\n    url: late.xml\n    interval: 10\n")
    stop = Stop()
    fake = FakeTime(stop, until=timedelta(hours=6))

    def appear(now: datetime) -> None:
        if now >= START + timedelta(hours=3) and not feed.exists():
            feed.write_text(rss("x"), encoding="utf-8")

    fake.hooks.append(appear)
    watch(settings, stop=stop, clock=fake.clock, sleep=fake.sleep)
    with SQLiteStorage(settings.database) as store:
        log = list(reversed(store.fetch_log("late.xml", limit=1000)))
        (state,) = store.sources(fake.now)
    failed = [e.started for e in log if e.error]
    gaps = [(b - a).total_seconds() / 60 for a, b in itertools.pairwise(failed)]
    # 10, 20, 40, 80 minutes (+ jitter): exponential, not every 10 minutes
    assert len(gaps) >= 3 and all(b > a * 1.7 for a, b in itertools.pairwise(gaps))
    assert state.error_count == 0 and state.items_total == 1  # recovered on its first success
    ok = [e.started for e in log if not e.error]
    assert len(ok) >= 2 and (ok[1] - ok[0]) <= timedelta(minutes=11)  # back to its interval


def test_sigterm_during_a_round_finishes_its_writes_then_stops(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    def terminate(_: RecordedRequest) -> Reply:
        os.kill(os.getpid(), signal.SIGTERM)
        return Reply(body=rss("last"), headers={"Content-Type": "application/rss+xml"})

    feed_server.route("/feed", terminate)
    settings = config(
        tmp_path,
        "  - category: [a]\n    route: /feed\n",
        extra=f"rsshub: {feed_server.url('/').rstrip('/')}\n",
    )
    previous = signal.getsignal(signal.SIGTERM)
    slept: list[float] = []
    with stop_on_signals(Stop()) as stop:
        rounds = watch(settings, stop=stop, sleep=slept.append)
    assert stop.requested and rounds == 1 and slept == []  # stopped without sleeping again
    assert [p.stem for p in (tmp_path / "posts").rglob("*.md")] == ["last"]
    with SQLiteStorage(settings.database) as store:
        assert store.count_items() == 1 and store.error_count("/feed") == 0
    assert signal.getsignal(signal.SIGTERM) is previous  # handlers restored


def test_a_second_signal_interrupts_at_once() -> None:
    with stop_on_signals(Stop()) as stop, pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.requested
        os.kill(os.getpid(), signal.SIGINT)


def test_a_round_is_skipped_while_another_run_holds_the_archive(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text(rss("a"), encoding="utf-8")
    settings = config(tmp_path, "  - category: [a]\n    url: a.xml\n")
    stop = Stop()
    fake = FakeTime(stop, until=timedelta(minutes=1))
    seen: list[Round] = []
    with RunLock(settings.database):
        rounds = watch(
            settings,
            stop=stop,
            clock=fake.clock,
            sleep=fake.sleep,
            on_round=seen.append,
            lock_wait=0,
        )
    assert rounds == 0 and seen and all("another hotpress run" in (r.error or "") for r in seen)
    assert not (tmp_path / "posts").exists()
