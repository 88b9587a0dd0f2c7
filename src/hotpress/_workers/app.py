"""The Celery side of distributed refresh: the app's settings, the one task, sending work.

Celery is an optional extra (``hotpress[workers]``): nothing else imports this module unless
``broker:`` is set. The app is made per process from the config (no module-level app): the
worker registers the task with its settings; a scheduler only sends by the task's name.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import warnings
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from hotpress._workers.broker import broker_errors, redact, refusal
from hotpress.config import Settings
from hotpress.exceptions import StorageError, WorkerError

try:
    from celery import Celery
except ImportError:  # pragma: no cover - the extra is installed wherever tests run
    Celery = None

log = logging.getLogger("hotpress")

TASK = "hotpress.refresh"
LEASES = "hotpress_leases"
"""The workers' remote-control command: which of a round's leases their archive holds."""
QUEUE = "hotpress"
BATCH = 10
"""At most this many sources of one host in one task."""
SOFT_LIMIT = 270
HARD_LIMIT = 300
"""Seconds a task may run (soft: it is told; hard: its process is replaced). Well under
RabbitMQ's consumer timeout (30 min), so the broker never takes a running task back. Celery
enforces them on the prefork pool; on threads the fetch stage's deadlines bound a task (each
source at most ``total_timeout``, :data:`BATCH` sources a task)."""
LEASE = timedelta(seconds=2 * HARD_LIMIT)
"""A claim's lease: a task queued and run within it is the source's; after it, a scheduler
may claim the source again and the old task's result is dropped."""
VISIBILITY = 360
"""Redis: seconds before a task no worker acknowledged is handed out again (a worker killed
mid-task); the config's ``broker_visibility_timeout``. Over :data:`HARD_LIMIT`, so a task
still running is not handed out twice."""
REDIS_TIMEOUT = 30
"""Seconds a Redis command or connection may take before it fails (and is retried)."""
RETRY = 2
MAX_RETRIES = 30
"""A task whose archive is unavailable is tried again every :data:`RETRY` seconds, this
often at most (a minute: a database restart), then left to its lease's end."""


