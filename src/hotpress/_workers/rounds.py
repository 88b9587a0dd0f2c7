"""``hotpress run`` (and ``run --due``, ``fetch``) with ``broker:``: the round runs on the
workers, this process claims, enqueues, waits and then publishes.

1. Ask the broker which workers answer (up to ``worker_wait`` seconds): none is an error
   before anything is claimed.
2. Claim the wanted sources with one token (sources another round holds are left to it and
   said so), send them as tasks.
3. Wait until no source holds the token any more (each stored refresh ends its lease), at
   most ``deadline`` seconds, or until no worker answers after ``worker_wait`` seconds
   without progress; then the outcomes are each source's last fetch-log row.
4. The caller publishes as after a local fetch (``core.run_round(fetch=False)``) under the
   publish lock.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from hotpress import core
from hotpress._after import after_round
from hotpress._progress import NullProgress, Progress
from hotpress._storage.base import Storage
from hotpress._workers.app import LEASE, archives_without, enqueue
from hotpress._workers.broker import answering, ping, reach, redact
from hotpress.config import Settings
from hotpress.exceptions import StorageError, WorkerError
from hotpress.types import StoreCounts

log = logging.getLogger("hotpress")

WORKER_WAIT = 30.0
"""How long ``run`` waits for a first worker to answer before it gives up."""
POLL = 0.5
RECONNECT = 2.0
RECONNECT_TRIES = 30
"""The archive's connection lost while waiting (a database restart): a new one every
:data:`RECONNECT` seconds, this often at most (a minute, as long as a worker's task retries
its store), then the run stops with an error; the workers' leases and stores go on."""


def new_token() -> str:
    return uuid.uuid4().hex


def outcomes(
    settings: Settings, storage: Storage, keys: Sequence[str], since: float
) -> list[core.SourceOutcome]:
    """Each source's outcome from its last fetch-log row written since ``since`` (epoch s)."""
    urls = {s.key: s.url for s in settings.sources}
    done: list[core.SourceOutcome] = []
    for key in keys:
        last = storage.fetch_log(key, limit=1)
        if not last or last[0].started.timestamp() < since - 1:
            done.append(_unfinished(key, urls.get(key, ""), "no worker stored a refresh"))
            continue
        row = last[0]
        counts = StoreCounts(new=row.new, updated=row.updated)
        done.append(core.SourceOutcome(key, urls.get(key, ""), row.status, counts, error=row.error))
    return done


def _unfinished(key: str, url: str, why: str) -> core.SourceOutcome:
    return core.SourceOutcome(key, url, None, StoreCounts(), error=why)


def wait_for_workers(
    app: Any, settings: Settings, wait: float, sleep: Callable[[float], None]
) -> list[str]:
    deadline = time.monotonic() + wait
    while True:
        names, unreachable = reach(app, timeout=1.0, config=settings.path)
        if names:
            return names
        if time.monotonic() >= deadline:
            assert settings.broker is not None
            if unreachable is not None:  # the broker itself: no worker could have answered
                raise WorkerError(
                    f"cannot reach the broker {redact(settings.broker)} (tried for {wait:g} s):"
                    f" {unreachable}; is it running, and is `broker:` in {settings.path} right?"
                    " (nothing was claimed)"
                )
            raise WorkerError(
                f"no hotpress worker answered on {redact(settings.broker)} within {wait:g} s:"
                f" start one with `hotpress worker -c {settings.path}` (nothing was claimed)"
            )
        sleep(1.0)


CHECKED = 20
"""Leases a worker is asked about before a round is sent (enough to tell its archive)."""


def same_archive(
    app: Any, storage: Storage, token: str, claimed: Sequence[str], workers: Sequence[str]
) -> None:
    """Refuse to send a round that a worker on another archive would take: it would find
    none of the sources leased, store nothing, and the round would wait for its lease's end
    (10 minutes). Typical cause: each machine's ``database: archive.db``, a file of its own."""
    if not claimed:
        return
    strangers = other_archives(app, storage, token, claimed, workers)
    if strangers is not None:
        raise WorkerError(f"{strangers}; nothing was sent")


def other_archives(
    app: Any, storage: Storage, token: str, leased: Sequence[str], workers: Sequence[str]
) -> str | None:
    """Which of ``workers`` hold none of ``leased`` under ``token`` in their archive, said
    for an error (``None``: every one that answered shares this archive)."""
    strangers = archives_without(app, token, leased[:CHECKED], workers)
    if not strangers:
        return None
    shown = "; ".join(f"{name} uses {archive}" for name, archive in sorted(strangers.items()))
    return (
        f"{len(strangers)} of {len(workers)} workers do not share this archive ({storage.name}):"
        f" {shown}. Every machine's hotpress.yml must name the same `database:` (a PostgreSQL"
        " server, or one SQLite file on one machine)"
    )


