"""The real services and processes of the distributed-refresh tests (issue 16).

A RabbitMQ vhost of the test's own (``rabbitmqctl add_vhost``, deleted afterwards), a Redis
database number found empty and flushed afterwards, real ``hotpress worker`` processes (each
in its own session, so ``kill -9`` takes the whole worker), and a small TCP proxy to cut a
connection between a worker and the broker (a broker restart, as the worker sees it, without
restarting the machine's RabbitMQ that other users share).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import skip_or_fail

RABBIT = ("127.0.0.1", 5672)
REDIS = ("127.0.0.1", 6379)


def reachable(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


def unique(prefix: str = "hotpress_test") -> str:
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture(name="rabbit_vhost")
def fixture_rabbit_vhost() -> Iterator[str]:
    """A vhost of this test's own; yields the broker URL."""
    if not reachable(RABBIT) or shutil.which("rabbitmqctl") is None:
        skip_or_fail("RabbitMQ on 127.0.0.1:5672 (with rabbitmqctl) is not available")
    vhost = unique()
    try:
        _rabbitmqctl("add_vhost", vhost)
        _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        skip_or_fail(f"cannot make a RabbitMQ vhost: {exc}")
    try:
        yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            _rabbitmqctl("delete_vhost", vhost)


@pytest.fixture(name="redis_db")
def fixture_redis_db() -> Iterator[str]:
    """An empty Redis database number, flushed afterwards; yields the broker URL."""
    if not reachable(REDIS):
        skip_or_fail("Redis on 127.0.0.1:6379 is not available")
    import redis

    for number in range(15, 0, -1):
        client = redis.Redis(host=REDIS[0], port=REDIS[1], db=number)
        # Taken by writing a marker only if the database is empty (another test's is not).
        if client.dbsize() == 0 and client.set("hotpress-test-owner", str(os.getpid()), nx=True):
            try:
                yield f"redis://127.0.0.1:6379/{number}"
            finally:
                client.flushdb()
                client.close()
            return
        client.close()
    skip_or_fail("no empty Redis database number left")


REDELIVERY = 8
"""The Redis tests' ``broker_visibility_timeout``: a killed worker's task is handed out again
after this many seconds (not 6 minutes), and the tasks of these tests all end well before."""


@pytest.fixture(name="broker", params=["amqp", "redis"])
def fixture_broker(request: pytest.FixtureRequest) -> str:
    """A broker URL of the test's own: a RabbitMQ vhost, or an empty Redis database number."""
    url: str = request.getfixturevalue("rabbit_vhost" if request.param == "amqp" else "redis_db")
    return url


CONFIG = """\
timezone: Asia/Shanghai
database: {database}
broker: {broker}
broker_visibility_timeout: {visibility}
output:
  hexo: blog/source/_posts
fetch:
  timeout: {timeout}
  retries: 0
  per_host: 20
  concurrency: 20
  min_host_interval: 0
sources:
{sources}
"""


def write_config(
    folder: Path,
    broker: str,
    urls: list[str],
    *,
    timeout: float = 10,
    interval: int = 60,
    database: str = "archive.db",
) -> Path:
    sources = "".join(
        f"  - category: [测试, 源{i}]\n    url: {url}\n    interval: {interval}\n"
        for i, url in enumerate(urls)
    )
    path = folder / "hotpress.yml"
    path.write_text(
        CONFIG.format(
            broker=broker,
            timeout=timeout,
            sources=sources,
            database=database,
            visibility=REDELIVERY,
        ),
        encoding="utf-8",
    )
    return path


def rss(name: str, count: int) -> bytes:
    items = "".join(
        f"<item><title>{name} 第{n}条</title><link>https://example.com/{name}/{n}</link>"
        f"<guid>{name}-{n}</guid><description>正文 {n}</description>"
        f"<pubDate>Mon, 15 Jan 2024 0{n % 10}:00:00 GMT</pubDate></item>"
        for n in range(count)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{name}</title><link>https://example.com/{name}</link>{items}</channel></rss>"
    ).encode()


class Worker:
    """A real ``hotpress worker`` process of its own session; on the pool ``hotpress worker``
    runs by default (prefork: a main process and ``concurrency`` children, all killed
    together)."""

    def __init__(
        self,
        config: Path,
        *,
        concurrency: int = 2,
        pool: str = "prefork",
        options: tuple[str, ...] = (),
    ) -> None:
        self.log = config.parent / f"worker-{uuid.uuid4().hex[:6]}.log"
        self._out = self.log.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hotpress",
                "worker",
                "-c",
                str(config),
                "--pool",
                pool,
                "--concurrency",
                str(concurrency),
                *options,
            ],
            cwd=config.parent,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        """``kill -9`` the worker and everything it started."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._out.close()

    def text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(name="archive_db", params=["sqlite", "postgresql"])
def fixture_archive_db(request: pytest.FixtureRequest) -> str:
    """The config's ``database:``: an SQLite file beside it, or a new PostgreSQL database."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("pg_url")
        return url
    return "archive.db"


def query(database: str, folder: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (``?`` placeholders) from the test's archive, read directly."""
    if database.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(database, autocommit=True) as conn:
            return list(conn.execute(sql.replace("?", "%s").encode(), params).fetchall())
    with contextlib.closing(sqlite3.connect(folder / database)) as db:
        return list(db.execute(sql, params).fetchall())


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_for_workers(broker: str, count: int, timeout: float = 60) -> None:
    from hotpress._workers.app import make_app
    from hotpress._workers.broker import ping

    app = make_app(broker)
    wait_until(lambda: len(ping(app, 1.0)) >= count, timeout, f"{count} workers to answer")


class Proxy:
    """A TCP proxy on 127.0.0.1: ``cut()`` drops every connection (and refuses new ones) as a
    restarting server would, ``restore()`` accepts again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener: socket.socket | None = None
        self.port = 0
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._open()

    def _open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        if self._listener is not None:
            # shutdown() wakes the thread blocked in accept(), so the port is free again.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def restore(self) -> None:
        self._open()

    def close(self) -> None:
        self.cut()
