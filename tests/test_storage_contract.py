"""The contract of ``Storage``: every method of the protocol has a test here (issue 13).

``tests/test_storage.py`` holds the older contract tests of the pipeline's methods; this
module adds the rest (site queries, hot lists, stories, filters, pushes, expansions, media,
publications and retention) and a meta-test: each method of the protocol, its parents
included, must be named by a ``@covers`` test here or listed in ``ELSEWHERE`` with a test
that exists. A method added to the protocol without a contract test fails the suite.

Every test runs against each backend of the ``storage`` fixture: an SQLite file and a new
PostgreSQL database (``tests/pgserver.py``; no server: skipped, failed in CI).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

import test_storage
from hotpress._hot.model import RankEntry
from hotpress._lock import run_lock
from hotpress._storage import Publication, Storage, open_storage
from hotpress.exceptions import LeaseLostError, LockedError, StorageError
from hotpress.types import (
    Expansion,
    FetchResult,
    Item,
    ItemMedia,
    MediaRecord,
    SourceSpec,
    Validators,
)

F = TypeVar("F", bound=Callable[..., Any])
NOW = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
A = SourceSpec(
    key="/zhihu/hot",
    category=("社交媒体", "知乎", "知乎热榜"),
    url="http://127.0.0.1:1200/zhihu/hot",
    author="知乎",
    timezone="Asia/Shanghai",
    hotlist=True,
)
B = SourceSpec(
    key="/weibo/search/hot",
    category=("社交媒体", "微博", "微博热搜"),
    url="http://127.0.0.1:1200/weibo/search/hot",
    author="微博",
    timezone="Asia/Shanghai",
    hotlist=True,
)

COVERED: dict[str, list[str]] = {}
# Methods whose contract test lives in tests/test_storage.py: method -> test name there.
ELSEWHERE = {
    "body_digest": "test_the_body_digest_is_kept_only_from_successful_refreshes",
    "count_items": "test_new_items_are_stored_once_and_refetching_adds_no_row",
    "due_sources": "test_validators_and_status_are_remembered_per_source",
    "error_count": "test_a_failure_is_recorded_and_keeps_stored_items_and_validators",
    "fetch_log": "test_a_failure_is_recorded_and_keeps_stored_items_and_validators",
    "iter_items": "test_new_items_are_stored_once_and_refetching_adds_no_row",
    "opener": "test_the_opener_opens_the_same_archive_in_a_new_connection",
    "path_owner": "test_pending_lists_unpublished_and_changed_items_only",
    "pending": "test_pending_lists_unpublished_and_changed_items_only",
    "record_publications": "test_pending_lists_unpublished_and_changed_items_only",
    "save_fetch": "test_an_edited_item_is_updated_in_place_with_a_new_revision",
    "sources": "test_validators_and_status_are_remembered_per_source",
    "sync_sources": "test_a_changed_category_makes_every_item_of_the_source_pending",
    "unchanged_entries": "test_unchanged_entries_are_found_by_their_raw_digest",
    "validators": "test_validators_and_status_are_remembered_per_source",
}


def covers(*methods: str) -> Callable[[F], F]:
    def mark(fn: F) -> F:
        for method in methods:
            COVERED.setdefault(method, []).append(fn.__name__)
        return fn

    return mark


def protocol_methods() -> set[str]:
    return {
        name
        for cls in Storage.__mro__
        if cls is not object
        for name, value in vars(cls).items()
        if not name.startswith("_") and inspect.isfunction(value)
    }


def test_every_method_of_the_protocol_has_a_contract_test() -> None:
    methods = protocol_methods()
    assert len(methods) >= 56
    missing = sorted(m for m in methods if m not in COVERED and m not in ELSEWHERE)
    assert missing == [], f"Storage methods without a contract test: {missing}"
    gone = sorted(
        f"{m}: {name}" for m, name in ELSEWHERE.items() if not hasattr(test_storage, name)
    )
    assert gone == [], f"listed contract tests that do not exist: {gone}"
    stale = sorted(set(COVERED) - methods)
    assert stale == [], f"contract tests of methods the protocol no longer has: {stale}"


# --- helpers ------------------------------------------------------------------------------


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
    store.sync_sources([A, B])
    yield store
    store.close()


def ok(spec: SourceSpec = A) -> FetchResult:
    return FetchResult(
        source_key=spec.key,
        url=spec.url,
        status=200,
        content=b"",
        content_type="application/xml",
        validators=Validators(),
        duration=0.1,
    )


def item(n: int, spec: SourceSpec = A, *, title: str | None = None, **kw: Any) -> Item:
    title = title or f"标题 {n}"
    fields: dict[str, Any] = {
        "source_key": spec.key,
        "identity": f"{spec.key}#{n}",
        "title": title,
        "content": f"<p>{title}</p>",
        "link": f"https://example.com/{spec.key}/{n}",
        "guid": f"{spec.key}/{n}",
        "published": NOW + timedelta(minutes=n),
        "author": None,
        "cover": None,
        "content_hash": f"h{title}",
        "raw_hash": f"r{title}",
    }
    fields.update(kw)
    return Item(**fields)


def store(
    storage: Storage, spec: SourceSpec, numbers: list[int], at: datetime = NOW
) -> dict[str, int]:
    """Stores items ``numbers`` of ``spec``; identity -> id of every item of the archive."""
    storage.save_fetch(
        spec.key, ok(spec), [item(n, spec) for n in numbers], now=at, error=None, next_due=None
    )
    return {s.identity: s.id for s in storage.iter_items()}


def ident(spec: SourceSpec, n: int) -> str:
    return f"{spec.key}#{n}"


def ranks(spec: SourceSpec, *numbers: int) -> list[RankEntry]:
    return [RankEntry(ident(spec, n), rank) for rank, n in enumerate(numbers, start=1)]


# --- publications and retention -----------------------------------------------------------


@covers("pending_sources")
def test_pending_sources_count_what_pending_gives_per_source(storage: Storage) -> None:
    """What a publish shares out by category folder (``_publish.parts``): each source with
    pending items, its category and how many; ``pending(sources=…)`` gives just those."""
    store(storage, A, [1, 2, 3])
    store(storage, B, [1])
    a_id, b_id = (
        next(p.item.id for p in storage.pending("hexo") if p.item.source_key == spec.key)
        for spec in (A, B)
    )
    counts = {c[0]: c[1:] for c in storage.pending_sources("hexo")}
    assert sorted(counts.values()) == sorted([(A.category, 3), (B.category, 1)])
    a_source = next(s for s, (category, _) in counts.items() if category == A.category)
    b_source = next(s for s, (category, _) in counts.items() if category == B.category)
    only_a = list(storage.pending("hexo", sources=[a_source]))
    assert sorted(p.item.identity for p in only_a) == [ident(A, n) for n in (1, 2, 3)]
    assert list(storage.pending("hexo", sources=[])) == []
    both = list(storage.pending("hexo", sources=[b_source, a_source]))
    assert [p.item.id for p in both] == [p.item.id for p in storage.pending("hexo")]
    # Published items are no longer counted, unless everything is asked for (--force).
    storage.record_publications("hexo", [Publication(a_id, 1, 1, "a/1.md")])
    storage.record_publications("hexo", [Publication(b_id, 1, 1, "b/1.md")])
    counts = {c[0]: c[1:] for c in storage.pending_sources("hexo")}
    assert counts == {a_source: (A.category, 2)}
    forced = {c[0]: c[1:] for c in storage.pending_sources("hexo", force=True)}
    assert forced == {a_source: (A.category, 3), b_source: (B.category, 1)}
    assert len(list(storage.pending("hexo", force=True, sources=[b_source]))) == 1


@covers("count_publications", "publication_paths")
def test_publications_are_counted_and_listed_per_output(storage: Storage) -> None:
    ids = store(storage, A, [1, 2])
    one, two = ids[ident(A, 1)], ids[ident(A, 2)]
    assert storage.count_publications("hexo") == 0
    assert list(storage.publication_paths("hexo")) == []
    storage.record_publications(
        "hexo", [Publication(one, 1, 1, "a/1.md"), Publication(two, 1, 1, "a/2.md")]
    )
    storage.record_publications("site", [Publication(one, 1, 1, "items/1.html")])
    assert storage.count_publications("hexo") == 2
    assert storage.count_publications("site") == 1
    assert sorted(storage.publication_paths("hexo")) == [("a/1.md", one), ("a/2.md", two)]
    assert list(storage.publication_paths("site")) == [("items/1.html", one)]


@covers("retention_candidates", "purge_items")
def test_retention_picks_old_and_surplus_items_and_purge_removes_them(storage: Storage) -> None:
    ids = store(storage, A, [1, 2, 3])
    one, two, three = (ids[ident(A, n)] for n in (1, 2, 3))
    storage.record_publications("hexo", [Publication(one, 1, 1, "a/1.md")])
    none = storage.retention_candidates("hexo", A.key, older_than=None, keep_newest=None)
    assert none == []
    newest = storage.retention_candidates("hexo", A.key, older_than=None, keep_newest=1)
    assert [(c.item_id, c.path) for c in newest] == [(one, "a/1.md"), (two, None)]
    assert {c.last_seen for c in newest} == {NOW}
    old = storage.retention_candidates(
        "hexo", A.key, older_than=NOW + timedelta(minutes=2), keep_newest=None
    )
    assert [c.item_id for c in old] == [one]
    assert storage.purge_items([]) == 0
    assert storage.purge_items([one, two]) == 2
    assert [s.id for s in storage.iter_items()] == [three]
    assert storage.count_publications("hexo") == 0


# --- the site's queries -------------------------------------------------------------------


@covers("site_sources", "site_fingerprint")
def test_site_sources_and_the_fingerprint_follow_every_change(storage: Storage) -> None:
    sources = {s.key: s for s in storage.site_sources()}
    assert set(sources) == {A.key, B.key}
    assert sources[A.key].category == A.category
    assert sources[A.key].author == "知乎"
    empty = storage.site_fingerprint()
    assert (empty.items, empty.max_id) == (0, 0)
    store(storage, A, [1])
    one = storage.site_fingerprint()
    assert one.items == 1 and one.max_id > 0
    assert one.text() != empty.text()
    storage.save_fetch(
        A.key, ok(), [item(1, title="改")], now=NOW + HOUR, error=None, next_due=None
    )
    edited = storage.site_fingerprint()
    assert edited.revisions == one.revisions + 1
    storage.sync_sources([A.__class__(**{**_spec_fields(A), "author": "知乎日报"}), B])
    assert storage.site_fingerprint().source_revisions == edited.source_revisions + 1
    assert {s.key: s.author for s in storage.site_sources()}[A.key] == "知乎日报"


def _spec_fields(spec: SourceSpec) -> dict[str, Any]:
    return {name: getattr(spec, name) for name in spec.__dataclass_fields__}


@covers("site_order", "site_items")
def test_site_order_is_oldest_first_and_site_items_carry_their_paths(storage: Storage) -> None:
    ids = store(storage, A, [3, 1, 2])
    order = list(storage.site_order())
    assert [r.id for r in order] == [ids[ident(A, n)] for n in (1, 2, 3)]
    assert [r.date for r in order] == sorted(r.date for r in order)
    one = ids[ident(A, 1)]
    storage.record_publications("site", [Publication(one, 1, 1, "items/1.html")])
    found = storage.site_items([one, ids[ident(A, 2)]], "site")
    assert found[one][0].title == "标题 1"
    assert found[one][1] == "items/1.html"
    assert found[ids[ident(A, 2)]][1] is None
    assert storage.site_items([], "site") == {}


@covers("site_neighbors")
def test_neighbors_are_the_older_and_newer_item_of_the_same_source(storage: Storage) -> None:
    ids = store(storage, A, [1, 2, 3])
    store(storage, B, [2])
    middle = next(s for s in storage.iter_items() if s.identity == ident(A, 2))
    storage.record_publications("site", [Publication(ids[ident(A, 1)], 1, 1, "items/1.html")])
    older, newer = storage.site_neighbors(middle, "site")
    assert older is not None and newer is not None
    assert (older.id, older.path, older.title) == (ids[ident(A, 1)], "items/1.html", "标题 1")
    assert (newer.id, newer.path) == (ids[ident(A, 3)], None)
    first = next(s for s in storage.iter_items() if s.identity == ident(A, 1))
    assert storage.site_neighbors(first, "site")[0] is None


@covers("site_sitemap")
def test_the_sitemap_lists_every_item_with_its_path(storage: Storage) -> None:
    ids = store(storage, A, [1, 2])
    storage.record_publications("site", [Publication(ids[ident(A, 2)], 1, 1, "items/2.html")])
    rows = {r.id: r for r in storage.site_sitemap("site")}
    assert set(rows) == set(ids.values())
    assert rows[ids[ident(A, 2)]].path == "items/2.html"
    assert rows[ids[ident(A, 1)]].path is None
    assert rows[ids[ident(A, 1)]].identity == ident(A, 1)
    assert all(r.lastmod >= int(NOW.timestamp()) for r in rows.values())
    low = min(ids.values())
    assert [r.id for r in storage.site_sitemap("site", low, low + 1)] == [low]


@covers("site_marks", "site_newest", "site_segment")
def test_the_tail_queries_read_new_items_and_a_list_s_newest(storage: Storage) -> None:
    store(storage, A, [5, 1, 3])
    a = b = store(storage, B, [4, 2])  # every stored item's id, by identity
    ids = sorted(a.values())
    marks = storage.site_marks(0)
    assert [m.id for m in marks] == ids
    assert [m.id for m in storage.site_marks(ids[1])] == ids[2:]
    (one,) = storage.site_marks(0, only=a[ident(A, 3)])
    assert (one.identity, one.revision, one.filtered) == (ident(A, 3), 1, False)
    assert one.date == int((NOW + timedelta(minutes=3)).timestamp())
    assert storage.site_marks(0, only=ids[-1] + 100) == []
    # Newest first by date: 5, 4, 3, 2, 1; of some sources; in a date range.
    by_n = {**{n: a[ident(A, n)] for n in (1, 3, 5)}, **{n: b[ident(B, n)] for n in (2, 4)}}
    assert [r.id for r in storage.site_newest(3)] == [by_n[5], by_n[4], by_n[3]]
    a_id = one.source_id
    assert [r.id for r in storage.site_newest(9, sources=[a_id])] == [by_n[5], by_n[3], by_n[1]]
    assert storage.site_newest(9, sources=[]) == []
    since = int((NOW + timedelta(minutes=2)).timestamp())
    until = int((NOW + timedelta(minutes=4)).timestamp())
    assert [r.id for r in storage.site_newest(9, since=since, until=until)] == [by_n[3], by_n[2]]
    # A segment: the ids in a range, oldest first by (date, id).
    segment = storage.site_segment(ids[0], ids[-1])
    assert [r.id for r in segment] == [by_n[n] for n in (1, 2, 3, 4, 5) if by_n[n] != ids[-1]]
    assert all(r.revision == 1 for r in segment)


@covers("site_category_dirs", "save_category_dirs")
def test_category_folders_once_given_never_change(storage: Storage) -> None:
    assert storage.site_category_dirs() == {}
    storage.save_category_dirs({("社交媒体",): "social", ("社交媒体", "知乎"): "social/zhihu"})
    storage.save_category_dirs({("社交媒体",): "other", ("编程",): "code"})
    assert storage.site_category_dirs() == {
        ("社交媒体",): "social",
        ("社交媒体", "知乎"): "social/zhihu",
        ("编程",): "code",
    }


@covers("site_state", "save_site_state", "site_state_of", "site_state_size")
def test_the_site_build_state_is_kept_per_page(storage: Storage) -> None:
    assert storage.site_state() == {}
    assert storage.site_state_size() == 0
    storage.save_site_state({"index.html": "d1", "items/1.html": "d2"})
    storage.save_site_state({"index.html": "d3", "@build": "b", "@search/0": "s", "A": "a"})
    assert storage.site_state() == {
        "index.html": "d3",
        "items/1.html": "d2",
        "@build": "b",
        "@search/0": "s",
        "A": "a",
    }
    assert storage.site_state(marks=True) == {"@build": "b", "@search/0": "s"}
    assert storage.site_state_of(["index.html", "gone.html", "@build"]) == {
        "index.html": "d3",
        "@build": "b",
    }
    assert storage.site_state_of([]) == {}
    assert storage.site_state_size() == 5


# --- hot lists ----------------------------------------------------------------------------


@covers("hot_known", "record_ranks", "hot_first", "hot_last", "hot_list")
def test_a_hot_list_records_its_refreshes_and_stands_as_of_a_moment(storage: Storage) -> None:
    store(storage, A, [1, 2, 3])
    assert not storage.hot_known(A.key)
    assert storage.hot_first(A.key) is None and storage.hot_last(A.key) is None
    storage.record_ranks(A.key, ranks(A, 1, 2), now=NOW)
    storage.record_ranks(A.key, ranks(A, 2, 3, 99), now=NOW + HOUR)  # 99: not archived
    storage.record_ranks(A.key, ranks(A, 1), now=NOW)  # not later: ignored
    assert storage.hot_known(A.key)
    assert storage.hot_first(A.key) == NOW
    assert storage.hot_last(A.key) == NOW + HOUR
    now = storage.hot_list(A.key)
    assert [(e.identity, e.rank) for e in now] == [(ident(A, 2), 1), (ident(A, 3), 2)]
    two = now[0]
    assert (two.first_seen, two.last_seen, two.peak_rank) == (NOW, NOW + HOUR, 1)
    then = storage.hot_list(A.key, at=NOW + timedelta(minutes=30))
    assert [(e.identity, e.rank) for e in then] == [(ident(A, 1), 1), (ident(A, 2), 2)]
    storage.record_ranks(A.key, None, now=NOW + 2 * HOUR)  # the same ranks again
    assert storage.hot_last(A.key) == NOW + 2 * HOUR
    assert [e.identity for e in storage.hot_list(A.key)] == [ident(A, 2), ident(A, 3)]


@covers("hot_items", "hot_touched", "hot_runs_between")
def test_hot_items_runs_and_touched_items(storage: Storage) -> None:
    ids = store(storage, A, [1, 2, 3])
    one, two, three = (ids[ident(A, n)] for n in (1, 2, 3))
    storage.record_ranks(A.key, ranks(A, 1, 2), now=NOW)
    storage.record_ranks(A.key, ranks(A, 2, 3), now=NOW + HOUR)
    standing = storage.hot_items([one, two, three])
    assert standing[one].rank is None  # off the list now
    assert standing[two].rank == 1 and standing[two].peak_rank == 1
    assert standing[three].rank == 2
    assert storage.hot_items([]) == {}
    assert sorted(storage.hot_touched(A.key, None)) == sorted([one, two, three])
    assert sorted(storage.hot_touched(A.key, NOW)) == sorted([two, three])
    runs = storage.hot_runs_between(A.key, NOW + timedelta(minutes=30), NOW + 2 * HOUR)
    by_item = {(r.item_id, r.rank) for r in runs}
    assert (two, 1) in by_item and (three, 2) in by_item
    # The earlier run of an item on the list in the window joins its stay.
    assert (two, 2) in by_item
    assert storage.hot_runs_between(A.key, NOW + 3 * HOUR, NOW + 4 * HOUR) == []


@covers("hot_moved")
def test_hot_moved_names_the_items_whose_standing_changed(storage: Storage) -> None:
    ids = store(storage, A, [1, 2, 3])
    one, two, three = (ids[ident(A, n)] for n in (1, 2, 3))
    storage.record_ranks(A.key, ranks(A, 1, 2), now=NOW)
    storage.record_ranks(A.key, ranks(A, 2, 3), now=NOW + HOUR)  # 1 left, 2 up, 3 entered
    assert sorted(storage.hot_moved(A.key, NOW)) == sorted([one, two, three])
    storage.record_ranks(A.key, None, now=NOW + 2 * HOUR)  # the same ranks (a 304)
    storage.record_ranks(A.key, ranks(A, 2, 3), now=NOW + 3 * HOUR)  # the same ranks again
    assert storage.hot_moved(A.key, NOW + HOUR) == []
    storage.record_ranks(A.key, ranks(A, 3, 2), now=NOW + 4 * HOUR)  # a swap
    assert sorted(storage.hot_moved(A.key, NOW + 3 * HOUR)) == sorted([two, three])
    assert sorted(storage.hot_moved(A.key, None)) == sorted([one, two, three])


# --- stories ------------------------------------------------------------------------------


@covers("story_unassigned", "story_assign", "story_pool", "story_of", "story_peers")
def test_stories_join_items_of_different_lists(storage: Storage) -> None:
    ids = store(storage, A, [1, 2])
    ids = store(storage, B, [1])
    a1, a2, b1 = ids[ident(A, 1)], ids[ident(A, 2)], ids[ident(B, 1)]
    storage.record_ranks(A.key, ranks(A, 1, 2), now=NOW)
    storage.record_ranks(B.key, ranks(B, 1), now=NOW)
    assert [t.item_id for t in storage.story_unassigned(A.key)] == [a1, a2]
    storage.story_assign([(b1, b1, 1.0)])
    assert storage.story_pool(A.key, NOW - HOUR) == [
        type(storage.story_pool(A.key, NOW - HOUR)[0])(b1, "标题 1", b1)
    ]
    assert storage.story_pool(B.key, NOW - HOUR) == []  # its own list is not in its pool
    storage.story_assign([(a1, b1, 0.8)])
    assert [t.item_id for t in storage.story_unassigned(A.key)] == [a2]
    assert storage.story_of([a1, a2, b1]) == {a1: b1, b1: b1}
    peers = storage.story_peers([a1, a2])
    assert peers[a2] == []
    (peer,) = peers[a1]
    assert (peer.item_id, peer.source_key, peer.list_name, peer.rank, peer.peak) == (
        b1,
        B.key,
        "微博热搜",
        1,
        1,
    )


# --- filters ------------------------------------------------------------------------------


@covers("mark_filtered", "clear_filtered", "seen_titles")
def test_filter_flags_hold_items_back_from_publishing(storage: Storage) -> None:
    store(storage, A, [1, 2])
    assert storage.seen_titles(A.key, NOW) == [(ident(A, 1), "标题 1"), (ident(A, 2), "标题 2")]
    assert storage.seen_titles(A.key, NOW + HOUR) == []
    assert storage.mark_filtered(A.key, {ident(A, 1): True, ident(A, 2): False}) == 1
    assert storage.mark_filtered(A.key, {ident(A, 1): True}) == 0
    assert [p.item.identity for p in storage.pending("hexo")] == [ident(A, 2)]
    assert [r.id for r in storage.site_order()] == [
        s.id for s in storage.iter_items() if s.identity == ident(A, 2)
    ]
    assert storage.clear_filtered(A.key) == 1
    assert len(list(storage.pending("hexo"))) == 2


# --- pushes -------------------------------------------------------------------------------


@covers("notify_since", "notify_candidates", "record_notified")
def test_push_candidates_are_new_items_not_yet_decided(storage: Storage) -> None:
    since = storage.notify_since("t1", NOW - HOUR)
    assert since == NOW - HOUR
    assert storage.notify_since("t1", NOW + 5 * HOUR) == since  # the first time is kept
    ids = store(storage, A, [1, 2])
    one, two = ids[ident(A, 1)], ids[ident(A, 2)]
    found = storage.notify_candidates("t1", since, 3)
    assert [c.item_id for c in found] == [one, two]
    assert found[0].title == "标题 1" and found[0].channel == "知乎热榜"
    assert storage.notify_candidates("t1", NOW + HOUR, 3) == []
    storage.record_notified("t1", [two], "failed", NOW, "HTTP 500")
    assert [c.item_id for c in storage.notify_candidates("t1", since, 3)] == [two]
    for _ in range(2):
        storage.record_notified("t1", [two], "failed", NOW, "HTTP 500")
    assert storage.notify_candidates("t1", since, 3) == []  # out of attempts
    storage.record_notified("t2", [one], "sent", NOW, None)
    storage.notify_since("t2", NOW - HOUR)
    assert [c.item_id for c in storage.notify_candidates("t2", NOW - HOUR, 3)] == [two]


# --- expansions ---------------------------------------------------------------------------


@covers("expansion_candidates", "save_expansions")
def test_an_expansion_replaces_the_body_and_is_remembered(storage: Storage) -> None:
    ids = store(storage, A, [1])
    one = ids[ident(A, 1)]
    (state,) = storage.expansion_candidates(A.key)
    assert (state.item_id, state.url, state.expanded) == (one, None, None)
    done = Expansion(
        item_id=one,
        url="https://example.com/full/1",
        validators=Validators(etag='"e"'),
        next_try=NOW + HOUR,
        content="<p>全文</p>",
        digest="d1",
    )
    assert storage.save_expansions([done], now=NOW) == 1
    (stored,) = storage.iter_items()
    assert stored.content == "<p>全文</p>"
    assert stored.revision == 2
    (state,) = storage.expansion_candidates(A.key)
    assert state.url == "https://example.com/full/1"
    assert state.validators == Validators(etag='"e"')
    assert state.expanded == NOW
    assert storage.save_expansions([], now=NOW) == 0


# --- images -------------------------------------------------------------------------------


@covers("media_mode", "media_work", "media_records", "save_media", "purge_media")
def test_media_work_records_and_purge(storage: Storage) -> None:
    ids = store(storage, A, [1])
    one = ids[ident(A, 1)]
    assert storage.media_mode("remote") is False  # the default
    assert storage.media_mode("local") is True
    assert storage.media_mode("local") is False
    (work,) = storage.media_work(NOW)
    assert (work.item_id, work.revision, work.content) == (one, 1, "<p>标题 1</p>")
    url = "https://img.example.com/a.png"
    record = MediaRecord(url=url, hash="abc", type="image/png", size=10, width=1, height=1)
    handled = ItemMedia(one, 1, (url,), '<p><img src="/media/ab/abc.png"></p>', None)
    assert storage.save_media([record], [handled], now=NOW) == 1
    assert storage.media_work(NOW) == []
    known = storage.media_records([url, "https://img.example.com/none.png"])
    assert list(known) == [url]
    assert (known[url].hash, known[url].type, known[url].size) == ("abc", "image/png", 10)
    (published,) = storage.iter_items()
    assert published.content == '<p><img src="/media/ab/abc.png"></p>'
    assert published.revision > 1  # published again, with the local copies
    # A change of mode makes the item's images due again, its new revision republished.
    assert storage.media_mode("remote") is True
    (again,) = storage.media_work(NOW)
    assert again.revision == published.revision + 1
    (plain,) = storage.iter_items()
    assert plain.content == "<p>标题 1</p>"
    assert storage.purge_media() == []  # the item still names it
    storage.purge_items([one])
    assert storage.purge_media() == ["abc"]
    assert storage.media_records([url]) == {}


# --- the archive itself -------------------------------------------------------------------


@covers("close")
def test_closing_keeps_what_was_stored_for_the_next_opening(database: Path | str) -> None:
    first = open_storage(database)
    first.sync_sources([A])
    store(first, A, [1])
    first.close()
    again = open_storage(database)
    assert [s.identity for s in again.iter_items()] == [ident(A, 1)]
    again.close()


@covers("data_version")
def test_the_data_version_moves_when_another_connection_commits(database: Path | str) -> None:
    watcher = open_storage(database)
    writer = open_storage(database)
    before = watcher.data_version()
    assert watcher.data_version() == before  # nothing committed meanwhile
    writer.sync_sources([A])
    after = watcher.data_version()
    assert after != before
    assert watcher.data_version() == after
    writer.close()
    watcher.close()


def test_one_run_at_a_time_holds_the_archive(database: Path | str) -> None:
    """The single-writer lock (a file beside SQLite, an advisory lock in PostgreSQL)."""
    with run_lock(database):
        with pytest.raises(LockedError, match="another hotpress run"), run_lock(database):
            pass
        store = open_storage(database)  # reading (serve's watcher) needs no lock
        store.close()
    with run_lock(database, wait=1.0):  # let go: the next run takes it
        pass


# --- leases (issue 16) --------------------------------------------------------------------


@covers("claim_sources")
def test_a_claim_takes_due_sources_once_until_the_lease_ends(storage: Storage) -> None:
    until = NOW + 10 * MINUTE
    assert storage.claim_sources(NOW, token="t1", until=until, limit=1) == [A.key]
    # A second claimer gets what is left, then nothing while the leases live.
    assert storage.claim_sources(NOW, token="t2", until=until, limit=5) == [B.key]
    assert storage.claim_sources(NOW + MINUTE, token="t3", until=until, limit=5) == []
    # Expired: claimable again, by a new token.
    later = until + MINUTE
    assert storage.claim_sources(later, token="t4", until=later + MINUTE, limit=5) == [
        A.key,
        B.key,
    ]
    assert storage.leased("t1") == []
    assert storage.leased("t4") == [A.key, B.key]


@covers("claim_sources")
def test_a_lease_lasts_to_its_end_not_to_the_whole_second_before(storage: Storage) -> None:
    """The archive keeps whole seconds. A scheduler ends its round when the lease does (12.6 s
    here) and then says what no worker refreshed; a claim at 12.2 s took the sources first,
    and the round ended saying nothing."""
    until = NOW + timedelta(seconds=12.6)
    assert storage.claim_sources(NOW, token="t", until=until, limit=5) == [A.key, B.key]
    soon = NOW + timedelta(seconds=12.2)
    assert storage.claim_sources(soon, token="u", until=soon + MINUTE, limit=5) == []
    after = NOW + timedelta(seconds=13)
    assert storage.claim_sources(after, token="v", until=after + MINUTE, limit=5) == [
        A.key,
        B.key,
    ]


@covers("claim_sources")
def test_a_claim_of_due_sources_skips_those_not_due_and_keeps_to_the_keys(
    storage: Storage,
) -> None:
    storage.save_fetch(A.key, ok(A), [], now=NOW, error=None, next_due=NOW + HOUR)
    until = NOW + MINUTE
    assert storage.claim_sources(NOW, token="t", until=until, limit=5) == [B.key]
    storage.release_leases("t")
    assert storage.claim_sources(NOW, token="u", until=until, limit=5, keys=[A.key]) == []
    # `run` without --due takes every source it names, due or not.
    got = storage.claim_sources(NOW, token="v", until=until, limit=5, keys=[A.key], due_only=False)
    assert got == [A.key]


@covers("start_lease", "leased")
def test_starting_a_lease_counts_tries_of_the_keys_still_held(storage: Storage) -> None:
    storage.claim_sources(NOW, token="t", until=NOW + MINUTE, limit=5)
    assert storage.start_lease("t", [A.key]) == {A.key: 1}
    assert storage.start_lease("t", [A.key, B.key]) == {A.key: 2, B.key: 1}
    assert storage.start_lease("other", [A.key, B.key]) == {}
    assert storage.leased("t") == [A.key, B.key]
    # A new claim after expiry starts counting again.
    later = NOW + HOUR
    storage.claim_sources(later, token="u", until=later + MINUTE, limit=1)
    assert storage.start_lease("u", [A.key]) == {A.key: 1}


@covers("release_leases")
def test_released_leases_can_be_claimed_at_once(storage: Storage) -> None:
    storage.claim_sources(NOW, token="t", until=NOW + HOUR, limit=5)
    assert storage.release_leases("t") == 2
    assert storage.leased("t") == []
    assert storage.release_leases("t") == 0
    assert storage.claim_sources(NOW, token="u", until=NOW + HOUR, limit=5) == [A.key, B.key]


@covers("leases_now")
def test_the_leases_now_are_counted_with_the_end_of_the_last(storage: Storage) -> None:
    assert storage.leases_now(NOW) == (0, None)
    storage.claim_sources(NOW, token="t", until=NOW + MINUTE, limit=1, keys=[A.key])
    storage.claim_sources(NOW, token="u", until=NOW + HOUR, limit=1, keys=[B.key])
    assert storage.leases_now(NOW) == (2, NOW + HOUR)
    # An expired lease is not a lease now; a released one neither.
    assert storage.leases_now(NOW + 2 * MINUTE) == (1, NOW + HOUR)
    storage.release_leases("u")
    assert storage.leases_now(NOW) == (1, NOW + MINUTE)


@covers("archive_id")
def test_an_archive_has_one_id_of_its_own_kept_across_opens(
    database: Path | str, storage: Storage, tmp_path: Path
) -> None:
    made = storage.archive_id()
    assert len(made) == 32 and storage.archive_id() == made
    again = open_storage(database)
    assert again.archive_id() == made  # another connection, the same archive
    again.close()
    other = open_storage(tmp_path / "other.db")
    assert other.archive_id() != made
    other.close()


@covers("claim_sources")
def test_a_stored_refresh_ends_its_lease_and_a_late_duplicate_writes_nothing(
    storage: Storage,
) -> None:
    storage.claim_sources(NOW, token="t", until=NOW + MINUTE, limit=5, keys=[A.key])
    counts = storage.save_fetch(
        A.key, ok(A), [item(1)], now=NOW, error=None, next_due=NOW + HOUR, lease="t"
    )
    assert counts.new == 1
    assert storage.leased("t") == []
    # The same task delivered again (its worker died after the commit): refused whole.
    with pytest.raises(LeaseLostError):
        storage.save_fetch(A.key, ok(A), [item(2)], now=NOW, error="late", next_due=NOW, lease="t")
    assert [s.identity for s in storage.iter_items()] == [ident(A, 1)]
    assert len(storage.fetch_log(A.key)) == 1
    assert storage.error_count(A.key) == 0
    # An expired lease claimed again: the old holder's result is refused, the new one stored.
    storage.claim_sources(NOW + HOUR, token="old", until=NOW + HOUR, limit=1, keys=[A.key])
    later = NOW + 2 * HOUR
    storage.claim_sources(later, token="new", until=later + MINUTE, limit=1, keys=[A.key])
    with pytest.raises(LeaseLostError):
        storage.save_fetch(
            A.key, ok(A), [item(3)], now=later, error=None, next_due=None, lease="old"
        )
    storage.save_fetch(A.key, ok(A), [item(4)], now=later, error=None, next_due=None, lease="new")
    assert sorted(s.identity for s in storage.iter_items()) == [ident(A, 1), ident(A, 4)]


@covers("reconnect")
def test_reconnect_replaces_a_broken_connection_with_the_archive_unchanged(
    storage: Storage, database: Path | str
) -> None:
    storage.claim_sources(NOW, token="t", until=NOW + HOUR, limit=1)
    if isinstance(database, str):
        # The server ends the session (what a restart does to every client).
        import psycopg

        with psycopg.connect(database, autocommit=True) as admin:
            ended = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        assert ended == [(True,)]
        with pytest.raises(StorageError):
            storage.leased("t")
    storage.reconnect()
    assert storage.leased("t") == [A.key]
    assert storage.release_leases("t") == 1
    storage.reconnect()  # a working connection is replaced as well
    taken = storage.claim_sources(NOW, token="u", until=NOW + HOUR, limit=5)
    assert sorted(taken) == sorted([A.key, B.key])


@covers("start_lease", "validators", "body_digest", "error_count", "clear_filtered")
def test_a_lease_start_answers_the_refreshs_first_reads_once_each(
    storage: Storage, database: Path | str
) -> None:
    """A worker's first reads of a leased source come back with ``start_lease``'s statement;
    each is answered from there once, later reads ask the archive again."""
    tagged = replace(ok(A), validators=Validators(etag='"e1"', last_modified="Mon, 1 Jan 2024"))
    storage.save_fetch(A.key, tagged, [item(1)], now=NOW, error=None, next_due=None)
    storage.save_fetch(A.key, ok(A), None, now=NOW, error="boom", next_due=None)
    storage.mark_filtered(A.key, {ident(A, 1): True})
    storage.claim_sources(NOW, token="t", until=NOW + HOUR, limit=5)
    assert storage.start_lease("t", [A.key, B.key]) == {A.key: 1, B.key: 1}
    # Another connection changes the rows (no worker does while the lease holds).
    other = open_storage(database)
    try:
        other.save_fetch(A.key, ok(A), None, now=NOW, error="again", next_due=None)
        other.save_fetch(B.key, tagged, [], now=NOW, error=None, next_due=None, body_digest="d")
        other.clear_filtered(A.key)
    finally:
        other.close()
    # The first reads: what the rows held at the lease's start.
    assert storage.validators(A.key) == tagged.validators
    assert storage.error_count(A.key) == 1
    assert storage.validators(B.key) == Validators()
    assert storage.body_digest(B.key) is None
    assert storage.error_count(B.key) == 0
    # The second reads: the archive as it is now.
    assert storage.validators(B.key) == tagged.validators
    assert storage.body_digest(B.key) == "d"
    assert storage.error_count(A.key) == 2
    # No filtered item of B at the start: nothing to clear, without a query.
    assert storage.clear_filtered(B.key) == 0
    # A new lease start forgets what the last one read.
    storage.claim_sources(NOW + 2 * HOUR, token="u", until=NOW + 3 * HOUR, limit=5)
    assert storage.start_lease("u", [B.key]) == {B.key: 1}
    assert storage.error_count(A.key) == 2
    assert storage.validators(A.key) == tagged.validators
