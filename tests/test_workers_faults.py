"""Faults of distributed refresh (issue 16), with real processes and services.

- kill -9 of a worker in the middle of a task (RabbitMQ redelivers at once, Redis after its
  visibility timeout): nothing lost, nothing stored twice, the source refreshed by the other
  worker;
- the broker going away under a worker mid-task (a TCP proxy of ours between the worker and
  the machine's RabbitMQ or Redis is cut and restored: restarting the shared server itself
  would break other users of this machine): the round still completes, nothing stored twice;
- the database going away under a worker mid-task (the same proxy before PostgreSQL): the
  task is tried again on a new connection and stores the source once; and under ``run``
  while it waits for the round: it reconnects and publishes the round;
- two schedulers (``hotpress watch``) at once: each source is leased to one of them, so it
  is fetched once; and four processes claiming from one archive never take a source twice;
- a source whose refresh kills its worker every time: given up after a few tries (it backs
  off like any failing source), and the other sources are refreshed meanwhile.

The archive is an SQLite file in WAL mode shared by every process, or a PostgreSQL database
(``archive_db`` runs a test on both).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from feedserver import FeedServer, RecordedRequest, Reply
from hotpress._storage import open_storage
from hotpress.types import SourceSpec
from workers_support import (
    Proxy,
    Worker,
    query,
    rss,
    wait_for_workers,
    wait_until,
    write_config,
)

FEED = {"Content-Type": "application/rss+xml"}


def start_run(config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "hotpress", "run", "-c", str(config), *args],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def one(database: str, folder: Path, sql: str) -> Any:
    return query(database, folder, sql)[0][0]


class Gate:
    """A feed whose first request waits until released (a worker is then mid-task)."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.arrived = threading.Event()
        self.release = threading.Event()

    def __call__(self, request: RecordedRequest) -> Reply:
        if not self.arrived.is_set():
            self.arrived.set()
            self.release.wait(60)
        return Reply(body=self.body, headers=FEED)


def _fast_then_gated(feeds: FeedServer, count: int, gate: Gate) -> list[str]:
    """``count`` feeds of 5 items answered at once, then ``/slow.xml`` behind ``gate``."""
    for i in range(count):
        feeds.route(f"/f{i}.xml", Reply(body=rss(f"f{i}", 5), headers=FEED))
    feeds.route("/slow.xml", gate)
    return [feeds.url(f"/f{i}.xml") for i in range(count)] + [feeds.url("/slow.xml")]


def _through(proxy: Proxy, url: str) -> str:
    """``url`` (the machine's PostgreSQL) reached through ``proxy``."""
    proxied = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    assert proxied != url
    return proxied


def _wait_stored(database: str, folder: Path, count: int) -> None:
    """Until ``count`` sources are stored (the fast ones of a batch, before a fault)."""
    sql = "SELECT COUNT(*) FROM sources WHERE last_success IS NOT NULL"
    wait_until(lambda: one(database, folder, sql) >= count, 60, f"{count} sources stored")


def _assert_each_stored_once(database: str, config: Path, sources: int, items: int) -> None:
    folder = config.parent
    assert one(database, folder, "SELECT COUNT(*) FROM items") == items
    assert one(database, folder, "SELECT COUNT(DISTINCT identity) FROM items") == items
    # One refresh stored per source: a redelivered task wrote nothing twice.
    assert query(database, folder, "SELECT COUNT(*), COUNT(DISTINCT source_id) FROM fetch_log")[
        0
    ] == (sources, sources)
    assert one(database, folder, "SELECT COUNT(*) FROM sources WHERE last_success IS NULL") == 0
    assert one(database, folder, "SELECT COUNT(*) FROM sources WHERE lease_token IS NOT NULL") == 0


