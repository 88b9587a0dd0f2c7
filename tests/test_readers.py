"""Bodies read by worker processes (``fetch.read_workers``): the archive a large round leaves
is the one reading in-process leaves, a dead worker loses nothing, a small round starts no
process. Real processes, a real local HTTP server, the command a user runs."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

import pytest

from feedserver import FeedServer, RecordedRequest, Reply
from hotpress import _pool, _readers, cli
from hotpress._pool import worker_count
from hotpress._readers import MIN_BODIES

FEEDS = 48
HELD = 16
"""The last feeds answer only once a worker has the archive open (see ``_hold``)."""


def _feed(n: int) -> bytes:
    items = "".join(
        f"<item><title>第{n}号源 条目{i} &amp; more</title><guid>g{n}-{i}</guid>"
        f"<link>https://example.com/{n}/{i}?utm_source=x</link>"
        "<description>"
        + escape(
            f'<p>正文 {n}/{i} <a href="/rel/{i}">相对</a><script>alert({i})</script></p>'
            f'<p><img src="/img/{n}-{i}.png"><b>粗<i>斜</b>体</i></p>'
            f'<iframe src="//player.bilibili.com/x{i}"></iframe><div onclick="x()">点</div>'
        )
        + "</description>"
        f"<pubDate>Mon, 15 Jan 2024 0{i % 10}:30:00 GMT</pubDate></item>"
        for i in range(12)
    )
    # The same guid twice: the first speaks for it, whoever reads the body.
    items += f"<item><title>重复</title><guid>g{n}-0</guid><description>x</description></item>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>源 {n}</title><link>https://news{n}.example.cn/</link>{items}</channel></rss>"
    ).encode()


def _processes(field: int, value: int) -> list[int]:
    """Live processes whose /proc stat ``field`` (after the name: 1 ppid, 2 process group)
    is ``value``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            after = stat.rsplit(")", 1)[1].split()
            if after[0] != "Z" and int(after[field]) == value:
                found.append(int(entry))
    return found


def _children(parent: int) -> list[int]:
    return _processes(1, parent)


def _in_group(group: int) -> list[int]:
    return _processes(2, group)


def _a_worker_with_the_archive_open(archive: str, parent: int | None = None) -> int | None:
    """The pid of a worker process (a spawned child of ``parent``, default this process) that
    has opened ``archive`` (its initializer ran): the SQLite file among its open files, or
    for PostgreSQL a socket (a spawned worker has none but its connection)."""
    for child in _children(parent or os.getpid()):
        try:
            # A spawned worker, not another child of this process (a test server, or the
            # resource tracker multiprocessing starts beside the pool).
            if b"--multiprocessing-fork" not in Path(f"/proc/{child}/cmdline").read_bytes():
                continue
            fds = os.listdir(f"/proc/{child}/fd")
        except FileNotFoundError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{child}/fd/{fd}")
            except FileNotFoundError:
                continue
            if target == os.path.realpath(archive) or (
                archive.startswith("postgresql:") and "socket:" in target
            ):
                return child
    return None


def _serve(
    server: FeedServer, archive: str, on_ready: Any = None, parent: Callable[[], int] = os.getpid
) -> threading.Event:
    """``FEEDS`` routes. Once the event it gives is set, the last ``HELD`` answer only when a
    worker (a child of ``parent()``) has ``archive`` open (then ``on_ready(pid)`` runs once):
    the workers are up when those bodies arrive."""
    hold = threading.Event()
    ready = threading.Event()
    lock = threading.Lock()

    def held(n: int) -> Any:
        def reply(_: RecordedRequest) -> Reply:
            with lock:
                if hold.is_set() and not ready.is_set():
                    deadline = time.monotonic() + 60
                    while (pid := _a_worker_with_the_archive_open(archive, parent())) is None:
                        assert time.monotonic() < deadline, "no worker opened the archive"
                        time.sleep(0.02)
                    if on_ready is not None:
                        on_ready(pid)
                    ready.set()
            return Reply(body=_feed(n), headers={"Content-Type": "application/rss+xml"})

        return reply

    for n in range(FEEDS):
        if n < FEEDS - HELD:
            server.route(f"/f{n}", Reply(body=_feed(n), headers={"Content-Type": "text/xml"}))
        else:
            server.route(f"/f{n}", held(n))
    server.route("/gone", Reply(status=404))
    return hold


def _config(tmp_path: Path, server: FeedServer, database: str, workers: int) -> Path:
    sources = "".join(f"  - category: [组, 源{n}]\n    route: /f{n}\n" for n in range(FEEDS))
    config = tmp_path / f"{workers}-{secrets.token_hex(2)}.yml"
    config.write_text(
        f"rsshub: {server.url('/').rstrip('/')}\ndatabase: {database}\n"
        f"fetch:\n  read_workers: {workers}\n  retries: 0\n"
        f"sources:\n{sources}  - category: [组, 没了]\n    route: /gone\n",
        encoding="utf-8",
    )
    return config


