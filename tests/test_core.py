"""The refresh stage skips work on what did not change, and keeps the archive right."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feedserver import FeedServer, Reply
from hotpress import _reading, core
from hotpress._storage import SQLiteStorage
from hotpress.config import parse_settings

T0 = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)


def feed(build: str, *items: tuple[str, str]) -> bytes:
    body = "".join(
        f"<item><title>{title}</title><guid>{guid}</guid><link>https://e.example/{guid}</link>"
        f"<description>&lt;p&gt;{title}&lt;/p&gt;</description></item>"
        for guid, title in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        f"<lastBuildDate>{build}</lastBuildDate>{body}</channel></rss>"
    ).encode()


def refresh(tmp_path: Path, server: FeedServer, when: datetime) -> core.SourceOutcome:
    settings = parse_settings(
        f"rsshub: {server.url('/').rstrip('/')}\nfetch:\n  min_host_interval: 0\n"
        "sources:\n  - category: [a, b]\n    route: /f\n",
        tmp_path / "hotpress.yml",
    )
    with SQLiteStorage(tmp_path / "hotpress.db") as store:
        report = asyncio.run(core.refresh(settings, store, clock=lambda: when))
    (outcome,) = report.outcomes
    return outcome


def last_seen(tmp_path: Path) -> dict[str, datetime]:
    with SQLiteStorage(tmp_path / "hotpress.db") as store:
        return {item.guid or "": item.last_seen for item in store.iter_items()}


def test_an_identical_body_is_not_parsed_again_but_its_items_are_seen(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed_server.route("/f", Reply(body=feed("Mon", ("1", "一"), ("2", "二"))))
    first = refresh(tmp_path, feed_server, T0)
    assert first.counts.new == 2

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an unchanged body was parsed again")

    monkeypatch.setattr(_reading, "parse_feed", no_parse)
    later = T0 + timedelta(hours=1)
    again = refresh(tmp_path, feed_server, later)
    assert (again.counts.new, again.counts.updated, again.counts.unchanged) == (0, 0, 2)
    assert again.not_modified
    assert set(last_seen(tmp_path).values()) == {later}


def test_only_entries_that_changed_are_normalized_again(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed_server.route("/f", Reply(body=feed("Mon", ("1", "一"), ("2", "二"))))
    refresh(tmp_path, feed_server, T0)
    calls: list[str] = []
    real = _reading.normalize_entry

    def counting(
        spec: object, entry: object, link: object, raw_hash: object = None, key: object = None
    ) -> object:
        calls.append(entry.guid)  # type: ignore[attr-defined]
        return real(spec, entry, link, raw_hash, key)  # type: ignore[arg-type]

    monkeypatch.setattr(_reading, "normalize_entry", counting)
    # A new build date (the body differs), one entry edited, one new, one unchanged.
    feed_server.route("/f", Reply(body=feed("Tue", ("1", "一"), ("2", "二改"), ("3", "三"))))
    later = T0 + timedelta(hours=1)
    outcome = refresh(tmp_path, feed_server, later)
    assert sorted(calls) == ["2", "3"]
    assert (outcome.counts.new, outcome.counts.updated, outcome.counts.unchanged) == (1, 1, 1)
    assert last_seen(tmp_path) == {"1": later, "2": later, "3": later}


def test_a_304_moves_last_seen_of_what_the_last_refresh_saw(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.route(
        "/f",
        lambda req: (
            Reply(status=304)
            if req.header("if-none-match") == '"v"'
            else Reply(body=feed("Mon", ("1", "一")), headers={"ETag": '"v"'})
        ),
    )
    refresh(tmp_path, feed_server, T0)
    later = T0 + timedelta(hours=2)
    outcome = refresh(tmp_path, feed_server, later)
    assert outcome.status == 304
    assert last_seen(tmp_path) == {"1": later}


def test_a_changed_normalizer_version_normalizes_stored_entries_again(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hotpress._normalize as normalize

    feed_server.route("/f", Reply(body=feed("Mon", ("1", "一"))))
    refresh(tmp_path, feed_server, T0)
    monkeypatch.setattr(normalize, "NORMALIZE_VERSION", "next")
    feed_server.route("/f", Reply(body=feed("Tue", ("1", "一"))))
    calls: list[object] = []
    real = _reading.normalize_entry
    monkeypatch.setattr(
        _reading,
        "normalize_entry",
        lambda *a: calls.append(a) or real(*a),  # type: ignore[func-returns-value]
    )
    outcome = refresh(tmp_path, feed_server, T0 + timedelta(hours=1))
    assert len(calls) == 1
    assert outcome.counts.unchanged == 1  # same for readers: no new revision


def test_a_storage_failure_surfaces_as_itself_after_the_fetches_finish(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hotpress.exceptions import StorageError

    feed_server.route("/f", Reply(body=feed("Mon", ("1", "一"))))

    def broken(*args: object, **kwargs: object) -> None:
        raise StorageError("disk I/O error")

    monkeypatch.setattr(core, "store_result", broken)
    with pytest.raises(StorageError, match="disk I/O error"):
        refresh(tmp_path, feed_server, T0)


def test_a_new_build_date_with_the_same_entries_is_not_parsed_again(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed_server.route("/f", Reply(body=feed("Mon", ("1", "一"), ("2", "二"))))
    refresh(tmp_path, feed_server, T0)

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("entries that did not change were parsed again")

    monkeypatch.setattr(_reading, "parse_feed", no_parse)
    feed_server.route("/f", Reply(body=feed("Tue", ("1", "一"), ("2", "二"))))
    later = T0 + timedelta(hours=1)
    outcome = refresh(tmp_path, feed_server, later)
    assert (outcome.counts.new, outcome.counts.updated, outcome.counts.unchanged) == (0, 0, 2)
    assert set(last_seen(tmp_path).values()) == {later}


def test_the_same_entries_read_with_another_encoding_are_parsed_again(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    body = feed("Mon", ("1", "一"))
    feed_server.route("/f", Reply(body=body, headers={"Content-Type": "application/xml"}))
    refresh(tmp_path, feed_server, T0)
    feed_server.route(
        "/f", Reply(body=body, headers={"Content-Type": "application/xml; charset=gb18030"})
    )
    outcome = refresh(tmp_path, feed_server, T0 + timedelta(hours=1))
    assert not outcome.not_modified  # the bytes mean something else now: read them again
