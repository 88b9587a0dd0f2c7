"""What follows a round on the workers (issue 16): the images of new bodies (``images:
local``) and the pushes (``notify:``) are done once a round, by the process that sent it and
publishes (``run``, or the scheduler), not by each task on whichever machine ran it.

Before, each worker task ran both over the whole archive: the images were kept beside the
worker's config (another machine's disk: the published posts named files the publisher did
not have) and every task sent its own push message.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from feedserver import FeedServer, Reply
from imagehost import picture
from pushhost import Endpoint
from workers_support import Worker, wait_for_workers, write_config

COLOURS = ("teal", "orange")


def rss(name: str, image: str) -> bytes:
    body = f'&lt;p&gt;{name} 正文&lt;/p&gt;&lt;img src="{image}"&gt;'
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>{name} 新闻</title><guid>{name}</guid>"
        f"<link>https://example.com/{name}</link><description>{body}</description></item>"
        "</channel></rss>"
    ).encode()


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        for n, colour in enumerate(COLOURS):
            server.route(
                f"/pic/{n}.jpg",
                Reply(body=picture("JPEG", colour=colour), headers={"Content-Type": "image/jpeg"}),
            )
            server.route(f"/f{n}.xml", Reply(body=rss(f"f{n}", server.url(f"/pic/{n}.jpg"))))
        yield server


@pytest.fixture
def pushes() -> Iterator[Endpoint]:
    endpoint = Endpoint()
    yield endpoint
    endpoint.close()


def _configs(
    tmp_path: Path, broker: str, database: str, feeds: FeedServer, pushes: Endpoint
) -> Path:
    """This machine's config and a worker's on "another machine" (``worker/``; the archive
    on a PostgreSQL server, so each keeps images beside its own config, as on two
    machines): two sources on two hosts, so two tasks; images kept; one push target."""
    # 127.0.0.1 and localhost: two hosts, two tasks (a task takes one host's sources).
    urls = [feeds.url("/f0.xml"), feeds.url("/f1.xml").replace("127.0.0.1", "localhost")]
    extra = f"images: local\nnotify:\n  - url: json://127.0.0.1:{pushes.port}/push\n"
    (tmp_path / "worker").mkdir()
    for config in (
        write_config(tmp_path, broker, urls, database=database),
        write_config(tmp_path / "worker", broker, urls, database=database),
    ):
        config.write_text(config.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return tmp_path / "hotpress.yml"


def _kept(folder: Path) -> set[str]:
    return {p.name for p in (folder / "hotpress-media").rglob("*.jpg") if "thumbs" not in p.parts}


def _expected() -> set[str]:
    return {f"{hashlib.sha256(picture('JPEG', colour=c)).hexdigest()}.jpg" for c in COLOURS}


def test_a_run_on_the_workers_keeps_the_images_and_pushes_once_here(
    tmp_path: Path, rabbit_vhost: str, pg_url: str, feeds: FeedServer, pushes: Endpoint
) -> None:
    config = _configs(tmp_path, rabbit_vhost, pg_url, feeds, pushes)
    worker = Worker(tmp_path / "worker/hotpress.yml", concurrency=2, pool="threads")
    try:
        wait_for_workers(rabbit_vhost, 1)
        done = subprocess.run(
            [sys.executable, "-m", "hotpress", "run", "-c", str(config)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        worker.stop()
    assert done.returncode == 0, done.stdout + done.stderr + worker.text()
    assert "sources: 2 ok, 0 failed; items: 2 new" in done.stdout
    assert "images: 2 downloaded, 0 failed" in done.stdout
    assert "pushes: 2 items sent" in done.stdout
    assert _kept(tmp_path) == _expected()
    assert not (tmp_path / "worker/hotpress-media").exists()
    # Both posts name the kept files, which Hexo's folder holds.
    posts = sorted((tmp_path / "blog/source/_posts").rglob("*.md"))
    assert len(posts) == 2
    for name in _expected():
        assert sum(name in p.read_text(encoding="utf-8") for p in posts) == 1
        assert (tmp_path / f"blog/source/media/{name[:2]}/{name}").is_file()
    # One message for the round's two new items, not one per task.
    assert len(pushes.bodies) == 1
    assert "f0 新闻" in pushes.bodies[0]["message"] and "f1 新闻" in pushes.bodies[0]["message"]
    assert len([r for r in feeds.requests if r.path.startswith("/pic/")]) == 2


def test_the_scheduler_keeps_the_images_and_pushes_once_a_round(
    tmp_path: Path,
    rabbit_vhost: str,
    pg_url: str,
    feeds: FeedServer,
    pushes: Endpoint,
) -> None:
    from hotpress._watch import Round, Stop
    from hotpress._workers.app import settings_app
    from hotpress._workers.scheduler import schedule
    from hotpress.config import load_settings

    settings = load_settings(_configs(tmp_path, rabbit_vhost, pg_url, feeds, pushes))
    worker = Worker(tmp_path / "worker/hotpress.yml", concurrency=2, pool="threads")
    rounds: list[Round] = []
    stop = Stop()

    def ended(done: Round) -> None:
        rounds.append(done)
        stop.set()

    try:
        wait_for_workers(rabbit_vhost, 1)
        schedule(settings, settings_app(settings), stop=stop, on_round=ended, lease=timedelta(60))
    finally:
        worker.stop()
    (done,) = rounds
    assert done.error is None and done.fetch is not None, worker.text()
    assert (done.fetch.new, done.fetch.media.downloaded) == (2, 2)
    assert done.fetch.notify is not None and done.fetch.notify.sent == 2
    assert _kept(tmp_path) == _expected()
    assert not (tmp_path / "worker/hotpress-media").exists()
    assert len(pushes.bodies) == 1


def test_an_archive_failing_during_the_images_leaves_the_round_to_publish(
    tmp_path: Path, feeds: FeedServer, pushes: Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    """The round is stored already: an archive error in the images pass is logged and the
    round's report comes back as it was, so the sender goes on to publish it (before the
    error reached the scheduler's loop, which dropped the round unpublished)."""
    from hotpress import core
    from hotpress._after import after_round
    from hotpress._storage import open_storage
    from hotpress.config import load_settings
    from hotpress.exceptions import StorageError

    config = write_config(tmp_path, "amqp://127.0.0.1//", [feeds.url("/f0.xml")])
    config.write_text(config.read_text(encoding="utf-8") + "images: local\n", encoding="utf-8")
    settings = load_settings(config)

    class Failing:
        def __init__(self, storage: Any) -> None:
            self._storage = storage

        def __getattr__(self, name: str) -> Any:
            return getattr(self._storage, name)

        def media_work(self, *args: Any, **kwargs: Any) -> Any:
            raise StorageError("cannot read archive.db: disk I/O error")

    report = core.FetchReport(())
    with open_storage(settings.database) as storage, caplog.at_level(logging.ERROR, "hotpress"):
        after = after_round(
            settings, Failing(storage), report, since=datetime.now(UTC), clock=core.utcnow
        )
    assert after is report
    assert [r.getMessage() for r in caplog.records] == [
        "images and pushes of this round: cannot read archive.db: disk I/O error"
        " (taken up again next round)"
    ]
