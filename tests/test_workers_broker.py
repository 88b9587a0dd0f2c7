"""A broker that refuses hotpress (a wrong password, a vhost or Redis database that does not
exist), one that is not there yet and one that restarts, as ``run``, ``watch`` and ``worker``
meet them, against the machine's real RabbitMQ and Redis; and a worker's JSON log lines.

Before: a refusal came out of ``run`` and ``watch`` as py-amqp's traceback
(``AccessRefused``, ``NotAllowed``), out of ``worker`` as Celery's "Unrecoverable error" and
its traceback; a refused Redis login was tried again for 30 s, then called unreachable.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import skip_or_fail
from feedserver import FeedServer, Reply
from workers_support import (
    RABBIT,
    REDIS,
    Proxy,
    Worker,
    reachable,
    rss,
    unique,
    wait_for_workers,
    wait_until,
    write_config,
)

PASSWORD = "the user and password in `broker:` in {config}"
VHOST = "the vhost at the end of `broker:` in {config} (`//` is the default vhost `/`)"
NUMBER = "the database number at the end of `broker:` in {config}"

REFUSALS = {
    # name: (broker URL, what the broker says, what to check)
    "amqp-password": (
        "amqp://guest:not-the-password@127.0.0.1:5672//",
        "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN",
        PASSWORD,
    ),
    "amqp-vhost": (
        "amqp://guest:guest@127.0.0.1:5672/{vhost}",
        "NOT_ALLOWED - vhost {vhost} not found",
        VHOST,
    ),
    "redis-password": (
        "redis://nobody:not-the-password@127.0.0.1:6379/0",
        "invalid username-password pair or user is disabled",
        PASSWORD,
    ),
    "redis-number": ("redis://127.0.0.1:6379/99999", "DB index is out of range", NUMBER),
}


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.route("/f0.xml", Reply(body=rss("f0", 2), headers={"Content-Type": "text/xml"}))
        yield server


def _hotpress(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hotpress", *args, "-c", str(config)],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _refused(case: str, tmp_path: Path, feeds: FeedServer) -> tuple[Path, str]:
    """The config of ``case`` and the error hotpress should give for it."""
    url, says, check = REFUSALS[case]
    if not reachable(RABBIT if url.startswith("amqp") else REDIS):
        skip_or_fail(f"the broker of {case} is not running on this machine")
    vhost = unique()  # a vhost nobody made
    url = url.format(vhost=vhost)
    config = write_config(tmp_path, url, [feeds.url("/f0.xml")], timeout=5)
    shown = url.replace(":not-the-password@", ":***@").replace("guest:guest@", "guest:***@")
    expected = (
        f"ERROR the broker {shown} refused the connection: {says.format(vhost=vhost)};"
        f" check {check.format(config=config)}"
    )
    return config, expected


@pytest.mark.parametrize("case", list(REFUSALS))
def test_run_against_a_broker_that_refuses_says_what_to_fix_at_once(
    tmp_path: Path, feeds: FeedServer, case: str
) -> None:
    config, expected = _refused(case, tmp_path, feeds)
    done = _hotpress(config, "run")
    assert done.returncode == 1, done.stdout + done.stderr
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert "tried for" not in done.stderr  # not waited on as if it were down
    with sqlite3.connect(config.parent / "archive.db") as db:
        assert db.execute(
            "SELECT COUNT(*) FROM sources WHERE lease_token IS NOT NULL"
        ).fetchone() == (0,)
    assert feeds.requests_to("/f0.xml") == []


@pytest.mark.parametrize("case", ["amqp-password", "amqp-vhost", "redis-number"])
@pytest.mark.parametrize("command", ["worker", "watch"])
def test_a_worker_or_scheduler_on_a_broker_that_refuses_stops_saying_what_to_fix(
    tmp_path: Path, feeds: FeedServer, case: str, command: str
) -> None:
    config, expected = _refused(case, tmp_path, feeds)
    if command == "worker":  # a worker's lines have Celery's form, from its first one
        expected = expected.replace("ERROR the broker", "ERROR/MainProcess] the broker")
    done = _hotpress(config, command)
    assert done.returncode == 1, done.stdout + done.stderr
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert "Unrecoverable error" not in done.stderr
    assert feeds.requests_to("/f0.xml") == []


def test_a_worker_started_before_its_broker_says_so_and_serves_once_it_is_there(
    tmp_path: Path, feeds: FeedServer, rabbit_vhost: str
) -> None:
    """A broker not reachable yet (started after the worker, restarting) may come: the
    worker says it waits, and answers once the broker is there."""
    proxy = Proxy(RABBIT)
    proxy.cut()  # nothing listens on the proxy's port yet
    vhost = rabbit_vhost.rsplit("/", 1)[1]
    broker = f"amqp://guest:guest@127.0.0.1:{proxy.port}/{vhost}"
    worker = Worker(write_config(tmp_path, broker, [feeds.url("/f0.xml")]), concurrency=1)
    try:
        shown = broker.replace("guest:guest@", "guest:***@")
        wait_until(lambda: "cannot be reached yet" in worker.text(), 30, "the worker's warning")
        assert (
            f"WARNING/MainProcess] the broker {shown} cannot be reached yet"
            " ([Errno 111] Connection refused);"
            " waiting for it"
        ) in worker.text()
        time.sleep(1)
        assert worker.proc.poll() is None, worker.text()
        proxy.restore()
        wait_for_workers(broker, 1, timeout=60)
    finally:
        worker.stop()
        proxy.close()
    assert "Traceback" not in worker.text()


def test_a_worker_logging_text_gives_its_own_lines_the_time_as_celerys_have_it(
    tmp_path: Path, feeds: FeedServer, rabbit_vhost: str
) -> None:
    """In text, hotpress's lines in a worker's log have Celery's form, ``[time: LEVEL/process]``,
    in the main process and in a prefork child (before: ``INFO refreshed …``, no time)."""
    config = write_config(tmp_path, rabbit_vhost, [feeds.url("/f0.xml")])
    worker = Worker(config, concurrency=1)
    try:
        wait_for_workers(rabbit_vhost, 1)
        done = _hotpress(config, "run")
        assert done.returncode == 0, done.stdout + done.stderr + worker.text()
        wait_until(lambda: "refreshed 1 sources" in worker.text(), 30, "the task's line")
    finally:
        worker.stop()
    stamp = r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}: INFO/"
    text = worker.text()
    shown = rabbit_vhost.replace(":guest@", ":***@")
    assert re.search(
        stamp + rf"MainProcess\] worker for 1 sources on {re.escape(shown)}$", text, re.M
    )
    assert re.search(
        stamp + r"ForkPoolWorker-\d+\] refreshed 1 sources \(0 failed, 2 new items, 0 updated\)$",
        text,
        re.M,
    ), text
    assert not re.search(r"^INFO ", text, re.M), text


def test_a_worker_logging_json_writes_nothing_else(
    tmp_path: Path, feeds: FeedServer, rabbit_vhost: str
) -> None:
    """``--log-format json``: every line the worker writes is one JSON object, Celery's own
    records included (before: Celery's banner on standard output, its records in its own
    text format, a bare SecurityWarning when run as root, "worker: Warm shutdown" printed)."""
    config = write_config(tmp_path, rabbit_vhost, [feeds.url("/f0.xml")])
    worker = Worker(config, concurrency=1, options=("--log-format", "json"))
    try:
        wait_for_workers(rabbit_vhost, 1)
        done = _hotpress(config, "run")
        assert done.returncode == 0, done.stdout + done.stderr + worker.text()
    finally:
        worker.stop()
    lines = worker.text().splitlines()
    records = [json.loads(line) for line in lines]  # each one JSON, or this fails
    said = [(r["level"], r["message"]) for r in records]
    assert ("info", f"worker for 1 sources on {rabbit_vhost.replace(':guest@', ':***@')}") in said
    assert any(m.startswith("Task hotpress.refresh[") and "succeeded" in m for _, m in said)
    assert ("info", "refreshed 1 sources (0 failed, 2 new items, 0 updated)") in said
    assert said[-1] == ("info", "worker: warm shutdown")


def test_a_scheduler_whose_broker_restarts_sends_again_once_it_is_back(
    tmp_path: Path, feeds: FeedServer, rabbit_vhost: str
) -> None:
    """The scheduler's own broker connection cut between two rounds (a RabbitMQ restart, as
    the scheduler sees it): the send in between fails, is said, and lets its leases go; the
    next send, once the broker is back, goes through on a new connection."""
    from hotpress._watch import Round, Stop
    from hotpress._workers.app import settings_app
    from hotpress._workers.scheduler import schedule
    from hotpress.config import load_settings

    proxy = Proxy(RABBIT)
    vhost = rabbit_vhost.rsplit("/", 1)[1]
    through = f"amqp://guest:guest@127.0.0.1:{proxy.port}/{vhost}"
    config = write_config(tmp_path, through, [feeds.url("/f0.xml")])
    worker_config = tmp_path / "worker"
    worker_config.mkdir()
    # The worker on the broker itself: only the scheduler's connection is cut.
    worker = Worker(
        write_config(worker_config, rabbit_vhost, [feeds.url("/f0.xml")], database="../archive.db")
    )
    settings = load_settings(config)
    rounds: list[Round] = []
    stop = Stop()

    def ended(done: Round) -> None:
        rounds.append(done)
        if len(rounds) == 1:  # the first round is over: the broker goes, the source is due
            proxy.cut()
            with sqlite3.connect(tmp_path / "archive.db") as db:
                db.execute("UPDATE sources SET next_due = 0")
        elif len(rounds) == 2:  # the send that failed: the broker is back
            proxy.restore()
        else:
            stop.set()

    try:
        wait_for_workers(rabbit_vhost, 1)
        schedule(settings, settings_app(settings), stop=stop, on_round=ended, max_sleep=1)
    finally:
        worker.stop()
        proxy.close()
    first, failed, second = rounds
    assert first.error is None and first.fetch is not None and first.fetch.new == 2, worker.text()
    assert failed.error is not None and "cannot send to the broker" in failed.error
    assert second.error is None and second.fetch is not None, worker.text()
    assert [o.error for o in second.fetch.outcomes] == [None]
    assert len(feeds.requests_to("/f0.xml")) == 2
    with sqlite3.connect(tmp_path / "archive.db") as db:
        assert db.execute(
            "SELECT COUNT(*) FROM sources WHERE lease_token IS NOT NULL"
        ).fetchone() == (0,)