def test_a_worker_killed_mid_task_loses_nothing_and_duplicates_nothing(
    tmp_path: Path, broker: str, archive_db: str
) -> None:
    """RabbitMQ hands the task out again when the killed worker's connection ends; Redis when
    it has stayed unacknowledged for ``broker_visibility_timeout`` (8 s here)."""
    gate = Gate(rss("slow", 5))
    with FeedServer() as feeds:
        urls = _fast_then_gated(feeds, 5, gate)
        config = write_config(tmp_path, broker, urls, timeout=60, database=archive_db)
        workers = [Worker(config), Worker(config)]
        try:
            wait_for_workers(broker, 2)
            running = start_run(config)
            assert gate.arrived.wait(60), "".join(w.text() for w in workers)
            # One worker is in the middle of the task (five sources stored, one being
            # fetched): it is killed with -9.
            _wait_stored(archive_db, tmp_path, 5)
            victim = next(w for w in workers if "received" in w.text())
            other = workers[1 - workers.index(victim)]
            victim.kill()
            gate.release.set()
            out, err = running.communicate(timeout=120)
            assert running.returncode == 0, err + other.text()
        finally:
            gate.release.set()
            for worker in workers:
                worker.stop()
        assert "sources: 6 ok, 0 failed; items: 30 new, 0 updated" in out
        # The killed worker's fetch and the other worker's: the source was refreshed by the
        # other worker; the five stored before the kill were not fetched again.
        assert len(feeds.requests_to("/slow.xml")) == 2
        assert [len(feeds.requests_to(f"/f{i}.xml")) for i in range(5)] == [1] * 5
    assert "refreshed 1 sources" in other.text()
    _assert_each_stored_once(archive_db, config, 6, 30)


def test_a_run_whose_only_worker_dies_ends_soon_and_the_next_run_refreshes_it(
    tmp_path: Path, rabbit_vhost: str
) -> None:
    """With no worker left, ``run`` does not wait for the lease to end (10 minutes): after
    ``--worker-wait`` seconds without progress it asks the broker, hears nobody, reports the
    unfinished source and lets its lease go."""
    gate = Gate(rss("slow", 5))
    with FeedServer() as feeds:
        feeds.route("/f0.xml", Reply(body=rss("f0", 5), headers=FEED))
        feeds.route("/slow.xml", gate)
        config = write_config(
            tmp_path, rabbit_vhost, [feeds.url("/f0.xml"), feeds.url("/slow.xml")], timeout=60
        )
        worker = Worker(config)
        later: Worker | None = None
        try:
            wait_for_workers(rabbit_vhost, 1)
            started = time.monotonic()
            running = start_run(config, "--worker-wait", "3")
            assert gate.arrived.wait(60), worker.text()
            _wait_stored("archive.db", tmp_path, 1)
            worker.kill()
            gate.release.set()
            out, err = running.communicate(timeout=120)
            assert time.monotonic() - started < 90
            assert running.returncode == 0, err
            assert "sources: 1 ok, 1 failed" in out
            assert "no worker answered for 3 s" in out
            assert (
                one(
                    "archive.db",
                    tmp_path,
                    "SELECT COUNT(*) FROM sources WHERE lease_token IS NOT NULL",
                )
                == 0
            )
            later = Worker(config)
            wait_for_workers(rabbit_vhost, 1)
            again = start_run(config)
            out, err = again.communicate(timeout=120)
            assert again.returncode == 0, err + later.text()
            assert "sources: 2 ok, 0 failed" in out
        finally:
            gate.release.set()
            worker.stop()
            if later is not None:
                later.stop()


