"""An item page's neighbours: the older and newer item of its source by (date, id), with ties.

Items that share one date (RSSHub's ``Invalid Date`` items all take the same first-seen time)
once made every neighbour lookup scan the whole tie, so a build was quadratic in it. The
cost here is counted in SQLite virtual-machine steps (deterministic, no timing).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from hotpress._storage import SQLiteStorage
from hotpress.types import SourceSpec
from test_storage import NOW, SPEC, make_item, ok

OTHER = SourceSpec("/other", ("其他",), "http://127.0.0.1:1/other", "其他", "Asia/Shanghai")


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[SQLiteStorage]:
    store = SQLiteStorage(tmp_path / "archive.db")
    store.sync_sources([SPEC, OTHER])
    yield store
    store.close()


def test_neighbours_follow_date_then_id_with_ties(storage: SQLiteStorage) -> None:
    # Dates with runs of ties, stored in an order unlike the date order.
    offsets = [3, 0, 3, 1, 3, 0, 2, 3, 1, 0, 3, 3]
    items = [make_item(n, published=NOW + timedelta(hours=h)) for n, h in enumerate(offsets)]
    storage.save_fetch(SPEC.key, ok(), items, now=NOW, error=None, next_due=None)
    # Another source's items on the same dates are never neighbours.
    other = [
        replace(make_item(100 + n, published=NOW + timedelta(hours=h)), source_key=OTHER.key)
        for n, h in enumerate(offsets)
    ]
    storage.save_fetch(OTHER.key, ok(), other, now=NOW, error=None, next_due=None)
    stored = [i for i in storage.iter_items(newest_first=False) if i.source_key == SPEC.key]
    expected = sorted(stored, key=lambda i: (i.date, i.id))
    assert [i.id for i in stored] == [i.id for i in expected]
    for n, item in enumerate(expected):
        older, newer = storage.site_neighbors(item, "site")
        assert (older.id if older else None) == (expected[n - 1].id if n else None)
        want = expected[n + 1].id if n + 1 < len(expected) else None
        assert (newer.id if newer else None) == want
        for neighbor in (older, newer):
            if neighbor is not None:
                assert neighbor.title.startswith("标题 ") and neighbor.path is None


def _steps(storage: SQLiteStorage, count: int) -> int:
    """SQLite VM steps to look up the neighbours of the middle item of ``count`` items that
    all share one date."""
    items = [make_item(n, published=None) for n in range(count)]
    storage.save_fetch(SPEC.key, ok(), items, now=NOW, error=None, next_due=None)
    middle = sorted(storage.iter_items(), key=lambda i: i.id)[count // 2]
    db: sqlite3.Connection = storage._db
    steps = 0

    def tick() -> int:
        nonlocal steps
        steps += 1
        return 0

    db.set_progress_handler(tick, 1)
    try:
        older, newer = storage.site_neighbors(middle, "site")
    finally:
        db.set_progress_handler(None, 1)
    assert older is not None and newer is not None
    assert (older.id, newer.id) == (middle.id - 1, middle.id + 1)
    return steps


def test_a_neighbour_lookup_costs_the_same_however_many_items_share_its_date(
    tmp_path: Path,
) -> None:
    costs = []
    for count in (100, 4000):
        with SQLiteStorage(tmp_path / f"ties-{count}.db") as store:
            store.sync_sources([SPEC])
            costs.append(_steps(store, count))
    # Index seeks: the cost may grow with the B-tree's depth, never with the tie's length
    # (a scan of the tie took ~40 times more steps at 4,000 than at 100).
    assert costs[1] < costs[0] * 1.5, costs
