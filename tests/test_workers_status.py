"""``hotpress workers``: the fleet as an operator (or a monitoring probe) asks about it, against
the machine's real RabbitMQ and Redis and real ``hotpress worker`` processes.

Which workers answer, whether each uses this archive (compared by the archives' ids, not by
how each config names its database), the tasks waiting in the queue and the sources leased;
exit status 1 when no worker answers or one uses another archive.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from feedserver import FeedServer, Reply
from hotpress._storage import open_storage
from hotpress._workers.app import enqueue, settings_app
from hotpress.config import load_settings
from hotpress.core import utcnow
from workers_support import Worker, rss, wait_for_workers, wait_until, write_config

URLS = [f"http://127.0.0.1:9/f{i}.xml" for i in range(3)]  # never fetched here


def workers(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hotpress", "workers", "-c", str(config), *args],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )


def look(config: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """The table (and exit status) and the JSON of ``hotpress workers``."""
    report: dict[str, Any] = json.loads(workers(config, "--json").stdout)
    return workers(config), report


def test_a_worker_on_this_archive_is_listed_and_the_fleet_is_healthy(
    tmp_path: Path, rabbit_vhost: str
) -> None:
    config = write_config(tmp_path, rabbit_vhost, URLS)
    # The worker names the same file through another path: the same archive all the same.
    (tmp_path / "w").mkdir()
    worker = Worker(write_config(tmp_path / "w", rabbit_vhost, URLS, database="../archive.db"))
    try:
        wait_for_workers(rabbit_vhost, 1)
        done, report = look(config)
    finally:
        worker.stop()
    assert done.returncode == 0, done.stdout + done.stderr + worker.text()
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0].startswith("1 worker answers on amqp://guest:***@127.0.0.1:5672/")
    assert lines[0].endswith(f"archive {tmp_path / 'archive.db'}")
    row = next(line for line in lines if line.startswith("hotpress-"))
    assert row.split()[1:] == ["this", "archive", "0"]
    assert "tasks waiting in the queue: 0" in lines
    assert "sources leased now: 0" in lines
    assert report["ok"] is True and report["problem"] is None
    assert [(w["same_archive"], w["tasks_now"]) for w in report["workers"]] == [(True, 0)]
    # Named as its config names it; the ids tell it is this archive.
    assert report["workers"][0]["archive"] == str(tmp_path / "w/../archive.db")


def test_a_worker_on_another_archive_is_named_and_the_fleet_is_not_healthy(
    tmp_path: Path, rabbit_vhost: str
) -> None:
    """Each machine's own ``database: archive.db``: the mistake the ids catch."""
    config = write_config(tmp_path, rabbit_vhost, URLS)
    (tmp_path / "good").mkdir()
    (tmp_path / "bad").mkdir()
    good = Worker(write_config(tmp_path / "good", rabbit_vhost, URLS, database="../archive.db"))
    bad = Worker(write_config(tmp_path / "bad", rabbit_vhost, URLS))
    try:
        wait_for_workers(rabbit_vhost, 2)
        done, report = look(config)
    finally:
        good.stop()
        bad.stop()
    assert done.returncode == 1, done.stdout + done.stderr
    other = str(tmp_path / "bad/archive.db")
    assert "(another archive)" in done.stdout and other in done.stdout
    assert "1 of 2 workers do not use this archive" in done.stderr
    assert f"uses {other}" in done.stderr
    assert "must name the same `database:`" in done.stderr
    assert report["ok"] is False
    assert sorted((w["archive"], w["same_archive"]) for w in report["workers"]) == sorted(
        [(other, False), (str(tmp_path / "good/../archive.db"), True)]
    )


def test_with_no_worker_the_waiting_tasks_and_leases_are_shown_and_the_status_is_1(
    tmp_path: Path, broker: str
) -> None:
    """RabbitMQ and Redis each count the queue their own way."""
    config = write_config(tmp_path, broker, URLS)
    done = workers(config)
    assert done.returncode == 1
    assert "tasks waiting in the queue: 0" in done.stdout  # nothing was ever sent
    assert "no hotpress worker answers on" in done.stderr
    assert f"hotpress worker -c {config}" in done.stderr
    # A round sent with no worker up: 3 sources of one host, one task, waiting.
    assert _send_round(config) == 1
    done, report = look(config)
    assert done.returncode == 1
    assert "tasks waiting in the queue: 1" in done.stdout
    assert "sources leased now: 3 (the last lease ends in 1h)" in done.stdout
    assert (report["tasks_waiting"], report["sources_leased"], report["workers"]) == (1, 3, [])


def _send_round(config: Path, hours: float = 2) -> int:
    """Claim every source of ``config`` and send them as ``run`` does; how many tasks."""
    settings = load_settings(config)
    with open_storage(settings.database) as storage:
        storage.sync_sources(settings.sources)
        now = utcnow()
        keys = [s.key for s in settings.sources]
        claimed = storage.claim_sources(
            now, token="t", until=now + timedelta(hours=hours), limit=99, keys=keys
        )
        return enqueue(settings_app(settings), settings, claimed, "t")


def test_a_task_in_hand_is_counted_and_the_lease_shown_until_it_is_stored(
    tmp_path: Path, rabbit_vhost: str, feed_server: FeedServer
) -> None:
    feed_server.route("/slow.xml", Reply(body=rss("slow", 2), delay=3))
    config = write_config(tmp_path, rabbit_vhost, [feed_server.url("/slow.xml")])
    worker = Worker(config)
    try:
        wait_for_workers(rabbit_vhost, 1)
        assert _send_round(config) == 1
        seen: list[dict[str, object]] = []

        def busy() -> bool:
            seen.append(json.loads(workers(config, "--json").stdout))
            return seen[-1]["workers"][0]["tasks_now"] == 1  # type: ignore[index]

        wait_until(busy, 20, "the worker to say it runs the task")
        assert (seen[-1]["sources_leased"], seen[-1]["tasks_waiting"]) == (1, 0)
        wait_until(
            lambda: json.loads(workers(config, "--json").stdout)["sources_leased"] == 0,
            30,
            "the source to be stored",
        )
        done = json.loads(workers(config, "--json").stdout)
    finally:
        worker.stop()
    assert done["ok"] is True
    assert [w["tasks_now"] for w in done["workers"]] == [0]


def test_an_unreachable_or_refusing_broker_is_said_and_the_status_is_1(
    tmp_path: Path, rabbit_vhost: str
) -> None:
    config = write_config(tmp_path, "amqp://guest:guest@127.0.0.1:9//", URLS)
    done, report = look(config)
    assert done.returncode == 1
    assert "cannot reach the broker amqp://guest:***@127.0.0.1:9//" in done.stderr
    assert report["ok"] is False and "cannot reach the broker" in report["problem"]
    # A broker that refuses (a vhost it does not have): the JSON says so too.
    config = write_config(tmp_path, rabbit_vhost + "_not_there", URLS)
    done, report = look(config)
    assert done.returncode == 1
    assert "refused the connection: NOT_ALLOWED - vhost" in done.stderr
    assert report["ok"] is False and "refused the connection" in report["problem"]
