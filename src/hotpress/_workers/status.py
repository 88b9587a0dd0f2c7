"""``hotpress workers``: the fleet as the scheduler's machine sees it.

Which workers answer on the broker, whether each shares this archive (the archives' own ids
compared: ``Storage.archive_id``, however each machine names its database), the tasks each
runs now, the tasks waiting in the queue, and the sources leased now. One look for an
operator, and an exit status for a monitoring probe: healthy when the broker answers, at
least one worker does, and every worker that answers uses this archive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hotpress._storage.base import Storage
from hotpress._workers.app import LEASES, QUEUE
from hotpress._workers.broker import BrokerRefused, broker_errors, reach, redact
from hotpress.config import Settings

__all__ = ["FleetStatus", "WorkerState", "fleet_status"]


@dataclass(frozen=True, slots=True)
class WorkerState:
    name: str
    archive: str
    """The worker's archive as its config names it (``?`` when it did not say)."""
    same: bool | None
    """Whether it is this archive (``None``: the worker could not open its archive, or is a
    hotpress that does not tell its archive's id)."""
    active: int | None
    """Tasks it runs now (``None``: not told)."""
    error: str | None = None


@dataclass(frozen=True, slots=True)
class FleetStatus:
    broker: str
    """Redacted (no password)."""
    archive: str
    workers: tuple[WorkerState, ...]
    waiting: int | None
    """Tasks in the broker's queue, not yet taken by a worker (``None``: not known)."""
    leased: int
    leases_end: datetime | None
    problem: str | None
    """Why this is not healthy (``None``: it is)."""

    @property
    def ok(self) -> bool:
        return self.problem is None


def fleet_status(
    settings: Settings, storage: Storage, app: Any, now: datetime, timeout: float = 2.0
) -> FleetStatus:
    """Ask the broker and the workers (each answer within ``timeout`` seconds)."""
    assert settings.broker is not None
    broker = redact(settings.broker)
    leased, leases_end = storage.leases_now(now)
    try:
        names, unreachable = reach(app, timeout=timeout, config=settings.path)
    except BrokerRefused as exc:  # (said in the status too, for a probe reading the JSON)
        return FleetStatus(broker, storage.name, (), None, leased, leases_end, str(exc))
    if unreachable is not None:
        problem = f"cannot reach the broker {broker}: {unreachable}"
        return FleetStatus(broker, storage.name, (), None, leased, leases_end, problem)
    workers = _ask(app, names, storage.archive_id(), timeout)
    return FleetStatus(
        broker,
        storage.name,
        workers,
        _waiting(app),
        leased,
        leases_end,
        _problem(settings, broker, workers),
    )


def _ask(app: Any, names: Sequence[str], own: str, timeout: float) -> tuple[WorkerState, ...]:
    """Each answering worker's archive, from the workers' remote-control command."""
    answers: dict[str, Any] = {}
    if names:
        try:
            replies = app.control.broadcast(
                LEASES,
                arguments={"token": "", "keys": []},
                destination=list(names),
                reply=True,
                timeout=timeout,
                limit=len(names),
            )
        except broker_errors(app):
            replies = []
        answers = {name: answer for reply in replies or [] for name, answer in reply.items()}
    states = []
    for name in names:
        answer = answers.get(name)
        if not isinstance(answer, dict):
            states.append(WorkerState(name, "?", None, None, "did not say which archive it uses"))
            continue
        error = answer.get("error")
        found = answer.get("id")
        if error is None and found is None:
            error = "it does not tell its archive's id (an older hotpress: upgrade it)"
        active = answer.get("active")
        states.append(
            WorkerState(
                name,
                str(answer.get("archive", "?")),
                None if error is not None or found is None else found == own,
                active if isinstance(active, int) else None,
                None if error is None else str(error),
            )
        )
    return tuple(states)


def _waiting(app: Any) -> int | None:
    """Messages in the tasks' queue (a queue the broker does not have yet holds none)."""
    try:
        with app.connection_for_read() as conn, conn.channel() as channel:
            declared = channel.queue_declare(queue=QUEUE, passive=True)
            return int(declared.message_count)
    except broker_errors(app) as exc:
        # A passive declaration of a queue that does not exist is refused (404 NOT_FOUND):
        # nothing was ever sent, or (Redis) nothing waits.
        if "NOT_FOUND" in str(exc) or getattr(exc, "code", None) == 404:
            return 0
        return None


def _problem(settings: Settings, broker: str, workers: Sequence[WorkerState]) -> str | None:
    if not workers:
        return (
            f"no hotpress worker answers on {broker}"
            f" (start one with `hotpress worker -c {settings.path}`)"
        )
    strangers = [w for w in workers if w.same is not True]
    if not strangers:
        return None
    shown = "; ".join(
        f"{w.name} uses {w.archive}" + (f" ({w.error})" if w.error else "") for w in strangers
    )
    return (
        f"{len(strangers)} of {len(workers)} workers do not use this archive: {shown}."
        " Every machine's hotpress.yml must name the same `database:` (a PostgreSQL server,"
        " or one SQLite file on one machine); a worker reads it when it starts"
    )
