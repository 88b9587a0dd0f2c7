"""``hotpress watch``: refresh each source when it is due, publish after each round.

The loop is plain: take the archive lock, refresh the due sources (``core.refresh`` stores
each one as it arrives), publish incrementally, apply retention, let go of the lock, then
sleep until the earliest ``next_due`` (capped, so config-less changes such as a manual
``run`` are noticed). Holding the lock only during a round lets ``hotpress publish`` or a
cron ``run`` slip in between rounds.

SIGINT/SIGTERM set a flag: the round in progress finishes its writes (every write is a
transaction or an atomic rename anyway), then the loop ends. A second signal interrupts at
once. The clock and the sleep function are passed in so tests drive the loop without waiting.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType
from zoneinfo import ZoneInfo

from hotpress import core
from hotpress._lock import run_lock
from hotpress._retention import RetentionReport
from hotpress._storage import open_storage
from hotpress._storage.base import Storage
from hotpress.config import Settings
from hotpress.exceptions import HotpressError, LockedError

log = logging.getLogger("hotpress")

MIN_SLEEP = 1.0
MAX_SLEEP = 300.0
"""Never sleep longer than this: a source added by ``hotpress add`` is picked up soon."""
LOCK_WAIT = 30.0
QUIET = 60.0
"""A loop about to sleep longer than this says when its next round is (once for each time)."""


class NextRound:
    """Logs when the loop's next round is due, once for each new time (``next round in
    59 min, at 2024-03-01 16:59 CST``): a loop that says nothing for an hour looks hung."""

    def __init__(self, timezone: str) -> None:
        self._zone = ZoneInfo(timezone)
        self._said: datetime | None = None

    def __call__(self, wake: datetime, now: datetime) -> None:
        seconds = (wake - now).total_seconds()
        if seconds < QUIET or wake == self._said:
            return
        self._said = wake
        minutes = max(1, round(seconds / 60))
        hours, minutes = divmod(minutes, 60)
        wait = " ".join([f"{hours} h"] * bool(hours) + [f"{minutes} min"] * bool(minutes))
        at = wake.astimezone(self._zone).strftime("%Y-%m-%d %H:%M %Z")
        log.info("next round in %s, at %s", wait, at)


class Stop:
    """A stop request shared by the signal handlers, the loop and its sleep."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signals = 0

    def set(self) -> None:
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> None:
        """The real sleep: returns early when a stop is requested."""
        self._event.wait(seconds)


@contextlib.contextmanager
def stop_on_signals(stop: Stop) -> Iterator[Stop]:
    """First SIGINT/SIGTERM: finish the round, then stop. Second: interrupt now."""

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.signals += 1
        if stop.signals > 1:
            raise KeyboardInterrupt
        log.warning("%s: finishing the current round, then stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@dataclass(frozen=True, slots=True)
class Round:
    started: datetime
    due: tuple[str, ...]
    fetch: core.FetchReport | None = None
    outputs: tuple[core.OutputReport, ...] = field(default_factory=tuple)
    retention: RetentionReport | None = None
    error: str | None = None


def next_wake(storage: Storage, keys: set[str], now: datetime) -> datetime:
    """The earliest ``next_due`` of the configured sources (now for one never fetched)."""
    dues = [s.next_due or now for s in storage.sources(now) if s.key in keys]
    return min(dues, default=now + timedelta(seconds=MAX_SLEEP))


def due_round(
    settings: Settings, storage: Storage, *, now: datetime, clock: core.Clock, first: bool
) -> Round:
    storage.sync_sources(settings.sources)
    configured = {s.key for s in settings.sources}
    due = tuple(k for k in storage.due_sources(now) if k in configured)
    if not due:
        return Round(started=now, due=())
    # Publishing is incremental anyway; skipping it when nothing changed saves the scan.
    done = core.run_round(settings, storage, keys=due, clock=clock, publish_unchanged=first)
    return Round(
        started=now, due=due, fetch=done.fetch, outputs=done.outputs, retention=done.retention
    )


def watch(
    settings: Settings,
    *,
    stop: Stop,
    clock: core.Clock = core.utcnow,
    sleep: Callable[[float], None] | None = None,
    storage_factory: Callable[[], Storage] | None = None,
    on_round: Callable[[Round], None] | None = None,
    max_sleep: float = MAX_SLEEP,
    lock_wait: float = LOCK_WAIT,
) -> int:
    """Run rounds until ``stop`` is requested; returns how many rounds did work."""
    sleep = sleep or stop.wait
    factory = storage_factory or (lambda: open_storage(settings.database))
    configured = {s.key for s in settings.sources}
    say_next = NextRound(settings.timezone)
    rounds = 0
    while not stop.requested:
        now = clock()
        wake = now + timedelta(seconds=max_sleep)
        try:
            with run_lock(settings.database, wait=lock_wait):
                storage = factory()
                try:
                    result = due_round(settings, storage, now=now, clock=clock, first=rounds == 0)
                    wake = next_wake(storage, configured, clock())
                finally:
                    storage.close()
        except LockedError as exc:
            result = Round(started=now, due=(), error=str(exc))
            log.warning("skipping a round: %s", exc)
        except HotpressError as exc:
            # A long-running loop outlives a full disk or a held lock: report and retry.
            result = Round(started=now, due=(), error=str(exc))
            log.error("round failed: %s", exc)
        if result.due or result.error:
            rounds += 1 if result.due else 0
            if on_round is not None:
                on_round(result)
        if stop.requested:
            break
        say_next(wake, clock())
        delay = (wake - clock()).total_seconds()
        sleep(min(max(delay, MIN_SLEEP), max_sleep))
    return rounds
