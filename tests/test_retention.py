"""Retention: old posts leave the outputs (counted, never silently); the archive keeps the
items unless --purge, and then only those the feed no longer carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from hotpress import cli
from hotpress._retention import PURGE_GRACE, apply_retention
from hotpress._storage import SQLiteStorage
from hotpress.config import load_settings

NOW = datetime.now(UTC).replace(microsecond=0)


def feed(*ages_in_days: float, prefix: str = "i") -> str:
    items = "".join(
        f"<item><title>{prefix}{n}</title><guid>{prefix}{n}</guid>"
        f"<pubDate>{format_datetime(NOW - timedelta(days=age))}</pubDate></item>"
        for n, age in enumerate(ages_in_days)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    )


def setup(tmp_path: Path, config: str, **feeds: str) -> Path:
    for name, text in feeds.items():
        (tmp_path / f"{name}.xml").write_text(text, encoding="utf-8")
    path = tmp_path / "hotpress.yml"
    path.write_text("output:\n  hexo: posts\n" + config, encoding="utf-8")
    return path


def posts(tmp_path: Path, group: str = "") -> list[str]:
    return sorted(p.stem for p in (tmp_path / "posts" / group).rglob("*.md"))


def test_keep_per_channel_removes_the_oldest_posts_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = setup(
        tmp_path,
        "keep_per_channel: 2\nsources:\n  - category: [a, b, c]\n    url: a.xml\n",
        a=feed(1, 2, 3, 4, 5),
    )
    assert cli.main(["run", "-c", str(config)]) == 0
    assert "retention: 3 old post(s) removed from the outputs" in capsys.readouterr().out
    assert posts(tmp_path) == ["i0", "i1"]
    with SQLiteStorage(tmp_path / "hotpress.db") as store:
        assert store.count_items() == 5  # the archive keeps every item


def test_removed_posts_are_not_written_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = setup(
        tmp_path,
        "keep_per_channel: 1\nsources:\n  - category: [a]\n    url: a.xml\n",
        a=feed(1, 2, 3),
    )
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    assert cli.main(["run", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert "0 written" in out and "retention" not in out
    assert posts(tmp_path) == ["i0"]
    # An expired item that changes is rendered again, and taken out again in the same run.
    (tmp_path / "a.xml").write_text(feed(1, 2, 3).replace("<title>i2", "<title>i2 ed"), "utf-8")
    assert cli.main(["run", "-c", str(config)]) == 0
    assert "retention: 1 old post(s) removed" in capsys.readouterr().out
    assert posts(tmp_path) == ["i0"]


def test_keep_days_removes_posts_older_than_that(tmp_path: Path) -> None:
    config = setup(
        tmp_path,
        "keep_days: 30\nsources:\n  - category: [a]\n    url: a.xml\n",
        a=feed(1, 10, 40, 400),
    )
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    assert posts(tmp_path) == ["i0", "i1"]


def test_a_source_limit_overrides_the_global_one(tmp_path: Path) -> None:
    config = setup(
        tmp_path,
        "keep_per_channel: 1\nsources:\n"
        "  - category: [a]\n    url: a.xml\n"
        "  - category: [b]\n    url: b.xml\n    keep_per_channel: 3\n",
        a=feed(1, 2, 3, 4, prefix="a"),
        b=feed(1, 2, 3, 4, prefix="b"),
    )
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    assert posts(tmp_path, "a") == ["a0"]
    assert posts(tmp_path, "b") == ["b0", "b1", "b2"]


def test_without_limits_nothing_is_removed(tmp_path: Path) -> None:
    config = setup(tmp_path, "sources:\n  - category: [a]\n    url: a.xml\n", a=feed(1, 900))
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    assert posts(tmp_path) == ["i0", "i1"]


def test_purge_deletes_only_items_the_feed_no_longer_carries(tmp_path: Path) -> None:
    config = setup(
        tmp_path,
        "keep_per_channel: 2\nsources:\n  - category: [a]\n    url: a.xml\n",
        a=feed(1, 2, 3, 4, 5),
    )
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    settings = load_settings(config)
    with SQLiteStorage(settings.database) as store:
        soon = apply_retention(settings, store, now=NOW + timedelta(days=1), purge=True)
        assert (soon.removed, soon.purged, soon.expired) == (0, 0, 3)  # still in the feed
        later = NOW + PURGE_GRACE + timedelta(days=1)
        report = apply_retention(settings, store, now=later, purge=True)
        assert (report.purged, report.expired) == (3, 3)
        assert store.count_items() == 2
        assert store.path_owner("hexo", "a/i4.md") is None
    assert posts(tmp_path) == ["i0", "i1"]


def test_prune_command_reports_what_it_did(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = setup(tmp_path, "sources:\n  - category: [a]\n    url: a.xml\n", a=feed(1, 2, 3))
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    assert cli.main(["prune", "-c", str(config)]) == 0
    assert "nothing to prune" in capsys.readouterr().out
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("sources:", "keep_per_channel: 1\nsources:"), "utf-8")
    assert cli.main(["prune", "--purge", "-c", str(config)]) == 0
    assert "retention: 2 old post(s) removed" in capsys.readouterr().out
    assert posts(tmp_path) == ["i0"]
