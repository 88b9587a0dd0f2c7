"""The Hexo output: post paths, batches recorded as published only once flushed to disk."""

from __future__ import annotations

import errno
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotpress._publish import posts
from hotpress._publish import writer as writer_module
from hotpress._publish.posts import publish_hexo, render_pending
from hotpress._publish.writer import TEMP_DIR
from hotpress._storage import SQLiteStorage
from hotpress.types import Item
from test_storage import NOW, SPEC, make_item, ok

FOLDER = "社交媒体/知乎/知乎热榜"


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[SQLiteStorage]:
    store = SQLiteStorage(tmp_path / "archive.db")
    store.sync_sources([SPEC])
    yield store
    store.close()


def _store(storage: SQLiteStorage, items: list[Item]) -> None:
    storage.save_fetch(SPEC.key, ok(), items, now=NOW, error=None, next_due=None)


def _published(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT path FROM publications")}


def _posts(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*.md")
        if TEMP_DIR not in p.relative_to(root).parts
    }


def test_each_batch_is_recorded_only_after_a_flush_that_covered_it(
    tmp_path: Path, storage: SQLiteStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(storage, [make_item(n) for n in range(8)])
    root = tmp_path / "hexo"
    seen: list[tuple[set[str], set[str], set[str]]] = []

    def watched(fd: int) -> None:
        # On the flushing thread: what is recorded and on disk as this flush starts, and
        # what is recorded as it ends (slowly, so that recording during it would show).
        recorded = _published(tmp_path / "archive.db")
        on_disk = _posts(root)
        time.sleep(0.05)
        seen.append((recorded, on_disk, _published(tmp_path / "archive.db")))

    monkeypatch.setattr(posts, "_BATCH", 3)
    monkeypatch.setattr(writer_module, "sync_filesystem", watched)
    report = publish_hexo(storage, root)

    assert (report.written, report.error) == (8, None)
    assert len(_published(tmp_path / "archive.db")) == 8
    assert seen and seen[0][0] == set()  # nothing recorded before the first flush
    flushed: set[str] = set()
    for recorded, on_disk, after in seen:
        assert after == recorded  # nothing is recorded while a flush runs
        assert recorded <= flushed  # only what an earlier, finished flush saw on disk
        flushed = on_disk
    assert _published(tmp_path / "archive.db") <= flushed


def test_the_next_batch_grows_while_a_slow_flush_runs_and_waits_only_at_the_end(
    tmp_path: Path, storage: SQLiteStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(storage, [make_item(n) for n in range(8)])
    root = tmp_path / "hexo"
    all_written = threading.Event()
    flushes: list[tuple[set[str], set[str]]] = []
    write = writer_module.Writer.write

    def counting_write(self: writer_module.Writer, relpath: str, data: bytes) -> bool:
        done = write(self, relpath, data)
        if self.written == 8:
            all_written.set()
        return done

    def slow_disk(fd: int) -> None:
        # The first flush lasts until every post is written: the writer must not wait for it.
        assert all_written.wait(timeout=60)
        flushes.append((_published(tmp_path / "archive.db"), _posts(root)))

    monkeypatch.setattr(posts, "_BATCH", 3)
    monkeypatch.setattr(writer_module.Writer, "write", counting_write)
    monkeypatch.setattr(writer_module, "sync_filesystem", slow_disk)
    report = publish_hexo(storage, root)

    assert (report.written, report.error) == (8, None)
    # Two flushes: the first batch of 3, then the other 5 that grew while it ran.
    assert len(flushes) == 2
    assert flushes[0][0] == set()  # nothing recorded before the first flush returned
    assert len(flushes[1][0]) == 3  # the first batch, recorded once flushed
    assert _published(tmp_path / "archive.db") == _posts(root)


def test_a_failed_flush_leaves_its_posts_pending_and_the_next_run_finishes_them(
    tmp_path: Path, storage: SQLiteStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(storage, [make_item(n) for n in range(8)])
    root = tmp_path / "hexo"

    def broken_disk(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(posts, "_BATCH", 3)
    monkeypatch.setattr(posts, "_MAX_BATCH", 3)  # batches of 3 however long a flush takes
    with monkeypatch.context() as patch:
        patch.setattr(writer_module, "sync_filesystem", broken_disk)
        report = publish_hexo(storage, root)
    assert report.error is not None and "Input/output error" in report.error
    assert str(root) in report.error
    assert _published(tmp_path / "archive.db") == set()  # never flushed: never recorded
    first = {path: (root / path).read_bytes() for path in _posts(root)}
    assert len(first) == 6  # the first batch and the one written while it was flushed
    assert not (root / TEMP_DIR).exists()

    again = publish_hexo(storage, root)
    assert (again.written, again.unchanged, again.error) == (2, 6, None)
    assert _published(tmp_path / "archive.db") == _posts(root)
    assert len(_posts(root)) == 8  # the posts of the failed run were reused, not duplicated
    assert {path: (root / path).read_bytes() for path in first} == first


def test_a_file_hotpress_did_not_write_keeps_its_name(
    tmp_path: Path, storage: SQLiteStorage
) -> None:
    _store(storage, [make_item(1)])
    root = tmp_path / "hexo"
    (root / FOLDER).mkdir(parents=True)
    (root / FOLDER / "标题 1.md").write_bytes(b"someone else's post")

    assert publish_hexo(storage, root).written == 1
    assert (root / FOLDER / "标题 1.md").read_bytes() == b"someone else's post"
    assert _published(tmp_path / "archive.db") == {f"{FOLDER}/标题 1-00000000.md"}


def test_a_post_an_interrupted_run_left_is_taken_over_not_duplicated(
    tmp_path: Path, storage: SQLiteStorage
) -> None:
    _store(storage, [make_item(1)])
    root = tmp_path / "hexo"
    (pending,) = list(storage.pending(posts.OUTPUT))
    (root / FOLDER).mkdir(parents=True)
    (root / FOLDER / "标题 1.md").write_bytes(render_pending(pending))

    report = publish_hexo(storage, root)
    assert (report.written, report.unchanged) == (0, 1)
    assert _published(tmp_path / "archive.db") == {f"{FOLDER}/标题 1.md"}
    assert _posts(root) == {f"{FOLDER}/标题 1.md"}


def test_items_with_one_title_get_a_file_each_in_a_new_folder(
    tmp_path: Path, storage: SQLiteStorage
) -> None:
    _store(storage, [make_item(1, title="同一个标题"), make_item(2, title="同一个标题")])
    root = tmp_path / "hexo"
    assert publish_hexo(storage, root).written == 2
    assert _posts(root) == {
        f"{FOLDER}/同一个标题.md",
        f"{FOLDER}/同一个标题-00000000.md",
    }
    assert _published(tmp_path / "archive.db") == _posts(root)
