"""What a worker does with one task: refresh the sources of one batch still leased to it.

The task's sources are the leased ones still held by its token (a redelivered task skips
those another delivery stored already). Each start counts a try. A batch started again (its
worker died on it) is split into one task per source, so a source that kills its worker
takes only itself down the next time; a source started more than :data:`MAX_TRIES` times is
recorded as failed (it backs off like any failing source) instead of being fetched again.
The rest is ``core.refresh`` with the lease, on the event loop and HTTP client this thread
keeps from task to task (:func:`run_in_session`), each source parsed, normalized and stored
in one transaction that also ends its lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx

from hotpress import core
from hotpress._fetch import FetchSettings, make_client
from hotpress._reading import store_result
from hotpress._storage.base import Storage
from hotpress.config import Settings
from hotpress.exceptions import LeaseLostError, StorageError
from hotpress.types import FetchResult

log = logging.getLogger("hotpress")

T = TypeVar("T")

MAX_TRIES = 3
UNKNOWN_RETRY = timedelta(minutes=5)
"""A source this worker's config lacks (hotpress.yml edited, the scheduler restarted, the
workers not yet) is sent again after this long, not backed off: once the workers are
restarted it is refreshed within minutes, not hours."""


def refresh_batch(
    settings: Settings,
    storage: Storage,
    keys: Sequence[str],
    token: str,
    *,
    clock: core.Clock = core.utcnow,
    split: Callable[[Sequence[str]], None] | None = None,
) -> dict[str, int]:
    """Refresh the ``keys`` still leased to ``token``; returns counts for the worker's log.
    ``split`` sends sources as tasks of their own (the same lease)."""
    held = storage.start_lease(token, keys)
    if not held:
        log.warning(
            "none of the %d sources of this task is leased to it in the archive %s: another"
            " delivery stored them, their lease ended, or this worker's `database:` is not"
            " the sender's",
            len(keys),
            storage.name,
        )
    specs = {s.key: s for s in settings.sources}
    given_up = [k for k, tries in held.items() if tries > MAX_TRIES or k not in specs]
    for key in given_up:
        error = (
            f"started {held[key] - 1} times without finishing: its refresh kills its worker"
            " or runs out of time"
            if key in specs
            else "not in this worker's config: a worker reads hotpress.yml when it starts;"
            " restart the workers after editing it (and every machine's must be the same)"
        )
        _give_up(settings, storage, key, token, error, clock())
    go = [k for k in keys if k in held and k not in given_up]
    counts = {"sources": len(keys), "skipped": len(keys) - len(held), "given_up": len(given_up)}
    if split is not None and len(go) > 1 and any(held[k] > 1 for k in go):
        log.warning("a batch of %d sources started again: one task each from now on", len(go))
        split(go)
        return counts | {"split": len(go)}
    if not go:
        return counts | {"stored": 0, "failed": 0, "new": 0, "updated": 0}
    try:
        report = run_in_session(
            settings,
            lambda client: core.refresh(
                settings, storage, client=client, keys=go, clock=clock, lease=token
            ),
        )
    except StorageError:
        raise  # the archive: tried again with a new connection
    except Exception as exc:
        # A bug, not a source's failure: recorded on the sources it left unstored (they back
        # off), so a round never waits for them until their lease ends.
        log.exception("refreshing %d sources failed", len(go))
        left = [k for k in storage.leased(token) if k in set(go)]
        for key in left:
            _give_up(settings, storage, key, token, f"worker error: {exc!r}", clock())
        return counts | {"stored": len(go) - len(left), "failed": len(left)}
    counts |= {
        "stored": len(report.outcomes),
        "failed": len(report.failed),
        "new": report.new,
        "updated": report.updated,
    }
    log.info(
        "refreshed %d sources (%d failed, %d new items, %d updated)",
        counts["stored"],
        counts["failed"],
        report.new,
        report.updated,
    )
    return counts


class _Session:
    """One event loop and one HTTP client that a worker thread keeps from task to task:
    the connections a task opened to a host (TCP, TLS) serve the next task's requests to it,
    instead of each task connecting again to every host of its batch."""

    def __init__(self, options: FetchSettings) -> None:
        self.pid, self.options, self.closed = os.getpid(), options, False
        self.runner = asyncio.Runner()
        self.client = make_client(options)

    def serves(self, options: FetchSettings) -> bool:
        """Open, made in this process (a forked child has its own), with these options."""
        return not self.closed and self.pid == os.getpid() and self.options == options

    def run(self, work: Callable[[httpx.AsyncClient], Coroutine[Any, Any, T]]) -> T:
        return self.runner.run(work(self.client))

    def idle(self) -> bool:
        """Nothing left running on the loop (a refresh waits for all it starts)."""
        return not asyncio.all_tasks(self.runner.get_loop())

    def close(self) -> None:
        """Cancel what a failed task left running, close the client, then the loop."""
        self.closed = True

        async def settle() -> None:
            left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)
            await self.client.aclose()

        try:
            with contextlib.suppress(Exception):
                self.runner.run(settle())
        finally:
            self.runner.close()


_local = threading.local()
_sessions: list[_Session] = []
_sessions_lock = threading.Lock()


def run_in_session(
    settings: Settings, work: Callable[[httpx.AsyncClient], Coroutine[Any, Any, T]]
) -> T:
    """``work(client)`` on this thread's session (made on its first task). A task that
    fails leaves its session closed: the next one starts a new loop and client."""
    options = core.fetch_settings(settings.fetch, core.rsshub_hosts(settings))
    session: _Session | None = getattr(_local, "session", None)
    if session is None or not session.serves(options):
        if session is not None and session.pid == os.getpid():
            _drop(session)  # (other settings in this thread: a client made for them)
        session = _local.session = _Session(options)
        with _sessions_lock:
            _sessions.append(session)
    try:
        result = session.run(work)
    except BaseException:
        _drop(session)
        raise
    if not session.idle():
        _drop(session)  # (not expected: rather a new loop than one still running things)
    return result


def _drop(session: _Session) -> None:
    _local.session = None
    with _sessions_lock:
        if session in _sessions:
            _sessions.remove(session)
    session.close()


def close_sessions() -> None:
    """Close every session of this process (the worker stops; no task runs any more)."""
    with _sessions_lock:
        done = [s for s in _sessions if s.pid == os.getpid()]
        _sessions.clear()
    for session in done:
        with contextlib.suppress(Exception):
            session.close()
    _local.session = None


def _give_up(
    settings: Settings, storage: Storage, key: str, token: str, error: str, now: datetime
) -> None:
    """Record ``error`` as the source's refresh, backing off as any failure does."""
    spec = next((s for s in settings.sources if s.key == key), None)
    result = FetchResult(
        source_key=key,
        url=spec.url if spec is not None else "",
        status=None,
        content=None,
        content_type=None,
        validators=storage.validators(key),
        duration=0.0,
        error=error,
    )
    log.warning("%s: given up: %s", key, error)
    if spec is not None:
        store_result(spec, result, storage, now=now, lease=token)
        return
    due = now + UNKNOWN_RETRY
    with contextlib.suppress(LeaseLostError):  # another delivery stored it meanwhile
        storage.save_fetch(key, result, None, now=now, error=error, next_due=due, lease=token)
