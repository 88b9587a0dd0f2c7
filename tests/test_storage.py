"""Contract tests every archive backend must pass (SQLite today; PostgreSQL later)."""

from __future__ import annotations

import pickle
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotpress._storage import Publication, SQLiteStorage, Storage, open_storage
from hotpress.exceptions import StorageError
from hotpress.types import FetchResult, Item, SourceSpec, Validators

NOW = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)
SPEC = SourceSpec(
    key="/zhihu/hot",
    category=("社交媒体", "知乎", "知乎热榜"),
    url="http://127.0.0.1:1200/zhihu/hot",
    author="知乎",
    timezone="Asia/Shanghai",
)


def ok(validators: Validators | None = None) -> FetchResult:
    validators = validators or Validators()
    return FetchResult(
        source_key=SPEC.key,
        url=SPEC.url,
        status=200,
        content=b"",
        content_type="application/xml",
        validators=validators,
        duration=0.1,
    )


def make_item(n: int, *, title: str | None = None, published: datetime | None = NOW) -> Item:
    title = title or f"标题 {n}"
    return Item(
        source_key=SPEC.key,
        identity=f"{n:032x}",
        title=title,
        content=f"<p>{title}</p>",
        link=f"https://example.com/{n}",
        guid=str(n),
        published=published,
        author=None,
        cover=None,
        content_hash=f"h{title}{published}",
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where the archive of a test lives: an SQLite file, or a new PostgreSQL database."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("pg_url")
        return url
    return tmp_path / "archive.db"


@pytest.fixture
def storage(database: Path | str) -> Iterator[Storage]:
    store = open_storage(database)
    store.sync_sources([SPEC])
    yield store
    store.close()


def test_new_items_are_stored_once_and_refetching_adds_no_row(storage: Storage) -> None:
    items = [make_item(1), make_item(2)]
    first = storage.save_fetch(SPEC.key, ok(), items, now=NOW, error=None, next_due=None)
    again = storage.save_fetch(
        SPEC.key, ok(), items, now=NOW + timedelta(hours=1), error=None, next_due=None
    )
    assert (first.new, first.updated, first.unchanged) == (2, 0, 0)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    assert storage.count_items() == 2
    stored = list(storage.iter_items())
    assert {s.last_seen for s in stored} == {NOW + timedelta(hours=1)}
    assert {s.first_seen for s in stored} == {NOW}


def test_an_edited_item_is_updated_in_place_with_a_new_revision(storage: Storage) -> None:
    storage.save_fetch(SPEC.key, ok(), [make_item(1)], now=NOW, error=None, next_due=None)
    (before,) = storage.iter_items()
    later = NOW + timedelta(hours=2)
    counts = storage.save_fetch(
        SPEC.key, ok(), [make_item(1, title="改过的标题")], now=later, error=None, next_due=None
    )
    (after,) = storage.iter_items()
    assert counts.updated == 1
    assert after.id == before.id
    assert after.title == "改过的标题"
    assert after.revision == before.revision + 1
    assert after.updated == later
    assert after.first_seen == NOW


def test_an_undated_item_takes_its_first_seen_time_and_keeps_it(storage: Storage) -> None:
    storage.save_fetch(
        SPEC.key, ok(), [make_item(1, published=None)], now=NOW, error=None, next_due=None
    )
    storage.save_fetch(
        SPEC.key,
        ok(),
        [make_item(1, published=None)],
        now=NOW + timedelta(days=1),
        error=None,
        next_due=None,
    )
    (item,) = storage.iter_items()
    assert item.date == NOW
    assert item.date_is_fallback


def test_validators_and_status_are_remembered_per_source(storage: Storage) -> None:
    storage.save_fetch(
        SPEC.key,
        ok(Validators(etag='"v1"', last_modified="Mon, 15 Jan 2024 12:00:00 GMT")),
        [],
        now=NOW,
        error=None,
        next_due=NOW + timedelta(hours=1),
    )
    assert storage.validators(SPEC.key) == Validators('"v1"', "Mon, 15 Jan 2024 12:00:00 GMT")
    (state,) = storage.sources(NOW)
    assert state.last_success == NOW
    assert state.error_count == 0
    assert state.next_due == NOW + timedelta(hours=1)
    assert storage.due_sources(NOW) == []
    assert storage.due_sources(NOW + timedelta(hours=2)) == [SPEC.key]


def test_a_failure_is_recorded_and_keeps_stored_items_and_validators(storage: Storage) -> None:
    storage.save_fetch(
        SPEC.key, ok(Validators(etag='"v1"')), [make_item(1)], now=NOW, error=None, next_due=None
    )
    failed = replace(ok(), status=503, content=None, error="HTTP 503 Service Unavailable")
    for n in range(2):
        storage.save_fetch(
            SPEC.key,
            failed,
            None,
            now=NOW + timedelta(minutes=n + 1),
            error=failed.error,
            next_due=None,
        )
    (state,) = storage.sources(NOW)
    assert state.error_count == 2
    assert state.last_error == "HTTP 503 Service Unavailable"
    assert state.last_success == NOW
    assert state.items_total == 1
    assert storage.validators(SPEC.key).etag == '"v1"'
    assert storage.error_count(SPEC.key) == 2
    log = storage.fetch_log(SPEC.key)
    assert [entry.status for entry in log] == [503, 503, 200]
    assert log[-1].new == 1


def test_pending_lists_unpublished_and_changed_items_only(storage: Storage) -> None:
    storage.save_fetch(
        SPEC.key, ok(), [make_item(1), make_item(2)], now=NOW, error=None, next_due=None
    )
    pending = list(storage.pending("hexo"))
    assert len(pending) == 2
    storage.record_publications(
        "hexo",
        [
            Publication(p.item.id, p.item.revision, p.source_revision, f"a/{p.item.id}.md")
            for p in pending
        ],
    )
    assert list(storage.pending("hexo")) == []
    assert len(list(storage.pending("hexo", force=True))) == 2
    storage.save_fetch(
        SPEC.key, ok(), [make_item(1, title="新"), make_item(2)], now=NOW, error=None, next_due=None
    )
    (changed,) = storage.pending("hexo")
    assert changed.item.title == "新"
    assert changed.path == f"a/{changed.item.id}.md"
    assert storage.path_owner("hexo", f"a/{changed.item.id}.md") == changed.item.id
    assert list(storage.pending("site")) != []
    # ``after``: only items of higher ids.
    first, second = sorted(p.item.id for p in storage.pending("site"))
    assert [p.item.id for p in storage.pending("site", after=first)] == [second]
    assert list(storage.pending("site", after=second)) == []


def test_a_changed_category_makes_every_item_of_the_source_pending(storage: Storage) -> None:
    storage.save_fetch(SPEC.key, ok(), [make_item(1)], now=NOW, error=None, next_due=None)
    (p,) = storage.pending("hexo")
    storage.record_publications(
        "hexo", [Publication(p.item.id, p.item.revision, p.source_revision, "x.md")]
    )
    storage.sync_sources([replace(SPEC, category=("社交", "知乎"))])
    (again,) = storage.pending("hexo")
    assert again.item.category == ("社交", "知乎")


def test_pending_pages_through_large_archives(storage: Storage) -> None:
    storage.save_fetch(
        SPEC.key, ok(), [make_item(n) for n in range(1, 1203)], now=NOW, error=None, next_due=None
    )
    seen = [p.item.id for p in storage.pending("hexo")]
    assert len(seen) == len(set(seen)) == 1202


def test_an_unknown_source_is_a_storage_error(storage: Storage) -> None:
    with pytest.raises(StorageError):
        storage.save_fetch("/nope", ok(), [], now=NOW, error=None, next_due=None)


def test_an_archive_from_a_newer_hotpress_is_refused(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "future.db"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(StorageError, match="newer"):
        SQLiteStorage(path)


def test_a_corrupt_archive_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match="cannot open"):
        SQLiteStorage(path)


def test_unchanged_entries_are_found_by_their_raw_digest(storage: Storage) -> None:
    first = replace(make_item(1), raw_hash="r1")
    storage.save_fetch(SPEC.key, ok(), [first, make_item(2)], now=NOW, error=None, next_due=None)
    found = storage.unchanged_entries(
        SPEC.key, {first.identity: "r1", make_item(2).identity: "r2", "f" * 32: "r3"}
    )
    assert found == {first.identity}


def test_the_body_digest_is_kept_only_from_successful_refreshes(storage: Storage) -> None:
    storage.save_fetch(SPEC.key, ok(), [], now=NOW, error=None, next_due=None, body_digest="b1")
    failed = replace(ok(), status=500, error="HTTP 500")
    storage.save_fetch(
        SPEC.key, failed, None, now=NOW, error="HTTP 500", next_due=None, body_digest="b2"
    )
    assert storage.body_digest(SPEC.key) == "b1"


def test_same_as_before_moves_last_seen_of_the_items_the_last_refresh_saw(
    storage: Storage,
) -> None:
    storage.save_fetch(SPEC.key, ok(), [make_item(1)], now=NOW, error=None, next_due=None)
    later = NOW + timedelta(hours=1)
    storage.save_fetch(SPEC.key, ok(), [make_item(2)], now=later, error=None, next_due=None)
    latest = NOW + timedelta(hours=2)
    counts = storage.save_fetch(
        SPEC.key, ok(), None, now=latest, error=None, next_due=None, same_as_before=True
    )
    assert counts.unchanged == 1
    seen = {item.guid: item.last_seen for item in storage.iter_items()}
    assert seen == {"1": NOW, "2": latest}


def test_pending_shards_split_the_items_by_source_without_overlap(storage: Storage) -> None:
    others = [replace(SPEC, key=f"/route/{n}", url=f"http://127.0.0.1:1200/{n}") for n in range(5)]
    storage.sync_sources([SPEC, *others])
    for n, spec in enumerate([SPEC, *others]):
        items = [replace(make_item(10 * n + k), source_key=spec.key) for k in range(3)]
        storage.save_fetch(spec.key, ok(), items, now=NOW, error=None, next_due=None)
    every = {p.item.id: p.item.source_key for p in storage.pending("site")}
    assert len(every) == 18
    shards = [{p.item.id for p in storage.pending("site", shard=(k, 4))} for k in range(4)]
    assert sorted(i for shard in shards for i in shard) == sorted(every)
    for key in set(every.values()):  # a source's items are all in one shard
        holding = [k for k, shard in enumerate(shards) if any(every[i] == key for i in shard)]
        assert len(holding) == 1


def test_the_opener_opens_the_same_archive_in_a_new_connection(
    storage: Storage, tmp_path: Path
) -> None:
    storage.save_fetch(SPEC.key, ok(), [make_item(1)], now=NOW, error=None, next_due=None)
    opener = storage.opener()
    assert opener is not None
    other = pickle.loads(pickle.dumps(opener))()
    try:
        assert [i.title for i in other.iter_items()] == ["标题 1"]
    finally:
        other.close()
    assert SQLiteStorage(":memory:").opener() is None


_OPEN_AT = """
import sys, time
from hotpress._storage import open_storage
at = float(sys.argv[2])
while time.time() < at:
    pass
open_storage(sys.argv[1]).close()
"""


def test_processes_opening_a_new_archive_at_once_migrate_it_once(tmp_path: Path) -> None:
    """Workers started together each open the archive first: before, the second to take the
    write lock ran the first migration again ("table sources already exists")."""
    from hotpress._storage.migrations import MIGRATIONS

    for attempt in range(3):
        path = tmp_path / f"archive{attempt}.db"
        at = time.time() + 1.5  # after every process has imported hotpress
        runs = [
            subprocess.Popen(
                [sys.executable, "-c", _OPEN_AT, str(path), str(at)],
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        errors = [run.communicate(timeout=60)[1] for run in runs]
        assert [run.returncode for run in runs] == [0] * 4, errors
        db = sqlite3.connect(path)
        try:
            assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        finally:
            db.close()