def test_a_cut_broker_connection_mid_task_still_completes_the_round_once(
    tmp_path: Path, broker: str
) -> None:
    """The task in hand is stopped at the cut and handed out again: by RabbitMQ at once, by
    Redis after its visibility timeout (8 s here)."""
    port = urlsplit(broker).port
    assert port is not None
    proxy = Proxy(("127.0.0.1", port))
    gate = Gate(rss("slow", 5))
    with FeedServer() as feeds:
        urls = _fast_then_gated(feeds, 3, gate)
        config = write_config(tmp_path, broker, urls, timeout=60)
        # The worker reaches the broker through the proxy; `run` directly.
        through = tmp_path / "worker"
        through.mkdir()
        proxied = broker.replace(f"127.0.0.1:{port}", f"127.0.0.1:{proxy.port}")
        assert proxied != broker
        worker_config = write_config(through, proxied, urls, timeout=60)
        text = worker_config.read_text(encoding="utf-8")
        worker_config.write_text(
            text.replace("database: archive.db", f"database: {tmp_path / 'archive.db'}"),
            encoding="utf-8",
        )
        # The default pool: threads finish a task in hand across the cut, and Celery 5.7's
        # consumer then failed to restart now and then (its ack fails on the new connection).
        worker = Worker(worker_config, pool="prefork")
        try:
            wait_for_workers(broker, 1)
            running = start_run(config)
            assert gate.arrived.wait(60), worker.text()
            _wait_stored("archive.db", tmp_path, 3)
            proxy.cut()  # the broker "restarts": every connection dropped, none accepted
            time.sleep(3)
            proxy.restore()
            gate.release.set()
            out, err = running.communicate(timeout=180)
            assert running.returncode == 0, err + worker.text()
            assert "sources: 4 ok, 0 failed; items: 20 new, 0 updated" in out
            assert [len(feeds.requests_to(f"/f{i}.xml")) for i in range(3)] == [1] * 3
            _assert_each_stored_once("archive.db", config, 4, 20)
            # The worker reconnects by itself and takes the next round.
            scheme = urlsplit(broker).scheme
            wait_until(
                lambda: worker.text().count(f"Connected to {scheme}://") >= 2,
                60,
                "a reconnection",
            )
            again = start_run(config)
            out, err = again.communicate(timeout=120)
            assert again.returncode == 0, err + worker.text()
            assert "sources: 4 ok, 0 failed" in out
        finally:
            gate.release.set()
            worker.stop()
            proxy.close()


def test_a_database_restart_under_a_worker_mid_task_completes_the_round_once(
    tmp_path: Path, rabbit_vhost: str, pg_url: str
) -> None:
    """PostgreSQL "restarts" under the worker (its connection goes through a proxy of ours
    that is cut, then accepts again): the task is tried again on a new connection, its
    lease still holds, the source is stored once."""
    proxy = Proxy(("127.0.0.1", 5432))
    gate = Gate(rss("slow", 5))
    with FeedServer() as feeds:
        urls = _fast_then_gated(feeds, 3, gate)
        config = write_config(tmp_path, rabbit_vhost, urls, timeout=60, database=pg_url)
        through = tmp_path / "worker"
        through.mkdir()
        proxied = _through(proxy, pg_url)
        worker = Worker(write_config(through, rabbit_vhost, urls, timeout=60, database=proxied))
        try:
            wait_for_workers(rabbit_vhost, 1)
            running = start_run(config)
            assert gate.arrived.wait(60), worker.text()
            _wait_stored(pg_url, tmp_path, 3)
            proxy.cut()  # the database goes away with the worker's connection
            time.sleep(3)
            proxy.restore()
            gate.release.set()
            out, err = running.communicate(timeout=180)
            assert running.returncode == 0, err + worker.text()
        finally:
            gate.release.set()
            worker.stop()
            proxy.close()
        assert "sources: 4 ok, 0 failed; items: 20 new, 0 updated" in out
        assert [len(feeds.requests_to(f"/f{i}.xml")) for i in range(3)] == [1] * 3
        # The refresh that could not be stored was tried again, on a new connection.
        assert len(feeds.requests_to("/slow.xml")) == 2
    assert "archive unavailable" in worker.text()
    _assert_each_stored_once(pg_url, config, 4, 20)


@pytest.mark.parametrize("pool", ["prefork", "threads"])
def test_a_worker_whose_idle_connections_the_server_ended_refreshes_without_a_retry(
    tmp_path: Path, rabbit_vhost: str, pg_url: str, pool: str
) -> None:
    """Between two rounds the server ends the idle worker's sessions (a restart, an idle
    timeout, an operator's pg_terminate_backend): the next round's tasks are lent checked,
    new connections by the worker's pool; none fails on its first query and waits to be
    tried again."""
    with FeedServer() as feeds:
        for i in range(4):
            feeds.route(f"/f{i}.xml", Reply(body=rss(f"f{i}", 3), headers=FEED))
        urls = [feeds.url(f"/f{i}.xml") for i in range(4)]
        config = write_config(tmp_path, rabbit_vhost, urls, timeout=60, database=pg_url)
        worker = Worker(config, pool=pool)
        try:
            wait_for_workers(rabbit_vhost, 1)
            for round_ in range(2):
                if round_:
                    ended = query(
                        pg_url,
                        tmp_path,
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        " AND application_name = 'hotpress'",
                    )
                    assert ended and all(row[0] for row in ended)
                running = start_run(config)
                out, err = running.communicate(timeout=120)
                assert running.returncode == 0, err + worker.text()
                assert "sources: 4 ok, 0 failed" in out, out + err
        finally:
            worker.stop()
        assert [len(feeds.requests_to(f"/f{i}.xml")) for i in range(4)] == [2] * 4
    assert "archive unavailable" not in worker.text()
    assert "Traceback" not in worker.text()


