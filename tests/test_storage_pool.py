"""The archive a worker's tasks borrow (``storage_pool``): a psycopg_pool on PostgreSQL, a
connection per thread on SQLite; against the machine's PostgreSQL server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from hotpress._storage import storage_pool
from hotpress._storage.pg_pool import PostgreSQLPool
from hotpress._storage.postgresql import PostgreSQLStorage
from hotpress.exceptions import StorageError
from hotpress.types import SourceSpec
from workers_support import Proxy, wait_until

SPECS = [
    SourceSpec(
        key=f"/s{i}", category=("A",), url=f"http://127.0.0.1:1/{i}", author="A", timezone="UTC"
    )
    for i in range(8)
]


def backend_pid(storage: Any) -> int:
    assert isinstance(storage, PostgreSQLStorage)
    row = storage._pg.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def pg_pool(pg_url: str) -> Iterator[PostgreSQLPool]:
    pool = storage_pool(pg_url, size=2)
    assert isinstance(pool, PostgreSQLPool)
    try:
        yield pool
    finally:
        pool.close()


def test_threads_share_at_most_size_connections_and_each_has_its_own_while_it_holds_it(
    pg_pool: PostgreSQLPool,
) -> None:
    with pg_pool.storage() as storage:
        storage.sync_sources(SPECS)
    holders: dict[int, int] = {}
    lock = threading.Lock()
    most = 0
    errors: list[BaseException] = []

    def task(i: int) -> None:
        nonlocal most
        try:
            with pg_pool.storage() as storage:
                pid = backend_pid(storage)
                with lock:
                    assert pid not in holders.values(), "one connection lent twice at once"
                    holders[i] = pid
                    most = max(most, len(holders))
                storage.sync_sources([SPECS[i]])
                time.sleep(0.05)
                with lock:
                    del holders[i]
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=task, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert most == 2
    stats = pg_pool.stats()
    assert stats["pool_max"] == 2
    assert stats["connections_num"] <= 2


def test_a_connection_the_server_ended_while_idle_is_replaced_before_it_is_lent(
    pg_pool: PostgreSQLPool, pg_url: str
) -> None:
    with pg_pool.storage() as storage:
        storage.sync_sources(SPECS[:1])
        first = backend_pid(storage)
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (first,))
    wait_until(lambda: _gone(pg_url, first), 10, "the backend to end")
    with pg_pool.storage() as storage:
        # No error on the first query: the pool checked the connection and made a new one.
        assert storage.validators(SPECS[0].key) is not None
        assert backend_pid(storage) != first


def _gone(url: str, pid: int) -> bool:
    with psycopg.connect(url, autocommit=True) as admin:
        return (
            admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
            is None
        )


def test_a_server_gone_is_a_storage_error_naming_the_archive_and_it_recovers(
    pg_url: str,
) -> None:
    proxy = Proxy(("127.0.0.1", 5432))
    through = pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    pool = PostgreSQLPool(through, size=1, timeout=1)
    try:
        with pool.storage() as storage:
            storage.sync_sources(SPECS[:1])
        proxy.cut()
        started = time.monotonic()
        with pytest.raises(StorageError) as caught, pool.storage():
            pass
        assert time.monotonic() - started < 10
        message = str(caught.value)
        assert message.startswith(f"archive {pool.name}: no connection within 1 s")
        assert pool.name.startswith("postgresql://postgres@127.0.0.1:")

        proxy.restore()

        def back() -> bool:
            try:
                with pool.storage() as storage:
                    return storage.validators(SPECS[0].key) is not None
            except StorageError:
                return False

        wait_until(back, 60, "the pool to connect again")
    finally:
        pool.close()
        proxy.close()


def test_a_connection_lost_in_a_task_is_not_lent_again(
    pg_pool: PostgreSQLPool, pg_url: str
) -> None:
    with pytest.raises(StorageError), pg_pool.storage() as storage:
        storage.sync_sources(SPECS[:1])
        lost = backend_pid(storage)
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (lost,))
        wait_until(lambda: _gone(pg_url, lost), 10, "the backend to end")
        storage.validators(SPECS[0].key)
    with pg_pool.storage() as storage:
        assert backend_pid(storage) != lost
        assert storage.validators(SPECS[0].key) is not None


def test_a_wrong_database_fails_when_the_pool_is_made_with_the_archives_message(
    pg_url: str,
) -> None:
    missing = pg_url.rsplit("/", 1)[0] + "/hotpress_test_no_such_database"
    with pytest.raises(
        StorageError, match=r"cannot open archive .*no_such_database.*does not exist"
    ):
        storage_pool(missing, size=2)


def test_sqlite_threads_keep_their_connection_and_a_failed_one_is_opened_again(
    tmp_path: Path,
) -> None:
    pool = storage_pool(tmp_path / "archive.db", size=2)
    try:
        with pool.storage() as first:
            first.sync_sources(SPECS[:1])
        with pool.storage() as again:
            assert again is first
        seen: list[object] = []

        def other() -> None:
            with pool.storage() as storage:
                seen.append(storage)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(10)
        assert seen and seen[0] is not first
        with pytest.raises(StorageError), pool.storage():
            raise StorageError("the file went away")
        with pool.storage() as after:
            assert after is not first
            assert after.validators(SPECS[0].key) is not None
    finally:
        pool.close()
