"""A large Hexo publish shared with the run's worker processes (``_publish.parts``): the same
posts, names and records as one process writes, a dead worker's part done here, a worker's
write error stopping the output, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hotpress import cli
from hotpress._pool import ArchivePool
from hotpress._publish import parts as parts_module
from hotpress._publish import posts
from hotpress._publish.parts import Parts, plan
from hotpress._publish.posts import publish_hexo
from hotpress._publish.writer import TEMP_DIR
from hotpress._storage import open_storage
from hotpress._storage.base import Storage
from hotpress.types import Item, SourceSpec
from test_storage import NOW
from test_storage_contract import ok

SOURCES = 12
ITEMS = 40  # per source: 480 posts, shared out when MIN_POSTS is lowered to 100


def _spec(n: int) -> SourceSpec:
    # Sources 0-2 share one folder, 3 and 4 share one as a case-folding disk compares names
    # ("AI" and "ai"): each pair or trio must be written by one process.
    channel = "共享" if n < 3 else ("AI" if n == 3 else "ai") if n < 5 else f"频道{n}"
    return SourceSpec(
        key=f"/s/{n}",
        category=("组", "源", channel),
        url=f"http://127.0.0.1:9/s/{n}",
        author=f"源{n}",
        timezone="Asia/Shanghai",
    )


def _item(source: SourceSpec, n: int, i: int) -> Item:
    # Every fifth title is shared by every source: posts of one folder collide and get the
    # "-<8 hex>" suffix, in the order the items were stored.
    title = "同名标题" if i % 5 == 0 else f"标题 {n}-{i}"
    return Item(
        source_key=source.key,
        identity=f"{n:016x}{i:016x}",
        title=title,
        content=f"<p>{title} 正文</p>",
        link=f"https://example.com/{n}/{i}",
        guid=f"{n}-{i}",
        published=NOW,
        author=None,
        cover=None,
        content_hash=f"h{n}-{i}",
    )


def _fill(storage: Storage) -> None:
    specs = [_spec(n) for n in range(SOURCES)]
    storage.sync_sources(specs)
    for n, spec in enumerate(specs):
        items = [_item(spec, n, i) for i in range(ITEMS)]
        storage.save_fetch(spec.key, ok(spec), items, now=NOW, error=None, next_due=None)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and TEMP_DIR not in p.relative_to(root).parts
    }


def _records(storage: Storage) -> dict[str, int]:
    return {path: item for path, item in storage.publication_paths(posts.OUTPUT)}


@pytest.fixture
def sharing(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Publishes of 100+ posts are shared; what each one's parts did (recorded as it stops)."""
    monkeypatch.setattr(posts, "MIN_POSTS", 100)
    monkeypatch.setattr(posts, "MIN_POSTS_COLD", 100)
    seen: list[dict[str, Any]] = []
    stop = Parts.stop

    def record(self: Parts) -> list[parts_module.PartDone]:
        done = stop(self)
        seen.append({"by_workers": self.by_workers, "broken": self._pool.broken})
        return done

    monkeypatch.setattr(Parts, "stop", record)
    return seen


@pytest.fixture
def pool_of() -> Iterator[Callable[[Storage], ArchivePool]]:
    """Pools of one worker, started (as after a round's reading) and closed after the test."""
    made: list[ArchivePool] = []

    def make(storage: Storage) -> ArchivePool:
        pool = ArchivePool(storage.opener(), 1)
        pool.submit(os.getpid).result(timeout=60)  # the worker is up, the archive open
        made.append(pool)
        return pool

    yield make
    for pool in made:
        pool.close()
    assert multiprocessing.active_children() == []


def test_plan_keeps_each_folder_in_one_part_largest_first() -> None:
    sources = [(n, _spec(n).category, 10 * (n + 1)) for n in range(SOURCES)]
    parts = plan(sources, processes=2)
    where = {source: i for i, part in enumerate(parts) for source in part}
    assert sorted(where) == list(range(SOURCES))  # every source once
    assert where[0] == where[1] == where[2]  # one folder
    assert where[3] == where[4]  # "AI" and "ai": one folder on a case-folding disk
    size = {i: sum(10 * (s + 1) for s in part) for i, part in enumerate(parts)}
    assert size[0] == max(size.values())
    # About 1/16 of the posts each (2 processes × 8 parts), a folder never split.
    assert len(parts) > 4
    assert plan([], processes=2) == []