def distributed_fetch(
    settings: Settings,
    storage: Storage,
    app: Any,
    *,
    keys: Sequence[str] | None = None,
    due_only: bool = False,
    progress: Progress | None = None,
    worker_wait: float = WORKER_WAIT,
    deadline: float = LEASE.total_seconds(),
    clock: core.Clock = core.utcnow,
    sleep: Callable[[float], None] = time.sleep,
) -> core.FetchReport:
    """One round on the workers: the wanted sources (``keys``, else every configured one;
    only due ones with ``due_only``) claimed, enqueued and waited for."""
    progress = progress or NullProgress()
    storage.sync_sources(settings.sources)
    wanted = list(keys) if keys is not None else [s.key for s in settings.sources]
    if not wanted:
        return core.FetchReport(())
    workers = wait_for_workers(app, settings, worker_wait, sleep)
    log.info("%s", answering(workers))
    token = new_token()
    now = clock()
    started = now.timestamp()
    claimed = storage.claim_sources(
        now,
        token=token,
        until=now + timedelta(seconds=deadline),
        limit=len(wanted),
        keys=wanted,
        due_only=due_only,
    )
    busy = [k for k in wanted if k not in set(claimed)]
    if busy and not due_only:
        log.warning("%d sources are being refreshed by another round: left to it", len(busy))
    try:
        same_archive(app, storage, token, claimed, workers)
        tasks = enqueue(app, settings, claimed, token)
    except WorkerError:
        storage.release_leases(token)
        raise
    log.info("sent %d sources in %d tasks", len(claimed), tasks)
    waited = time.monotonic()
    left = wait_round(
        storage,
        token,
        len(claimed),
        deadline,
        progress,
        sleep,
        alive=lambda: bool(ping(app, timeout=1.0)),
        stall=worker_wait,
    )
    why = f"no worker finished it within {deadline:g} s"
    if left and time.monotonic() - waited < deadline:
        why = f"no worker answered for {worker_wait:g} s while it was waiting (workers stopped?)"
    if left:
        # Nothing more is stored for them under this token: a late task's result is dropped.
        storage.release_leases(token)
        log.error("%d sources were not refreshed: %s", len(left), why)
    finished = [k for k in claimed if k not in set(left)]
    done = {o.key: o for o in outcomes(settings, storage, finished, started)}
    urls = {s.key: s.url for s in settings.sources}
    for key in left:
        done[key] = _unfinished(key, urls.get(key, ""), why)
    for key in busy if not due_only else ():
        done[key] = _unfinished(key, urls.get(key, ""), "being refreshed by another round")
    order = {k: i for i, k in enumerate(wanted)}
    report = core.FetchReport(tuple(sorted(done.values(), key=lambda o: order[o.key])))
    return after_round(settings, storage, report, since=now, clock=clock)


def wait_round(
    storage: Storage,
    token: str,
    total: int,
    deadline: float,
    progress: Progress,
    sleep: Callable[[float], None],
    *,
    alive: Callable[[], bool] | None = None,
    stall: float = float("inf"),
) -> list[str]:
    """Wait until no source holds ``token`` (or ``deadline``); the keys still held. After
    ``stall`` seconds without a source stored, ``alive()`` is asked (a worker answers?); no:
    the wait ends early."""
    progress.begin("sources", total)
    end = time.monotonic() + deadline
    said = moved = time.monotonic()
    done = 0
    try:
        while True:
            left = _leased(storage, token, sleep)
            if len(left) < total - done:
                progress.advance("sources", total - len(left) - done)
                done = total - len(left)
                moved = time.monotonic()
            if not left or time.monotonic() >= end:
                return left
            if alive is not None and time.monotonic() - moved >= stall:
                if not alive():
                    return left
                moved = time.monotonic()
            if time.monotonic() - said >= 10:
                log.info("waiting for the workers: %d of %d sources done", done, total)
                said = time.monotonic()
            sleep(POLL)
    finally:
        progress.end("sources")


def _leased(
    storage: Storage, token: str, sleep: Callable[[float], None], tries: int = RECONNECT_TRIES
) -> list[str]:
    """``storage.leased(token)``, on a new connection when the archive's went away."""
    try:
        return storage.leased(token)
    except StorageError as exc:
        lost = exc
    log.warning("lost the archive while waiting for the workers (%s): reconnecting", lost)
    for _ in range(tries):
        sleep(RECONNECT)
        try:
            storage.reconnect()
            left = storage.leased(token)
        except StorageError as exc:
            lost = exc
            continue
        log.warning("the archive is back: waiting for the workers again")
        return left
    raise StorageError(
        f"lost the archive while waiting for the workers, and no new connection within"
        f" {tries * RECONNECT:g} s: {lost} (the workers go on storing this round's sources;"
        " the next `hotpress run` publishes them)"
    ) from lost