def _rows(database: str, sql: str) -> list[tuple[Any, ...]]:
    if database.startswith("postgresql:"):
        import psycopg

        with psycopg.connect(database) as pg:
            return [tuple(r) for r in pg.execute(sql).fetchall()]
    with contextlib.closing(sqlite3.connect(database)) as db:
        return db.execute(sql).fetchall()


def _items(database: str) -> dict[tuple[str, str], tuple[Any, ...]]:
    rows = _rows(
        database,
        "SELECT s.key, i.identity, i.guid, i.link, i.title, i.content, i.author, i.cover,"
        " i.published, i.content_hash, i.revision, i.raw_hash"
        " FROM items i JOIN sources s ON s.id = i.source_id",
    )
    return {(r[0], r[1]): r[2:] for r in rows}


def _statuses(database: str) -> dict[str, tuple[Any, ...]]:
    rows = _rows(database, "SELECT key, body_digest, etag, error_count FROM sources")
    return {r[0]: r[1:] for r in rows}


@pytest.fixture
def rounds(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What each round's ``Readers`` did (recorded as it closes)."""
    seen: list[dict[str, Any]] = []
    close = _readers.Readers.close

    def record(self: _readers.Readers) -> None:
        seen.append(
            {
                "started": self._pool.started,
                "by_workers": self.by_workers,
                "broken": self._pool.broken,
            }
        )
        close(self)

    monkeypatch.setattr(_readers.Readers, "close", record)
    return seen


def test_a_large_round_read_by_a_worker_stores_what_one_process_stores(
    tmp_path: Path,
    feed_server: FeedServer,
    rounds: list[dict[str, Any]],
    archives: Callable[[], str],
) -> None:
    alone, pooled = archives(), archives()
    hold = _serve(feed_server, pooled)
    alone_config = _config(tmp_path, feed_server, alone, 0)
    pooled_config = _config(tmp_path, feed_server, pooled, 1)
    assert cli.main(["fetch", "-q", "-c", str(alone_config)]) == 0
    assert rounds == []  # read_workers: 0 makes no pool at all
    hold.set()
    assert cli.main(["fetch", "-q", "-c", str(pooled_config)]) == 0
    assert len(rounds) == 1 and rounds[0]["started"] and not rounds[0]["broken"]
    assert rounds[0]["by_workers"] >= 1  # every held body arrived with the worker up
    expected = _items(alone)
    assert len(expected) == FEEDS * 12
    assert _items(pooled) == expected
    assert _statuses(pooled) == _statuses(alone)
    assert multiprocessing.active_children() == []  # the round stopped its worker
    # The same bodies again: their entries are the stored ones, nothing to read, no process.
    assert cli.main(["fetch", "-q", "-c", str(pooled_config)]) == 0
    assert rounds[1] == {"started": False, "by_workers": 0, "broken": False}


def test_a_worker_killed_mid_round_leaves_its_bodies_to_this_process(
    tmp_path: Path,
    feed_server: FeedServer,
    rounds: list[dict[str, Any]],
    archives: Callable[[], str],
) -> None:
    archive = archives()
    hold = _serve(feed_server, archive, lambda pid: os.kill(pid, signal.SIGKILL))
    hold.set()
    config = _config(tmp_path, feed_server, archive, 1)
    assert cli.main(["fetch", "-q", "-c", str(config)]) == 0
    assert len(rounds) == 1 and rounds[0]["started"] and rounds[0]["broken"]
    assert len(_items(archive)) == FEEDS * 12  # nothing lost
    statuses = _statuses(archive)
    assert all(statuses[f"/f{n}"][2] == 0 for n in range(FEEDS))  # every feed stored well
    assert multiprocessing.active_children() == []


def _fetch_process(
    tmp_path: Path, feed_server: FeedServer, on_ready: Callable[[int], None]
) -> subprocess.Popen[str]:
    """``python -m hotpress fetch`` of the held feeds (``_serve``), in a process group of its
    own as a terminal starts it; ``on_ready(its pid)`` runs once its worker has the archive
    open, while bodies are still coming."""
    archive = str(tmp_path / "archive.db")
    run: list[subprocess.Popen[str]] = []
    hold = _serve(feed_server, archive, lambda _: on_ready(run[0].pid), lambda: run[0].pid)
    hold.set()
    config = _config(tmp_path, feed_server, archive, 1)
    run.append(
        subprocess.Popen(
            [sys.executable, "-m", "hotpress", "fetch", "-c", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    )
    return run[0]


def _group_ends(group: int) -> list[int]:
    """The processes left in ``group`` after waiting up to 20 s for them to end."""
    deadline = time.monotonic() + 20
    while _in_group(group) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _in_group(group)


def test_ctrl_c_stops_the_round_and_its_workers_without_a_traceback(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """SIGINT to the whole process group, as a terminal's Ctrl-C sends it: this process says
    it was interrupted, the workers (started with SIGINT blocked) print nothing, none is
    left."""
    run = _fetch_process(tmp_path, feed_server, lambda pid: os.killpg(pid, signal.SIGINT))
    out, _ = run.communicate(timeout=120)
    assert run.returncode == 130, out
    assert "interrupted" in out
    assert "Traceback" not in out and "Exception" not in out, out
    assert _group_ends(run.pid) == []  # its worker too (an orphan would keep the group)


def test_sigterm_stops_the_round_and_its_workers_cleanly(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """SIGTERM to ``hotpress fetch`` alone (``kill PID``, a CI timeout): it unwinds as on
    Ctrl-C and stops its worker, instead of dying with the worker's semaphores left to
    multiprocessing's resource tracker ("leaked semaphore objects")."""
    run = _fetch_process(tmp_path, feed_server, lambda pid: os.kill(pid, signal.SIGTERM))
    out, _ = run.communicate(timeout=120)
    assert run.returncode == 143, out
    assert "terminated (SIGTERM)" in out
    assert "Traceback" not in out and "leaked" not in out, out
    assert _group_ends(run.pid) == []


def _task_ended_by_sigterm() -> None:
    """A task whose own code is running when SIGTERM's ``Terminated`` is raised: asyncio keeps
    the exception in the task and, once the task is collected, reports it as never
    retrieved (what made the test above fail about one time in 12-24, by timing)."""
    import asyncio
    import gc

    async def body() -> None:
        raise cli.Terminated

    loop = asyncio.new_event_loop()
    task = loop.create_task(body())
    with pytest.raises(cli.Terminated):
        loop.run_until_complete(task)
    loop.close()
    del task
    gc.collect()


def test_asyncio_does_not_report_a_task_that_sigterm_ended(
    caplog: pytest.LogCaptureFixture,
) -> None:
    asyncio_log = logging.getLogger("asyncio")
    asyncio_log.removeFilter(cli._not_terminated)
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        _task_ended_by_sigterm()  # as before: reported, with its traceback
    assert any("never retrieved" in r.getMessage() for r in caplog.records)
    caplog.clear()
    asyncio_log.addFilter(cli._not_terminated)  # as `run`, `fetch` and `publish` set it
    try:
        with caplog.at_level(logging.ERROR, logger="asyncio"):
            _task_ended_by_sigterm()
    finally:
        asyncio_log.removeFilter(cli._not_terminated)
    assert caplog.records == []


def test_a_worker_outlives_no_killed_hotpress(tmp_path: Path, feed_server: FeedServer) -> None:
    """kill -9 of ``hotpress fetch`` (the OOM killer, a timeout): the worker, which would wait
    on the pool's queue for ever with the archive open, ends too (and with it the last
    holder of the output pipe)."""
    run = _fetch_process(tmp_path, feed_server, lambda pid: os.kill(pid, signal.SIGKILL))
    run.communicate(timeout=120)
    assert run.returncode == -signal.SIGKILL
    assert _group_ends(run.pid) == []


def test_a_round_of_few_bodies_starts_no_process(
    tmp_path: Path, feed_server: FeedServer, rounds: list[dict[str, Any]]
) -> None:
    for n in range(MIN_BODIES - 1):
        feed_server.route(f"/f{n}", Reply(body=_feed(n), headers={"Content-Type": "text/xml"}))
    sources = "".join(
        f"  - category: [组, 源{n}]\n    route: /f{n}\n" for n in range(MIN_BODIES - 1)
    )
    config = tmp_path / "small.yml"
    config.write_text(
        f"rsshub: {feed_server.url('/').rstrip('/')}\nfetch:\n  read_workers: 2\n"
        f"sources:\n{sources}",
        encoding="utf-8",
    )
    assert cli.main(["fetch", "-q", "-c", str(config)]) == 0
    assert rounds == [{"started": False, "by_workers": 0, "broken": False}]


def test_worker_count_follows_the_setting_the_cores_and_daemon_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert worker_count(3) == 3 and worker_count(0) == 0
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: set(range(8)))
    assert worker_count(None) == _pool.MAX_WORKERS  # 7 cores beyond this one, at most 4
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0, 1})
    assert worker_count(None) == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0})
    assert worker_count(None) == 0
    # A Celery prefork child is daemonic: it may not start processes of its own.
    monkeypatch.setattr(multiprocessing.current_process(), "_config", {"daemon": True})
    assert worker_count(2) == 0