def test_a_shared_publish_writes_what_one_process_writes(
    tmp_path: Path,
    archives: Callable[[], str],
    sharing: list[dict[str, Any]],
    pool_of: Callable[[Storage], ArchivePool],
) -> None:
    alone, pooled = open_storage(archives()), open_storage(archives())
    try:
        _fill(alone)
        _fill(pooled)
        one = publish_hexo(alone, tmp_path / "alone")
        assert sharing == []  # no pool: nothing shared
        pool = pool_of(pooled)
        many = publish_hexo(pooled, tmp_path / "pooled", pool=pool)
        assert len(sharing) == 1 and sharing[0]["by_workers"] >= 1 and not sharing[0]["broken"]
        assert (many.written, many.unchanged, many.error) == (one.written, 0, None)
        assert one.written == SOURCES * ITEMS
        tree = _tree(tmp_path / "alone")
        assert _tree(tmp_path / "pooled") == tree
        assert _records(pooled) == _records(alone)
        assert sum("同名标题-" in path for path in tree) > 0  # names did collide
        # The next publish finds nothing to do, with or without workers.
        again = publish_hexo(pooled, tmp_path / "pooled", pool=pool)
        assert (again.written, again.error) == (0, None)
        assert not (tmp_path / "pooled" / TEMP_DIR).exists()
    finally:
        alone.close()
        pooled.close()


@pytest.fixture
def filled(tmp_path: Path) -> Iterator[Callable[[str], Storage]]:
    """New SQLite archives holding the test's sources and items, closed after the test."""
    opened: list[Storage] = []

    def make(name: str) -> Storage:
        storage = open_storage(tmp_path / f"{name}.db")
        opened.append(storage)
        _fill(storage)
        return storage

    yield make
    for storage in opened:
        storage.close()


def test_a_part_whose_worker_died_is_written_by_this_process(
    tmp_path: Path,
    sharing: list[dict[str, Any]],
    pool_of: Callable[[Storage], ArchivePool],
    filled: Callable[[str], Storage],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    storage, reference = filled("archive"), filled("reference")
    publish_hexo(reference, tmp_path / "reference")
    pool = pool_of(storage)
    worker = pool.submit(os.getpid).result(timeout=60)
    start = Parts.start

    def start_then_kill(self: Parts) -> None:
        start(self)  # the first parts are the worker's
        os.kill(worker, signal.SIGKILL)

    monkeypatch.setattr(Parts, "start", start_then_kill)
    report = publish_hexo(storage, tmp_path / "hexo", pool=pool)
    assert sharing[0]["broken"]
    assert report.error is None
    # Nothing lost, nothing twice: the posts and records of a publish by one process.
    assert _tree(tmp_path / "hexo") == _tree(tmp_path / "reference")
    assert _records(storage) == _records(reference)


def test_a_write_error_in_a_worker_stops_the_output_and_loses_nothing(
    tmp_path: Path,
    sharing: list[dict[str, Any]],
    pool_of: Callable[[Storage], ArchivePool],
    filled: Callable[[str], Storage],
) -> None:
    storage = filled("archive")
    root = tmp_path / "hexo"
    # A file where the shared folder of sources 0-2 goes: the largest part, the first a
    # worker is given.
    (root / "组" / "源").mkdir(parents=True)
    (root / "组" / "源" / "共享").write_text("not a folder", encoding="utf-8")
    pool = pool_of(storage)
    report = publish_hexo(storage, root, pool=pool)
    assert sharing[0]["by_workers"] >= 1
    assert report.error is not None and "共享" in report.error
    recorded = _records(storage)
    assert len(recorded) < SOURCES * ITEMS
    for path in recorded:  # what was recorded is on disk
        assert (root / path).is_file()
    # The blocker gone, the next publish writes the rest.
    (root / "组" / "源" / "共享").unlink()
    rest = publish_hexo(storage, root, pool=pool)
    assert rest.error is None
    assert len(_records(storage)) == SOURCES * ITEMS
    assert rest.written + len(recorded) >= SOURCES * ITEMS


def test_hotpress_run_shares_the_posts_with_the_worker_that_read_the_round(
    tmp_path: Path, sharing: list[dict[str, Any]], feed_server: Any
) -> None:
    from test_readers import FEEDS, _config, _serve

    alone, pooled = str(tmp_path / "alone.db"), str(tmp_path / "pooled.db")
    hold = _serve(feed_server, pooled)
    results = {}
    for name, archive, workers in (("alone", alone, 0), ("pooled", pooled, 1)):
        if workers:
            hold.set()  # the last feeds wait for the worker: it reads, then writes posts
        config = _config(tmp_path, feed_server, archive, workers)
        text = config.read_text(encoding="utf-8")
        config.write_text(text + f"output:\n  hexo: {tmp_path / name}\n", encoding="utf-8")
        assert cli.main(["run", "-q", "-c", str(config)]) == 0
        results[name] = _tree(tmp_path / name)
    assert len(sharing) == 1 and sharing[0]["by_workers"] >= 1  # read_workers: 0 shares nothing
    assert len(results["alone"]) == FEEDS * 12
    assert results["pooled"] == results["alone"]
    with sqlite3.connect(pooled) as db:
        assert db.execute("SELECT COUNT(*) FROM publications").fetchone()[0] == FEEDS * 12
    assert multiprocessing.active_children() == []