def test_a_database_restart_while_run_waits_for_the_workers_completes_the_round(
    tmp_path: Path, rabbit_vhost: str, pg_url: str
) -> None:
    """PostgreSQL "restarts" under ``hotpress run`` while it waits on the leases (its
    connection goes through the cut proxy, the worker's does not): it reconnects, sees the
    round end, and publishes it."""
    proxy = Proxy(("127.0.0.1", 5432))
    gate = Gate(rss("slow", 5))
    with FeedServer() as feeds:
        urls = _fast_then_gated(feeds, 3, gate)
        proxied = _through(proxy, pg_url)
        config = write_config(tmp_path, rabbit_vhost, urls, timeout=60, database=proxied)
        through = tmp_path / "worker"
        through.mkdir()
        worker = Worker(write_config(through, rabbit_vhost, urls, timeout=60, database=pg_url))
        try:
            wait_for_workers(rabbit_vhost, 1)
            running = start_run(config)
            assert gate.arrived.wait(60), worker.text()
            _wait_stored(pg_url, tmp_path, 3)
            proxy.cut()  # `run` is waiting on the leases: its connection goes away
            time.sleep(3)
            gate.release.set()  # the last source is stored meanwhile
            _wait_stored(pg_url, tmp_path, 4)
            proxy.restore()
            out, err = running.communicate(timeout=180)
            assert running.returncode == 0, err + worker.text()
        finally:
            gate.release.set()
            worker.stop()
            proxy.close()
        assert "sources: 4 ok, 0 failed; items: 20 new, 0 updated" in out
        assert "hexo: 20 written" in out
        assert [len(feeds.requests_to(f"/f{i}.xml")) for i in range(3)] == [1] * 3
        assert len(feeds.requests_to("/slow.xml")) == 1
    assert "lost the archive while waiting for the workers" in err
    assert "the archive is back" in err
    _assert_each_stored_once(pg_url, config, 4, 20)


def test_two_schedulers_at_once_fetch_each_source_once(
    tmp_path: Path, rabbit_vhost: str, archive_db: str
) -> None:
    with FeedServer() as feeds:
        for i in range(12):
            feeds.route(f"/f{i}.xml", Reply(body=rss(f"f{i}", 3), headers=FEED, delay=0.05))
        urls = [feeds.url(f"/f{i}.xml") for i in range(12)]
        config = write_config(tmp_path, rabbit_vhost, urls, database=archive_db)
        worker = Worker(config, concurrency=4)
        logs = [tmp_path / "scheduler-a.log", tmp_path / "scheduler-b.log"]
        schedulers = []
        handles = [log.open("wb") for log in logs]
        try:
            wait_for_workers(rabbit_vhost, 1)
            for handle in handles:
                schedulers.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "hotpress", "watch", "-c", str(config)],
                        cwd=tmp_path,
                        stdout=subprocess.DEVNULL,
                        stderr=handle,
                    )
                )

            def all_fetched() -> bool:
                try:
                    done = one(
                        archive_db, tmp_path, "SELECT COUNT(*) FROM sources WHERE last_success > 0"
                    )
                except Exception:  # not made yet
                    return False
                return bool(done == 12)

            wait_until(all_fetched, 90, "every source refreshed")
            # The round changed something: published (once per output, under the run lock).
            posts = tmp_path / "blog/source/_posts"
            wait_until(lambda: len(list(posts.rglob("*.md"))) == 36, 60, "the posts")
            # Both keep scheduling a little longer: nothing is due, nothing is sent again.
            time.sleep(3)
        finally:
            for proc in schedulers:
                proc.send_signal(signal.SIGTERM)
            for proc in schedulers:
                proc.wait(30)
            for handle in handles:
                handle.close()
            worker.stop()
        assert [len(feeds.requests_to(f"/f{i}.xml")) for i in range(12)] == [1] * 12
    texts = [log.read_text() for log in logs]
    sent = [
        sum(int(line.split("sent ")[1].split()[0]) for line in t.splitlines() if "sent " in line)
        for t in texts
    ]
    assert sum(sent) == 12, texts
    assert all("stopped after" in t for t in texts), texts
    _assert_each_stored_once(archive_db, config, 12, 36)