def transport_options(broker: str, visibility_timeout: int = VISIBILITY) -> dict[str, Any]:
    """Kombu's transport options for ``broker``: a Redis broker's redelivery.

    Redis has no consumer connection whose end gives a task back (RabbitMQ does, at once): a
    delivered task waits in an "unacked" set, and a sweep of the workers' hands it out again
    once it is older than ``visibility_timeout``. Kombu sweeps every 10 s but scans only every
    10th time (~100 s); every sweep scans here, at a tenth of the timeout (1-10 s), so a
    killed worker's task comes back within about 1.1 × the timeout.

    Socket timeouts: a Redis that vanishes without closing the connection (a failover, a
    dropped NAT entry) would otherwise hang a send or a ping for good (kombu's default);
    a consumer's blocking read is kombu's own, bounded by its health check."""
    if urlsplit(broker).scheme.lower() not in ("redis", "rediss"):
        return {}
    return {
        "visibility_timeout": visibility_timeout,
        "unacked_restore_interval": max(1, min(10, visibility_timeout // 10)),
        "unacked_restore_throttle": 1,
        "socket_connect_timeout": REDIS_TIMEOUT,
        "socket_timeout": REDIS_TIMEOUT,
    }


def make_app(
    broker: str, *, cancel_on_connection_loss: bool = True, visibility_timeout: int = VISIBILITY
) -> Any:
    """A Celery app on ``broker`` with the settings every hotpress process shares.

    ``cancel_on_connection_loss``: a task in hand when the broker connection drops is stopped
    (its message goes back to the queue anyway). Only a prefork pool can stop one; threads
    finish theirs, and the lease decides whose result is stored. ``visibility_timeout``: a
    Redis broker's redelivery (:func:`transport_options`)."""
    if Celery is None:
        raise WorkerError(
            "`broker:` needs Celery: install hotpress with the workers extra"
            " (pip install 'hotpress[workers]')"
        )
    app = Celery("hotpress", broker=broker, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=SOFT_LIMIT,
        task_time_limit=HARD_LIMIT,
        task_ignore_result=True,
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        worker_cancel_long_running_tasks_on_connection_loss=cancel_on_connection_loss,
        worker_hijack_root_logger=False,
        broker_transport_options=transport_options(broker, visibility_timeout),
    )
    return app


def settings_app(settings: Settings, *, cancel_on_connection_loss: bool = True) -> Any:
    """:func:`make_app` on the config's broker and its options."""
    assert settings.broker is not None
    return make_app(
        settings.broker,
        cancel_on_connection_loss=cancel_on_connection_loss,
        visibility_timeout=settings.broker_visibility_timeout,
    )


def worker_app(settings: Settings, *, pool: str = "threads", concurrency: int = 1) -> Any:
    """The app of ``hotpress worker``, with the refresh task bound to these settings.

    Each task borrows the archive for its refresh from this process's
    :func:`~hotpress._storage.storage_pool` (made on the first task: a prefork pool's
    processes each make their own), sized for the tasks it runs at once."""
    from hotpress._storage import StoragePool, storage_pool
    from hotpress._workers.task import close_sessions, refresh_batch

    assert settings.broker is not None
    app = settings_app(settings, cancel_on_connection_loss=pool == "prefork")
    size = concurrency if pool == "threads" else 1
    pools: dict[int, StoragePool] = {}
    lock = threading.Lock()

    def archive() -> StoragePool:
        with lock:
            if os.getpid() not in pools:
                pools.clear()  # a forked process does not use its parent's connections
                pools[os.getpid()] = storage_pool(settings.database, size=size)
            return pools[os.getpid()]

    def refresh(task: Any, keys: list[str], token: str) -> dict[str, int]:
        def split(alone: Sequence[str]) -> None:
            with app.producer_or_acquire() as producer:
                for key in alone:
                    app.send_task(TASK, args=[[key], token], queue=QUEUE, producer=producer)

        try:
            with archive().storage() as storage:
                return refresh_batch(settings, storage, keys, token, split=split)
        except StorageError as exc:
            # The archive went away (a database restart, a locked file): the pool does not
            # hand that connection out again; the leases still hold, so nothing is stored
            # twice.
            log.warning("archive unavailable (%s): the task is tried again in %d s", exc, RETRY)
            raise task.retry(exc=exc, countdown=RETRY) from exc

    def close(**_: Any) -> None:
        close_sessions()
        with lock:
            for opened in pools.values():
                with contextlib.suppress(Exception):
                    opened.close()
            pools.clear()

    from celery.signals import worker_process_shutdown, worker_shutdown
    from celery.worker.control import inspect_command

    @inspect_command(name=LEASES, args=[("token", str), ("keys", list)])  # type: ignore[untyped-decorator]
    def leases(state: Any, token: str = "", keys: Sequence[str] = (), **_: Any) -> dict[str, Any]:
        """How many of ``keys`` this worker's archive has leased to ``token``, the archive's
        name and id (a sender whose leases a worker cannot see, or whose archive has another
        id, does not share its archive), and the tasks this worker runs now (``hotpress
        workers``). Its own connection, opened and closed here (the main process)."""
        from celery.worker.state import active_requests

        from hotpress._storage import open_storage

        active = len(active_requests)
        try:
            with contextlib.closing(open_storage(settings.database)) as storage:
                held = set(storage.leased(token)) & set(keys) if keys else set()
                archive = {"archive": storage.name, "id": storage.archive_id()}
                return archive | {"held": len(held), "active": active}
        except StorageError as exc:
            return {"archive": str(settings.database), "error": str(exc), "active": active}

    worker_process_shutdown.connect(close, weak=False)
    worker_shutdown.connect(close, weak=False)
    app.task(name=TASK, bind=True, max_retries=MAX_RETRIES)(refresh)
    return app


def run_worker(
    settings: Settings, *, pool: str, concurrency: int, loglevel: str, json_logs: bool = False
) -> None:
    """Run a Celery worker until it is stopped (SIGTERM: finish the tasks, then exit).
    ``json_logs``: Celery's own records go through hotpress's handler too (one JSON object a
    line on stderr, nothing else: no banner, no bare warnings)."""
    app = worker_app(settings, pool=pool, concurrency=concurrency)
    if json_logs:
        _celery_logs_as_hotpress(loglevel)
    if pool != "prefork":
        # Celery's notice that 6.0 will stop tasks on a connection loss: a threads or solo
        # pool cannot, which is why it is off for them.
        from celery.exceptions import CPendingDeprecationWarning

        warnings.filterwarnings("ignore", category=CPendingDeprecationWarning)
    if loglevel != "DEBUG":
        # Celery sets the root logger to ``loglevel``: not a line per HTTP request.
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)
    app.worker_main(
        [
            *(["--quiet"] if json_logs else []),  # (Celery's banner: text on stdout)
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            f"--loglevel={loglevel}",
            f"--hostname=hotpress-{os.getpid()}@%h",
            f"--queues={QUEUE}",
            "--without-gossip",
            "--without-mingle",
        ]
    )


def hotpress_logs_as_celery(app: Any) -> None:
    """In text, hotpress's own lines in a worker's log (``refreshed 10 sources …``, a source
    given up) take the form of Celery's: ``[time: LEVEL/process] message``; before, they
    were ``INFO message`` among Celery's timed lines, with no time and no process."""
    formatter = logging.Formatter(app.conf.worker_log_format)
    for handler in log.handlers:
        handler.setFormatter(formatter)


def _celery_logs_as_hotpress(loglevel: str) -> None:
    """Celery configures no logging (a ``setup_logging`` receiver tells it so); its records
    (the consumer's "Cannot connect …", the pool's, warnings such as running as root) reach
    the root logger, which gets hotpress's handlers. Its one direct write, "worker: Warm
    shutdown (MainProcess)" to standard output, is logged instead: standard output is
    pointed at /dev/null (nothing of hotpress's goes there in a worker)."""
    from celery.signals import setup_logging, worker_shutting_down

    root = logging.getLogger()
    root.handlers[:] = list(log.handlers)
    root.setLevel(loglevel)
    logging.captureWarnings(True)
    setup_logging.connect(lambda **_: None, weak=False)

    def shutting_down(how: str = "", **_: Any) -> None:
        log.info("worker: %s shutdown", how.lower() or "a")

    worker_shutting_down.connect(shutting_down, weak=False)
    sys.stdout.flush()
    with open(os.devnull, "wb") as devnull:
        os.dup2(devnull.fileno(), sys.__stdout__.fileno() if sys.__stdout__ else 1)


def host_batches(settings: Settings, keys: Sequence[str]) -> list[list[str]]:
    """``keys`` as tasks: sources of one host together, at most :data:`BATCH` to a task."""
    urls = {s.key: s.url for s in settings.sources}
    hosts: dict[str, list[str]] = {}
    for key in keys:
        hosts.setdefault((urlsplit(urls.get(key, "")).hostname or "").lower(), []).append(key)
    return [
        group[start : start + BATCH]
        for group in hosts.values()
        for start in range(0, len(group), BATCH)
    ]


def enqueue(app: Any, settings: Settings, keys: Sequence[str], token: str) -> int:
    """Send the leased ``keys`` to the workers; returns how many tasks were sent."""
    batches = host_batches(settings, keys)
    try:
        with app.producer_or_acquire() as producer:
            for batch in batches:
                app.send_task(TASK, args=[batch, token], queue=QUEUE, producer=producer)
    except broker_errors(app) as exc:
        assert settings.broker is not None
        refused = refusal(app, exc, settings.path)
        if refused is not None:
            raise refused from exc
        raise WorkerError(f"cannot send to the broker {redact(settings.broker)}: {exc}") from exc
    return len(batches)


def archives_without(
    app: Any, token: str, keys: Sequence[str], workers: Sequence[str], timeout: float = 5.0
) -> dict[str, str]:
    """The answering ``workers`` whose archive holds none of ``keys`` leased to ``token``
    (worker name: its archive as it names it): they use another ``database:`` than the
    sender. A worker that does not answer in time is not counted."""
    try:
        replies = app.control.broadcast(
            LEASES,
            arguments={"token": token, "keys": list(keys)},
            destination=list(workers),
            reply=True,
            timeout=timeout,
            limit=len(workers),
        )
    except broker_errors(app) as exc:
        log.debug("asking the workers for their leases failed: %s", exc)
        return {}
    found: dict[str, str] = {}
    for reply in replies or []:
        for name, answer in reply.items():
            if isinstance(answer, dict) and answer.get("held") == 0 and keys:
                found[name] = str(answer.get("archive", "?"))
            elif isinstance(answer, dict) and "error" in answer and "archive" in answer:
                # (Its archive could not be opened. A worker of a hotpress without the
                # command answers an error without "archive": not counted.)
                found[name] = f"{answer['archive']} ({answer['error']})"
    return found
