"""Two `hotpress run` at once on one config: the second refuses, or waits with --wait; never
two writers. Real processes, a real local feed server whose replies are slow enough that the
runs overlap."""

from __future__ import annotations

import itertools
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from html import escape
from pathlib import Path

from feedserver import FeedServer, RecordedRequest, Reply

SLOW = 1.5  # seconds the feed takes to answer: the first run holds the lock that long


def _feed() -> bytes:
    items = "".join(
        f'<item><title>{escape(f"条目{i}")}</title><guid isPermaLink="false">c{i}</guid>'
        f"<link>https://example.com/{i}</link><description>正文</description>"
        "<pubDate>Mon, 15 Jan 2024 02:30:00 GMT</pubDate></item>"
        for i in range(20)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>https://example.com/</link>{items}</channel></rss>"
    ).encode()


class Intervals:
    """Serves the slow feed and remembers when each request was being answered."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float]] = []
        self._lock = threading.Lock()
        self._body = _feed()

    def __call__(self, request: RecordedRequest) -> Reply:
        start = request.time
        time.sleep(SLOW)  # the reply is built slowly, so its span is known here
        with self._lock:
            self.spans.append((start, time.monotonic()))
        return Reply(body=self._body, headers={"Content-Type": "application/rss+xml"})

    def overlapping(self) -> bool:
        spans = sorted(self.spans)
        return any(b[0] < a[1] for a, b in itertools.pairwise(spans))


def _config(folder: Path, server: FeedServer) -> Path:
    config = folder / "hotpress.yml"
    config.write_text(
        "output:\n  hexo: posts\nsources:\n"
        f"  - category: [a, b, c]\n    url: {server.url('/slow')}\n",
        encoding="utf-8",
    )
    return config


def _start(config: Path, *args: str, command: str = "run") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "hotpress", command, "-c", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_request(server: FeedServer, count: int = 1) -> None:
    deadline = time.monotonic() + 20
    while len(server.requests_to("/slow")) < count:
        assert time.monotonic() < deadline, "the first run never reached the feed"
        time.sleep(0.01)


def _items(db: Path) -> list[str]:
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return [r[0] for r in conn.execute("SELECT identity FROM items")]


def test_a_second_run_refuses_while_the_first_holds_the_archive(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.route("/slow", Intervals())
    config = _config(tmp_path, feed_server)
    with _start(config) as first:
        _wait_for_request(feed_server)
        began = time.monotonic()
        second = subprocess.run(
            [sys.executable, "-m", "hotpress", "run", "-c", str(config)],
            capture_output=True,
            text=True,
            check=False,
        )
        refused_after = time.monotonic() - began
        still_running = first.poll() is None
        _, first_err = first.communicate(timeout=30)
    assert still_running  # the refusal really happened while the first run was at work
    assert second.returncode == 1
    assert f"another hotpress run (pid {first.pid})" in second.stderr
    assert str(tmp_path / "hotpress.db") in second.stderr
    assert "--wait" in second.stderr
    assert "Traceback" not in second.stderr and second.stdout == ""
    assert refused_after < SLOW + 5
    assert first.returncode == 0, first_err
    assert len(feed_server.requests_to("/slow")) == 1  # the refused run fetched nothing
    assert len(_items(tmp_path / "hotpress.db")) == 20


def test_with_wait_the_second_run_takes_its_turn(tmp_path: Path, feed_server: FeedServer) -> None:
    slow = Intervals()
    feed_server.route("/slow", slow)
    config = _config(tmp_path, feed_server)
    with _start(config) as first:
        _wait_for_request(feed_server)
        with _start(config, "--wait", "30") as second:
            second_out, second_err = second.communicate(timeout=60)
        first_out, first_err = first.communicate(timeout=30)
    assert (first.returncode, second.returncode) == (0, 0), (first_err, second_err)
    assert len(slow.spans) == 2 and not slow.overlapping()
    assert "20 new" in first_out and "0 new" in second_out
    assert len(_items(tmp_path / "hotpress.db")) == 20
    assert len(list((tmp_path / "posts").rglob("*.md"))) == 20


def test_a_wait_shorter_than_the_first_run_still_refuses(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.route("/slow", Intervals())
    config = _config(tmp_path, feed_server)
    with _start(config) as first:
        _wait_for_request(feed_server)
        began = time.monotonic()
        with _start(config, "--wait", "0.5") as second:
            _, second_err = second.communicate(timeout=30)
        waited = time.monotonic() - began
        first.communicate(timeout=30)
    assert second.returncode == 1 and "another hotpress run" in second_err
    assert waited >= 0.5
    assert first.returncode == 0


def test_publish_and_fetch_share_the_one_lock(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.route("/slow", Intervals())
    config = _config(tmp_path, feed_server)
    with _start(config, command="fetch") as first:
        _wait_for_request(feed_server)
        publish = subprocess.run(
            [sys.executable, "-m", "hotpress", "publish", "-c", str(config)],
            capture_output=True,
            text=True,
            check=False,
        )
        first.communicate(timeout=30)
    assert publish.returncode == 1 and "another hotpress run" in publish.stderr
    assert first.returncode == 0
    assert not (tmp_path / "posts").exists()  # the refused publish wrote nothing


def test_many_runs_at_once_with_wait_never_write_together(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    slow = Intervals()
    feed_server.route("/slow", slow)
    config = _config(tmp_path, feed_server)
    runs = [_start(config, "--wait", "60") for _ in range(4)]
    try:
        results = [run.communicate(timeout=90) for run in runs]
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
            run.wait()
    assert [run.returncode for run in runs] == [0] * 4, [err for _, err in results]
    assert len(slow.spans) == 4 and not slow.overlapping()
    assert sum("20 new" in out for out, _ in results) == 1
    assert len(_items(tmp_path / "hotpress.db")) == 20
    assert len(list((tmp_path / "posts").rglob("*.md"))) == 20