def _claimer(database: str, name: str, go: Any, queue: multiprocessing.Queue[list[str]]) -> None:
    storage = open_storage(database)
    taken: list[str] = []
    now = datetime.now(UTC)
    go.wait(30)  # every claimer starts at once
    while got := storage.claim_sources(now, token=name, until=now + timedelta(hours=1), limit=2):
        taken += got
    storage.close()
    queue.put(taken)


def test_four_processes_claiming_at_once_never_take_a_source_twice(
    tmp_path: Path, archive_db: str
) -> None:
    """On PostgreSQL the claim's ``FOR UPDATE SKIP LOCKED`` is what keeps them apart."""
    path = archive_db if archive_db.startswith("postgresql") else str(tmp_path / archive_db)
    storage = open_storage(path)
    storage.sync_sources(
        [
            SourceSpec(
                key=f"/s/{i}",
                category=("a",),
                url=f"http://127.0.0.1/{i}",
                author="a",
                timezone="UTC",
            )
            for i in range(60)
        ]
    )
    storage.close()
    ctx = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[list[str]] = ctx.Queue()
    go = ctx.Event()
    procs = [ctx.Process(target=_claimer, args=(str(path), f"c{n}", go, queue)) for n in range(4)]
    for proc in procs:
        proc.start()
    time.sleep(1.0)
    go.set()
    claims = [queue.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(30)
    taken = [key for claim in claims for key in claim]
    # Each claims until nothing is left: every source taken, by exactly one of them.
    assert sorted(taken) == sorted(f"/s/{i}" for i in range(60))
    assert len(set(taken)) == len(taken) == 60


def test_a_source_that_kills_its_worker_is_given_up_and_blocks_no_other(
    tmp_path: Path, rabbit_vhost: str, archive_db: str
) -> None:
    current: list[Worker] = []
    kills: list[float] = []

    def poison(request: RecordedRequest) -> Reply:
        # Its refresh "crashes" the worker: the worker process dies with the request open.
        time.sleep(0.5)
        kills.append(time.monotonic())
        os.killpg(current[-1].pid, signal.SIGKILL)
        return Reply(body=b"", hang_up=True)

    with FeedServer() as feeds:
        for i in range(4):
            feeds.route(f"/f{i}.xml", Reply(body=rss(f"f{i}", 2), headers=FEED))
        feeds.route("/poison.xml", poison)
        urls = [feeds.url(f"/f{i}.xml") for i in range(4)] + [feeds.url("/poison.xml")]
        config = write_config(tmp_path, rabbit_vhost, urls, timeout=30, database=archive_db)
        stop = threading.Event()

        def supervise() -> None:
            # What systemd's Restart= does: a dead worker is started again.
            while not stop.is_set():
                if current[-1].proc.poll() is not None:
                    current.append(Worker(config))
                time.sleep(0.2)

        current.append(Worker(config))
        keeper = threading.Thread(target=supervise, daemon=True)
        try:
            wait_for_workers(rabbit_vhost, 1)
            keeper.start()
            running = start_run(config)
            out, err = running.communicate(timeout=240)
        finally:
            stop.set()
            keeper.join(10)
            for worker in current:
                worker.stop()
        assert running.returncode == 0, err
        assert "sources: 4 ok, 1 failed; items: 8 new" in out
        assert "without finishing" in out
        # Killed on its first start and on its retries, then given up (not fetched again).
        assert 2 <= len(kills) <= 4
        assert len(feeds.requests_to("/poison.xml")) == len(kills)
    row = query(
        archive_db,
        tmp_path,
        "SELECT error_count, last_error, next_due, lease_token FROM sources WHERE key = ?",
        feeds.url("/poison.xml"),
    )[0]
    assert row[0] == 1 and "without finishing" in row[1]
    assert row[2] > datetime.now(UTC).timestamp() + 50 * 60  # backs off like any failure
    assert row[3] is None
    assert one(archive_db, tmp_path, "SELECT COUNT(*) FROM items") == 8


def test_the_scheduler_publishes_only_under_the_run_lock(
    tmp_path: Path, rabbit_vhost: str, archive_db: str
) -> None:
    """One writer per output: while another process holds the archive's run lock (a file
    beside SQLite, an advisory lock in PostgreSQL), the scheduler's publish waits for it."""
    from hotpress._lock import run_lock

    with FeedServer() as feeds:
        for i in range(3):
            feeds.route(f"/f{i}.xml", Reply(body=rss(f"f{i}", 2), headers=FEED))
        urls = [feeds.url(f"/f{i}.xml") for i in range(3)]
        config = write_config(tmp_path, rabbit_vhost, urls, database=archive_db)
        database: Path | str = archive_db
        if not archive_db.startswith("postgresql"):
            database = tmp_path / archive_db
        posts = tmp_path / "blog/source/_posts"
        worker = Worker(config)
        scheduler = None
        try:
            wait_for_workers(rabbit_vhost, 1)
            with run_lock(database):
                scheduler = subprocess.Popen(
                    [sys.executable, "-m", "hotpress", "watch", "-c", str(config)],
                    cwd=tmp_path,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                sql = "SELECT COUNT(*) FROM sources WHERE last_success IS NOT NULL"
                wait_until(lambda: _count(archive_db, tmp_path, sql) == 3, 90, "the round")
                time.sleep(2)
                assert not posts.exists() or not list(posts.rglob("*.md"))
            wait_until(lambda: len(list(posts.rglob("*.md"))) == 6, 60, "the posts")
        finally:
            if scheduler is not None:
                scheduler.send_signal(signal.SIGTERM)
                scheduler.wait(60)
            worker.stop()


def _count(database: str, folder: Path, sql: str) -> int:
    try:
        return int(one(database, folder, sql))
    except Exception:  # the archive is not made yet
        return -1


def test_a_round_whose_report_fails_is_still_published_at_the_next_turn(
    tmp_path: Path, rabbit_vhost: str
) -> None:
    """The database goes away just as the scheduler reads a finished round's outcomes: the
    error is said, and the round, stored by the worker, is published at the next turn
    (before: the round had left the scheduler's list already, and was published only once a
    later round changed something)."""
    from hotpress._storage.base import Storage
    from hotpress._watch import Round, Stop
    from hotpress._workers.app import settings_app
    from hotpress._workers.scheduler import schedule
    from hotpress.config import load_settings
    from hotpress.exceptions import StorageError

    with FeedServer() as feeds:
        feeds.route("/f0.xml", Reply(body=rss("f0", 2), headers=FEED))
        config = write_config(tmp_path, rabbit_vhost, [feeds.url("/f0.xml")])
        settings = load_settings(config)
        posts = tmp_path / "blog/source/_posts"
        opened: list[Storage] = []

        class GoneOnce:
            """The first archive connection: its first read of the fetch log fails."""

            def __init__(self, storage: Storage) -> None:
                self._storage, self._failed = storage, False

            def __getattr__(self, name: str) -> Any:
                return getattr(self._storage, name)

            def fetch_log(self, *args: Any, **kwargs: Any) -> Any:
                if not self._failed:
                    self._failed = True
                    raise StorageError("cannot read the archive: server closed the connection")
                return self._storage.fetch_log(*args, **kwargs)

        def factory() -> Any:
            opened.append(open_storage(settings.database))
            return GoneOnce(opened[-1]) if len(opened) == 1 else opened[-1]

        rounds: list[Round] = []
        stop = Stop()
        deadline = time.monotonic() + 60

        def sleep(seconds: float) -> None:
            if list(posts.rglob("*.md")) or time.monotonic() > deadline:
                stop.set()
            time.sleep(min(seconds, 0.2))

        worker = Worker(config)
        try:
            wait_for_workers(rabbit_vhost, 1)
            schedule(
                settings,
                settings_app(settings),
                stop=stop,
                on_round=rounds.append,
                storage_factory=factory,
                sleep=sleep,
                max_sleep=0.5,
            )
        finally:
            worker.stop()
            for storage in opened:
                storage.close()
    assert [r.error for r in rounds] == ["cannot read the archive: server closed the connection"], (
        worker.text()
    )
    assert len(list(posts.rglob("*.md"))) == 2
