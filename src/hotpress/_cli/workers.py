"""Commands of distributed refresh (``broker:``): ``worker``, and ``run``/``fetch``/``watch``
when a broker is configured (the rounds run on the workers, this process publishes)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console

from hotpress import core
from hotpress._cli.common import ago, progress
from hotpress._cli.table import Cell, Column, print_table
from hotpress._lock import run_lock
from hotpress._storage import open_storage
from hotpress._storage.base import Storage
from hotpress._watch import Round, Stop, stop_on_signals
from hotpress.config import Settings
from hotpress.exceptions import ConfigError

if TYPE_CHECKING:
    from hotpress._workers.status import FleetStatus

log = logging.getLogger("hotpress")


def _broker(settings: Settings, command: str) -> str:
    if settings.broker is None:
        raise ConfigError(
            f"`hotpress {command}` needs a `broker:` (e.g. amqp://guest:guest@127.0.0.1:5672//)",
            path=settings.path,
            key="broker",
        )
    return settings.broker


def cmd_worker(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    from hotpress._workers.app import hotpress_logs_as_celery, run_worker, settings_app
    from hotpress._workers.broker import check_broker, redact

    broker = _broker(settings, "worker")
    app = settings_app(settings)  # (the checks' app; run_worker makes the worker's own)
    if args.log_format != "json":
        hotpress_logs_as_celery(app)
    # The archive first (opened, migrated if new, closed): a worker that cannot reach it
    # would say "ready" and then fail every task it takes.
    open_storage(settings.database).close()
    # The broker too: one that refuses the login or the vhost will not change its mind (Celery
    # would print its traceback and stop); one not reachable yet may come (Celery waits).
    why = check_broker(app, settings.path)
    if why is not None:
        log.warning("the broker %s cannot be reached yet (%s); waiting for it", redact(broker), why)
    log.info("worker for %d sources on %s", len(settings.sources), redact(broker))
    level = "WARNING" if args.quiet else ("DEBUG" if args.verbose > 1 else "INFO")
    run_worker(
        settings,
        pool=args.pool,
        concurrency=args.concurrency,
        loglevel=level,
        json_logs=args.log_format == "json",
    )
    return 0


DueKeys = Callable[[argparse.Namespace, Settings, Storage], list[str] | None]


def distributed_run(
    args: argparse.Namespace,
    settings: Settings,
    err: Console,
    *,
    due_keys: DueKeys,
    none_due: Callable[[Storage], str],
) -> tuple[core.RunReport, str | None]:
    """``run``/``fetch`` on the workers, then (``run``) publish under the run lock;
    ``due_keys``/``none_due`` are the local run's (``--due``)."""
    from hotpress._workers.app import settings_app
    from hotpress._workers.rounds import distributed_fetch

    _broker(settings, args.command)
    app = settings_app(settings)
    storage = open_storage(settings.database)
    idle = None
    try:
        with progress(args, err) as bars:
            wanted = due_keys(args, settings, storage)
            if wanted is not None:
                configured = {s.key for s in settings.sources}
                wanted = [k for k in wanted if k in configured]
                if not wanted:
                    idle = none_due(storage)
            fetched = distributed_fetch(
                settings,
                storage,
                app,
                keys=wanted,
                due_only=wanted is not None,
                progress=bars,
                worker_wait=args.worker_wait,
            )
            report = core.RunReport(fetch=fetched)
            if args.command == "run":
                with run_lock(settings.database, wait=args.wait):
                    done = core.run_round(settings, storage, fetch=False, progress=bars)
                report = core.RunReport(fetched, done.outputs, done.retention)
    finally:
        storage.close()
    return report, idle


def cmd_schedule(settings: Settings, on_round: Callable[[Round], None]) -> int:
    """``watch`` with a broker: the scheduler (claims, enqueues, publishes)."""
    from hotpress._workers.app import settings_app
    from hotpress._workers.broker import redact
    from hotpress._workers.scheduler import schedule

    broker = _broker(settings, "watch")
    app = settings_app(settings)
    log.info(
        "scheduling %d sources on the workers of %s (Ctrl-C to stop)",
        len(settings.sources),
        redact(broker),
    )
    with stop_on_signals(Stop()) as stop:
        rounds = schedule(settings, app, stop=stop, on_round=on_round)
    log.info("stopped after %d rounds", rounds)
    return 0


WORKER_COLUMNS = (
    Column("worker", shrink=16),
    Column("archive", shrink=12),
    Column("tasks now", rank=1),
)


def cmd_workers(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    """``hotpress workers``: which workers answer, on which archive, and what waits; exit
    status 1 when that is not a working fleet (for a monitoring probe)."""
    from hotpress._workers.app import settings_app
    from hotpress._workers.status import fleet_status

    _broker(settings, "workers")
    storage = open_storage(settings.database)
    try:
        now = core.utcnow()
        fleet = fleet_status(settings, storage, settings_app(settings), now, timeout=args.timeout)
    finally:
        storage.close()
    if args.json:
        sys.stdout.write(json.dumps(_fleet_json(fleet), ensure_ascii=False, indent=2) + "\n")
    else:
        _print_fleet(fleet, now, out)
    if fleet.problem is not None:
        log.error("%s", fleet.problem)
        return 1
    return 0


def _print_fleet(fleet: FleetStatus, now: datetime, out: Console) -> None:
    rows: list[list[Cell | str]] = [
        [
            w.name,
            Cell("this archive", "green")
            if w.same
            else Cell(f"{w.archive} ({w.error or 'another archive'})", "red"),
            "?" if w.active is None else str(w.active),
        ]
        for w in fleet.workers
    ]
    count = len(fleet.workers)
    answer = "1 worker answers" if count == 1 else f"{count} workers answer"
    title = f"{answer} on {fleet.broker} — archive {fleet.archive}"
    if rows:
        print_table(out, title, WORKER_COLUMNS, rows)
    else:
        out.print(title, markup=False, highlight=False)
    waiting = "unknown" if fleet.waiting is None else str(fleet.waiting)
    out.print(f"tasks waiting in the queue: {waiting}", markup=False, highlight=False)
    leased = f"sources leased now: {fleet.leased}"
    if fleet.leases_end is not None:
        leased += f" (the last lease ends {ago(fleet.leases_end, now)})"
    out.print(leased, markup=False, highlight=False)


def _fleet_json(fleet: FleetStatus) -> dict[str, Any]:
    return {
        "ok": fleet.ok,
        "problem": fleet.problem,
        "broker": fleet.broker,
        "archive": fleet.archive,
        "workers": [
            {
                "name": w.name,
                "archive": w.archive,
                "same_archive": w.same,
                "tasks_now": w.active,
                "error": w.error,
            }
            for w in fleet.workers
        ],
        "tasks_waiting": fleet.waiting,
        "sources_leased": fleet.leased,
        "leases_end": None if fleet.leases_end is None else fleet.leases_end.isoformat(),
    }
