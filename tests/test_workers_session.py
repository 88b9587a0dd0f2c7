"""A worker thread keeps one event loop and one HTTP client from task to task
(``task.run_in_session``): the connection a task opened to a host serves the next task's
requests to it. Before, every task ran ``asyncio.run`` with a client of its own, so each
task connected again (TCP, and TLS on an https RSSHub) to every host of its batch.

Driven in this process through ``refresh_batch`` (what a worker's task runs), against a
real local HTTP/1.1 server that records each request's client port (one per connection).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from feedserver import FeedServer, Reply
from hotpress._storage import open_storage
from hotpress._storage.base import Storage
from hotpress._workers import task
from hotpress._workers.rounds import new_token
from hotpress.config import Settings, load_settings
from hotpress.core import utcnow
from workers_support import rss

FEED = {"Content-Type": "application/rss+xml"}


@pytest.fixture
def sessions() -> Iterator[None]:
    yield
    task.close_sessions()


def setup(tmp_path: Path, feeds: FeedServer, count: int) -> tuple[Settings, Storage, list[str]]:
    urls = []
    for n in range(count):
        feeds.route(f"/f{n}.xml", Reply(body=rss(f"f{n}", 2), headers=FEED))
        urls.append(feeds.url(f"/f{n}.xml"))
    sources = "".join(f"  - category: [测试, 源{n}]\n    url: {u}\n" for n, u in enumerate(urls))
    config = tmp_path / "hotpress.yml"
    config.write_text(f"database: archive.db\nsources:\n{sources}", encoding="utf-8")
    settings = load_settings(config)
    storage = open_storage(settings.database)
    storage.sync_sources(settings.sources)
    return settings, storage, [s.key for s in settings.sources]


def leased(storage: Storage, keys: list[str]) -> str:
    token, now = new_token(), utcnow()
    claimed = storage.claim_sources(
        now, token=token, until=now + timedelta(minutes=10), limit=len(keys), keys=keys
    )
    assert claimed == keys
    return token


def plain(tmp_path: Path, feeds: FeedServer) -> tuple[Settings, str]:
    """Settings (one source) and the URL of a plain page on ``feeds``."""
    feeds.route("/a", Reply(body=b"a"))
    settings, storage, _ = setup(tmp_path, feeds, 1)
    storage.close()
    return settings, feeds.url("/a")


def peers(feeds: FeedServer, path: str) -> list[int]:
    return [r.peer[1] for r in feeds.requests_to(path)]


def test_the_next_task_of_a_thread_reuses_the_connection_the_last_one_opened(
    tmp_path: Path, feed_server: FeedServer, sessions: None
) -> None:
    settings, storage, keys = setup(tmp_path, feed_server, 3)
    try:
        token = leased(storage, keys)
        for key in keys:  # three tasks, one after the other, on this thread
            counts = task.refresh_batch(settings, storage, [key], token)
            assert counts["stored"] == 1, counts
        assert storage.leased(token) == []
    finally:
        storage.close()
    ports = {p for n in range(3) for p in peers(feed_server, f"/f{n}.xml")}
    assert len(ports) == 1, ports  # one connection; before: one per task


def test_a_task_that_fails_leaves_its_session_closed_and_the_next_starts_a_new_one(
    tmp_path: Path, feed_server: FeedServer, sessions: None
) -> None:
    settings, url = plain(tmp_path, feed_server)
    seen: list[httpx.AsyncClient] = []

    async def get(client: httpx.AsyncClient) -> int:
        seen.append(client)
        return (await client.get(url)).status_code

    async def fails(client: httpx.AsyncClient) -> None:
        seen.append(client)
        await client.get(url)
        raise RuntimeError("a bug in the task")

    assert task.run_in_session(settings, get) == 200
    with pytest.raises(RuntimeError, match="a bug in the task"):
        task.run_in_session(settings, fails)
    assert task.run_in_session(settings, get) == 200
    assert seen[0] is seen[1] and seen[1].is_closed
    assert seen[2] is not seen[1] and not seen[2].is_closed
    first, second, third = peers(feed_server, "/a")
    assert first == second != third
    task.close_sessions()
    assert seen[2].is_closed


def test_each_thread_has_a_session_of_its_own(
    tmp_path: Path, feed_server: FeedServer, sessions: None
) -> None:
    """A threads pool runs tasks side by side: a loop is never shared between threads."""
    settings, url = plain(tmp_path, feed_server)
    clients: dict[str, httpx.AsyncClient] = {}

    async def get(client: httpx.AsyncClient) -> None:
        clients.setdefault(threading.current_thread().name, client)
        await client.get(url)

    threads = [
        threading.Thread(target=task.run_in_session, args=(settings, get), name=f"t{n}")
        for n in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len({id(c) for c in clients.values()}) == 2, clients
    task.close_sessions()
    assert all(c.is_closed for c in clients.values())


def test_a_thread_given_other_fetch_settings_gets_a_client_made_for_them(
    tmp_path: Path, feed_server: FeedServer, sessions: None
) -> None:
    """(A worker has one config; a process calling with two must not reuse the first's
    client, its timeouts and headers.)"""
    settings, url = plain(tmp_path, feed_server)
    config = tmp_path / "other.yml"
    config.write_text(
        settings.path.read_text(encoding="utf-8") + "fetch:\n  timeout: 11\n", encoding="utf-8"
    )
    other = load_settings(config)
    seen: list[httpx.AsyncClient] = []

    async def get(client: httpx.AsyncClient) -> None:
        seen.append(client)
        await client.get(url)

    task.run_in_session(settings, get)
    task.run_in_session(settings, get)
    task.run_in_session(other, get)
    assert seen[0] is seen[1] is not seen[2]
    assert seen[1].is_closed and not seen[2].is_closed
    assert seen[2].timeout.read == 11
