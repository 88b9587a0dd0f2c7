"""The operations commands as a user runs them: sources health, --check, watch, logs."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feedserver import FeedServer, RecordedRequest, Reply
from hotpress import cli
from hotpress._storage import SQLiteStorage

RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>one</title><guid>1</guid></item><item><title>two</title><guid>2</guid></item>"
    b"</channel></rss>"
)


@pytest.fixture
def config(tmp_path: Path, feed_server: FeedServer) -> Path:
    feed_server.route("/good", Reply(body=RSS, headers={"Content-Type": "application/rss+xml"}))
    feed_server.route("/gone", Reply(status=404))
    path = tmp_path / "hotpress.yml"
    path.write_text(
        f"rsshub: {feed_server.url('/').rstrip('/')}\noutput:\n  hexo: posts\nsources:\n"
        "  - category: [社交媒体, 知乎, 知乎热榜]\n    route: /good\n"
        "  - category: [a, gone]\n    route: /gone\n",
        encoding="utf-8",
    )
    return path


def test_sources_table_shows_health_columns(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    assert cli.main(["sources", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    for column in ("url", "last success", "last attempt", "status", "next due", "24h"):
        assert column in out
    assert "社交媒体 / 知乎 / 知乎热榜" in out and "HTTP 404" in out and "failing ×1" in out
    assert "never" in out  # /gone never succeeded


def test_sources_json_has_every_field_for_scripts(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    assert cli.main(["sources", "--json", "-c", str(config)]) == 0
    rows = {r["key"]: r for r in json.loads(capsys.readouterr().out)}
    good, gone = rows["/good"], rows["/gone"]
    assert good["url"].endswith("/good") and good["last_success"] and good["next_due"]
    assert (good["items_total"], good["items_24h"], good["error_count"]) == (2, 2, 0)
    assert gone["last_success"] is None and gone["last_attempt"] and gone["error_count"] == 1


def test_sources_check_fetches_once_and_stores_nothing(
    config: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["sources", "--check", "--json", "-c", str(config)]) == 1  # one failed
    rows = {r["key"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["/good"] | {"duration": 0} == {
        "key": "/good",
        "url": feed_server.url("/good"),
        "ok": True,
        "status": 200,
        "duration": 0,
        "entries": 2,
        "format": "rss",
        "error": None,
    }
    assert not rows["/gone"]["ok"] and "404" in rows["/gone"]["error"]
    with SQLiteStorage(config.parent / "hotpress.db") as store:
        assert store.count_items() == 0
        assert all(s.last_attempt is None for s in store.sources(datetime.now(UTC)))


def test_sources_check_prints_a_table(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["sources", "--check", "-c", str(config)]) == 1
    out = capsys.readouterr().out
    assert "checked 2 sources" in out and "failed" in out and "ok" in out


def test_watch_logs_json_lines_and_stops_on_sigterm(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    def terminate(_: RecordedRequest) -> Reply:
        os.kill(os.getpid(), signal.SIGTERM)
        return Reply(body=RSS, headers={"Content-Type": "application/rss+xml"})

    feed_server.route("/feed", terminate)
    config = tmp_path / "hotpress.yml"
    config.write_text(
        f"rsshub: {feed_server.url('/').rstrip('/')}\noutput:\n  hexo: posts\n"
        "sources:\n  - category: [a]\n    route: /feed\n",
        encoding="utf-8",
    )
    assert cli.main(["watch", "--log-format", "json", "-c", str(config)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    messages = [line["message"] for line in lines]
    assert messages[0] == "watching 1 sources (Ctrl-C to stop)"
    assert "round: 1 due, 1 ok, 0 failed; 2 new, 0 updated" in messages
    assert "hexo: 2 written, 0 already up to date (2 posts)" in messages
    assert messages[-1] == "stopped after 1 rounds"
    assert {line["level"] for line in lines} <= {"info", "warning"}
    assert len(list((tmp_path / "posts").rglob("*.md"))) == 2


def test_quiet_leaves_only_errors(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    assert cli.main(["prune", "-q", "-c", str(config)]) == 0
    assert cli.main(["remove", "-q", "/nope", "-c", str(config)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [f"ERROR no source /nope in {config}"]


def test_verbose_run_summary_names_each_failure_on_one_line(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run", "-v", "-c", str(config)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "sources: 1 ok, 1 failed; items: 2 new, 0 updated" in out
    failures = [line for line in out if "failed /" in line]
    assert len(failures) == 1 and failures[0].startswith("  failed /gone: HTTP 404")


def test_a_json_log_line_keeps_the_traceback_of_a_logged_exception() -> None:
    """Before, a ``log.exception`` in JSON lost its traceback (only the message was kept)."""
    from hotpress._cli.common import JsonFormatter

    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "hotpress", logging.ERROR, __file__, 1, "refreshing %d sources failed", (3,),
            sys.exc_info(),
        )  # fmt: skip
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "error"
    assert line["message"] == "refreshing 3 sources failed"
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert line["exception"].endswith("ValueError: boom")
