"""``hotpress watch`` with ``broker:``: the scheduler. It refreshes nothing itself.

Each turn it claims the due sources (leases, so several schedulers may run: each source goes
to one of them), sends them to the workers as tasks, and looks at the rounds it sent before:
a round is over when none of its sources holds its token any more (or its lease ran out).
After a round that stored something new or changed, it publishes (``core.run_round`` with
``fetch=False``) under the publish lock, so each output has one writer at a time. It sleeps
until the earliest ``next_due`` (or a short poll while rounds are out).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hotpress import core
from hotpress._after import after_round
from hotpress._lock import run_lock
from hotpress._storage import open_storage
from hotpress._storage.base import Storage
from hotpress._watch import MAX_SLEEP, MIN_SLEEP, NextRound, Round, Stop, next_wake
from hotpress._workers.app import LEASE, enqueue
from hotpress._workers.broker import answering, reach, redact
from hotpress._workers.rounds import new_token, other_archives, outcomes, same_archive
from hotpress.config import Settings
from hotpress.exceptions import HotpressError

log = logging.getLogger("hotpress")

CLAIM_LIMIT = 1000
"""Sources claimed per turn at most (the rest the next turn, a second later)."""
POLL = 1.0
STARTUP_WAIT = 15.0
"""Seconds a starting scheduler waits for a worker to answer before it says none does."""


@dataclass(slots=True)
class _Out:
    """A round sent to the workers and not over yet."""

    token: str
    keys: list[str]
    started: float
    ends: float = field(default=0.0)


def schedule(
    settings: Settings,
    app: Any,
    *,
    stop: Stop,
    clock: core.Clock = core.utcnow,
    sleep: Callable[[float], None] | None = None,
    storage_factory: Callable[[], Storage] | None = None,
    on_round: Callable[[Round], None] | None = None,
    max_sleep: float = MAX_SLEEP,
    lock_wait: float = 30.0,
    lease: timedelta = LEASE,
    startup_wait: float = STARTUP_WAIT,
) -> int:
    """Schedule until ``stop`` is requested; returns how many rounds ended.
    ``startup_wait``: seconds to wait for a worker to answer before the first claim."""
    sleep = sleep or stop.wait
    factory = storage_factory or (lambda: open_storage(settings.database))
    keys = [s.key for s in settings.sources]
    out: list[_Out] = []
    rounds = 0
    unpublished = False
    """A round changed something and its publish has not happened yet (the lock was held
    too long, the database went away): tried again at the next turn."""
    storage: Storage | None = None
    say_next = NextRound(settings.timezone)
    # The workers whose archive is checked before the first round is sent.
    workers = _first_look(settings, app, stop, startup_wait)
    while not stop.requested:
        try:
            if storage is None:
                storage = factory()
                storage.sync_sources(settings.sources)
            # Rounds that ended first: a lease that ran out still holds its token here, so
            # what no worker refreshed is said (and why) before the next claim takes it.
            for ended in _ended(storage, out, functools.partial(_workers_missing, settings, app)):
                # Until its report says whether it changed anything, the round counts as
                # unpublished: a report that fails (the database went away) leaves it to the
                # next turn's publish instead of dropping it (it left ``out`` already).
                before, unpublished = unpublished, True
                done = _report(settings, storage, ended, clock)
                unpublished = (
                    before
                    or rounds == 0
                    or bool(done.fetch and (done.fetch.new or done.fetch.updated))
                )
                if unpublished:
                    done = _publish(settings, storage, done, clock, wait=lock_wait)
                    unpublished = False
                rounds += 1
                if on_round is not None:
                    on_round(done)
            if unpublished:
                _publish(settings, storage, Round(clock(), ()), clock, wait=lock_wait)
                unpublished = False
            # (A stop asked meanwhile sends nothing more.)
            sent = not stop.requested and _send_due(
                settings, storage, app, keys, out, clock, lease, workers
            )
            if sent:
                workers = []
            wake = next_wake(storage, set(keys), clock())
        except HotpressError as exc:
            # A broker or database that went away: report, start again with a new connection.
            log.error("scheduler: %s", exc)
            if on_round is not None:
                on_round(Round(started=clock(), due=(), error=str(exc)))
            if storage is not None:
                storage.close()
                storage = None
            wake = clock() + timedelta(seconds=MIN_SLEEP * 5)
        if stop.requested:
            break
        if not out:  # (while rounds are out it polls them)
            say_next(wake, clock())
        delay = (wake - clock()).total_seconds()
        if out:
            delay = min(delay, POLL)
        sleep(min(max(delay, POLL if out else MIN_SLEEP), max_sleep))
    if storage is not None:
        storage.close()
    return rounds


def _send_due(
    settings: Settings,
    storage: Storage,
    app: Any,
    keys: list[str],
    out: list[_Out],
    clock: core.Clock,
    lease: timedelta,
    workers: list[str],
) -> bool:
    """Claim and send the due sources; whether a round was sent. ``workers``: check that
    they share this archive first (``rounds.same_archive``)."""
    # The round ends (monotonic) when its leases do (the clock's time), both from this
    # instant: ended later, a turn between the two would claim its expired sources again
    # before `_ended` said what no worker refreshed (asking the workers here can take 5 s).
    begun = time.monotonic()
    now = clock()
    token = new_token()
    claimed = storage.claim_sources(
        now, token=token, until=now + lease, limit=CLAIM_LIMIT, keys=keys
    )
    if not claimed:
        return False
    try:
        if workers:
            same_archive(app, storage, token, claimed, workers)
        tasks = enqueue(app, settings, claimed, token)
    except HotpressError:
        storage.release_leases(token)
        raise
    log.info("sent %d due sources in %d tasks", len(claimed), tasks)
    out.append(_Out(token, claimed, now.timestamp(), begun + lease.total_seconds()))
    return True


def _first_look(settings: Settings, app: Any, stop: Stop, wait: float) -> list[str]:
    """Before the first claim: which workers answer, waiting up to ``wait`` seconds for one
    (a scheduler and its workers are often started together: a worker takes a few seconds
    to answer). None by then: a warning; what is sent waits in the queue. An unreachable
    broker is said by the first send that fails."""
    end = time.monotonic() + wait
    while True:
        names, unreachable = reach(app, timeout=1.0, config=settings.path)
        if names:
            log.info("%s", answering(names))
            return names
        if unreachable is not None or stop.requested:
            return []
        if time.monotonic() >= end:
            break
    log.warning(
        "%s; the sources sent wait in the broker's queue until one does", _no_worker(settings)
    )
    return []


def _workers_missing(
    settings: Settings, app: Any, storage: Storage, token: str, left: Sequence[str]
) -> str | None:
    """Why no worker would refresh what is sent (``None``: one answers the ping, and none
    of those answering uses another archive than ``storage``, where ``left`` still hold
    ``token``)."""
    names, unreachable = reach(app, timeout=1.0, config=settings.path)
    if names:
        return other_archives(app, storage, token, left, names)
    return _no_worker(settings) if unreachable is None else _unreachable(settings, unreachable)


def _no_worker(settings: Settings) -> str:
    return (
        f"no hotpress worker answers on {redact(settings.broker or '')}"
        f" (start one with `hotpress worker -c {settings.path}`)"
    )


def _unreachable(settings: Settings, why: str) -> str:
    return f"cannot reach the broker {redact(settings.broker or '')}: {why}"


def _ended(
    storage: Storage,
    out: list[_Out],
    why: Callable[[Storage, str, list[str]], str | None],
) -> list[tuple[_Out, list[str]]]:
    """The rounds that are over, with the sources no worker finished (their leases let go).
    ``why(storage, token, left)``: asked when some were left (still leased), what may have
    kept the workers from them."""
    ended = []
    for sent in list(out):
        left = storage.leased(sent.token)
        if left and time.monotonic() < sent.ends:
            continue
        if left:
            cause = why(storage, sent.token, left)
            storage.release_leases(sent.token)
            log.error(
                "%d sources were not refreshed before their lease ended%s",
                len(left),
                f": {cause}" if cause else "",
            )
        out.remove(sent)
        ended.append((sent, left))
    return ended


def _report(
    settings: Settings, storage: Storage, ended: tuple[_Out, list[str]], clock: core.Clock
) -> Round:
    """What a round that is over did, from the fetch log; then what follows a round here
    (images, pushes: ``_after.after_round``)."""
    sent, left = ended
    stored = [k for k in sent.keys if k not in set(left)]
    started = datetime.fromtimestamp(sent.started, UTC)
    fetch = core.FetchReport(tuple(outcomes(settings, storage, stored, sent.started)))
    fetch = after_round(settings, storage, fetch, since=started, clock=clock)
    return Round(started=started, due=tuple(sent.keys), fetch=fetch)


def _publish(
    settings: Settings, storage: Storage, done: Round, clock: core.Clock, *, wait: float
) -> Round:
    """Publish (and apply retention) as after a local fetch. One writer per output: the run
    lock (a file beside SQLite, an advisory lock in PostgreSQL), as `run` and `publish` take
    it."""
    with run_lock(settings.database, wait=wait):
        published = core.run_round(settings, storage, fetch=False, clock=clock)
    return replace(done, outputs=published.outputs, retention=published.retention)
