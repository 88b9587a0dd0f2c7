"""Pushes through Apprise to a local HTTP endpoint: once per item, batched, retried."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from feedserver import FeedServer, Reply
from hotpress import core
from hotpress._notify import Candidate, NotifyTarget, batches, notify_round
from hotpress._storage import SQLiteStorage
from hotpress.config import parse_settings
from hotpress.exceptions import ConfigError
from pushhost import Endpoint

T0 = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    e = Endpoint()
    yield e
    e.close()


def feed(*titles: str) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><guid>{t}</guid><link>https://e.example/{i}</link></item>"
        for i, t in enumerate(titles)
    )
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    return f"{head}{body}</channel></rss>".encode()


def settings_for(tmp_path: Path, server: FeedServer, endpoint: Endpoint) -> Any:
    path = tmp_path / "hotpress.yml"
    path.write_text(
        f"rsshub: {server.url('/').rstrip('/')}\nfetch:\n  min_host_interval: 0\n"
        "sources:\n  - category: [新闻, 热榜]\n    route: /f\n"
        "  - category: [新闻, 别处]\n    route: /g\n"
        f"notify:\n  - url: json://127.0.0.1:{endpoint.port}/push\n"
        "    filters: |\n      古城\n    sources: [/f]\n",
        encoding="utf-8",
    )
    return parse_settings(path.read_text(encoding="utf-8"), path)


def refresh(settings: Any, when: datetime) -> core.FetchReport:
    with SQLiteStorage(settings.database) as store:
        report = asyncio.run(core.refresh(settings, store, clock=lambda: when))
    assert not report.failed
    return report


def test_a_matching_item_is_pushed_once_and_a_failed_push_is_retried(
    tmp_path: Path, feed_server: FeedServer, endpoint: Endpoint
) -> None:
    settings = settings_for(tmp_path, feed_server, endpoint)
    feed_server.route("/f", Reply(body=feed("西安古城墙", "别的新闻", "古城丽江")))
    feed_server.route("/g", Reply(body=feed("古城在别的源")))
    endpoint.replies = [500, 200]
    first = refresh(settings, T0)
    assert first.notify is not None
    assert (first.notify.sent, first.notify.failed) == (0, 2)
    with sqlite3.connect(settings.database) as db:
        rows = db.execute(
            "SELECT state, attempts, error FROM notifications ORDER BY state"
        ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [
        ("failed", 1),
        ("failed", 1),
        ("skipped", 0),
        ("skipped", 0),
    ]
    assert all(r[2] for r in rows if r[0] == "failed")

    second = refresh(settings, T0 + timedelta(minutes=10))  # a new process would do the same
    assert second.notify is not None and (second.notify.sent, second.notify.failed) == (2, 0)
    assert len(endpoint.bodies) == 2
    message = endpoint.bodies[-1]["message"]
    assert "西安古城墙" in message and "古城丽江" in message and "别的新闻" not in message
    assert "在别的源" not in message

    third = refresh(settings, T0 + timedelta(minutes=20))
    assert third.notify is not None and third.notify.sent == 0 and len(endpoint.bodies) == 2
    feed_server.route("/f", Reply(body=feed("西安古城墙", "古城新闻")))
    fourth = refresh(settings, T0 + timedelta(minutes=30))
    assert fourth.notify is not None and fourth.notify.sent == 1
    assert "古城新闻" in endpoint.bodies[-1]["message"]
    assert "西安古城墙" not in endpoint.bodies[-1]["message"]


def test_a_hung_service_holds_the_round_only_for_its_budget(tmp_path: Path) -> None:
    calls: list[str] = []

    def slow(url: str, title: str, body: str) -> tuple[bool, str | None]:
        calls.append(body)
        time.sleep(3)
        return True, None

    class Store:
        def __init__(self) -> None:
            self.recorded: list[tuple[list[int], str, str | None]] = []

        def notify_since(self, target: str, now: datetime) -> datetime:
            return T0

        def notify_candidates(
            self, target: str, since: datetime, max_attempts: int
        ) -> list[Candidate]:
            return [Candidate(1, "/f", "古城", None, "热榜")]

        def record_notified(
            self, target: str, item_ids: Any, state: str, now: datetime, error: str | None
        ) -> None:
            self.recorded.append((list(item_ids), state, error))

    store = Store()
    started = time.monotonic()
    report = notify_round(
        [NotifyTarget("json://127.0.0.1:9/x")], store, now=T0, since=T0, sender=slow, budget=0.3
    )
    assert time.monotonic() - started < 2
    assert (report.sent, report.failed) == (0, 1)
    assert store.recorded == [([], "skipped", None), ([1], "failed", "timed out")]


def test_messages_stay_within_the_service_limit() -> None:
    items = [Candidate(i, "/f", "标题" * 20, f"https://e.example/{i}", "热榜") for i in range(30)]
    groups = batches(items, 500)
    assert sum(len(g) for g in groups) == 30 and len(groups) > 1
    assert all(sum(len(f"[热榜] {c.title}\n{c.link}") + 1 for c in g) <= 500 for g in groups)


def test_a_bad_notify_target_is_a_config_error(tmp_path: Path) -> None:
    base = "sources:\n  - category: [a]\n    route: /f\nnotify:\n"
    with pytest.raises(ConfigError, match=r"notify\[0\]\.url"):
        parse_settings(base + "  - url: nonsense://x\n", tmp_path / "hotpress.yml")
    with pytest.raises(ConfigError, match="no such source '/nope'"):
        parse_settings(
            base + "  - url: json://127.0.0.1/x\n    sources: [/nope]\n", tmp_path / "h.yml"
        )
