"""One round (fetch -> publish -> retention) put together once: ``core.run_round``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hotpress import _watch, core
from hotpress._storage import SQLiteStorage
from hotpress.cli import main
from hotpress.config import load_settings

NOW = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)
FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>本地</title><link>https://example.com/</link>
{items}
</channel></rss>
"""
ITEM = """<item><title>条目 {n}</title><link>https://example.com/{n}</link><guid>g{n}</guid>
<pubDate>Mon, 1{n} Jan 2024 08:00:00 +0800</pubDate><description>正文 {n}</description></item>"""


def setup(tmp_path: Path, keep: int | None = 1) -> Path:
    (tmp_path / "local.xml").write_text(
        FEED.format(items="\n".join(ITEM.format(n=n) for n in (1, 2, 3))), encoding="utf-8"
    )
    path = tmp_path / "hotpress.yml"
    path.write_text(
        "timezone: Asia/Shanghai\n"
        "output:\n  hexo: posts\n"
        + (f"keep_per_channel: {keep}\n" if keep else "")
        + "sources:\n  - category: [本地, 源, 频道]\n    url: local.xml\n",
        encoding="utf-8",
    )
    return path


def posts(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "posts").rglob("*.md"))


def test_a_round_fetches_publishes_and_applies_retention(tmp_path: Path) -> None:
    settings = load_settings(setup(tmp_path))
    with SQLiteStorage(settings.database) as storage:
        report = core.run(settings, storage, clock=lambda: NOW)
    assert report.fetch is not None and report.fetch.new == 3
    assert [o.written for o in report.outputs] == [3]
    assert report.retention is not None
    assert (report.retention.expired, report.retention.removed) == (2, 2)
    assert posts(tmp_path) == ["条目 3.md"]


def test_a_round_without_limits_reports_no_retention(tmp_path: Path) -> None:
    settings = load_settings(setup(tmp_path, keep=None))
    with SQLiteStorage(settings.database) as storage:
        report = core.run_round(settings, storage, clock=lambda: NOW)
        assert report.retention is None
        assert len(posts(tmp_path)) == 3
        # Only fetching: nothing published, no retention even with nothing to do.
        fetched = core.run_round(settings, storage, publish_outputs=False, clock=lambda: NOW)
        assert fetched.outputs == () and fetched.fetch is not None
        # A later round that stored nothing new may skip publishing.
        idle = core.run_round(settings, storage, publish_unchanged=False, clock=lambda: NOW)
        assert idle.fetch is not None and idle.fetch.new == 0 and idle.outputs == ()


def test_the_cli_and_watch_go_through_the_one_round(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = setup(tmp_path)
    calls: list[dict[str, Any]] = []
    real = core.run_round

    def spy(*args: Any, **kwargs: Any) -> core.RunReport:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(core, "run_round", spy)
    assert main(["run", "-c", str(path), "-q"]) == 0
    assert main(["fetch", "-c", str(path), "-q"]) == 0
    assert main(["publish", "-c", str(path), "-q"]) == 0
    assert [(c["fetch"], c["publish_outputs"]) for c in calls] == [
        (True, True),
        (True, False),
        (False, True),
    ]
    settings = load_settings(path)
    with SQLiteStorage(settings.database) as storage:
        later = datetime.now(UTC) + timedelta(days=30)  # every source is due again
        done = _watch.due_round(settings, storage, now=later, clock=lambda: later, first=True)
    assert len(calls) == 4 and calls[-1]["publish_unchanged"] is True
    assert done.due and done.fetch is not None
    assert posts(tmp_path) == ["条目 3.md"]
