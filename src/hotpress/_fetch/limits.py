"""Politeness: a global cap, a cap per host name and a minimum spacing per host.

Other people's hosts get ``per_host`` requests at once and ``min_interval`` between starts.
The user's own RSSHub (``own_hosts``) is their server, and RSSHub paces the sites behind it
itself: it gets the full ``concurrency`` and no spacing, and backs off when it says so — a
429 or 503 halves its cap (down to 1) and brings the spacing back; an answer slower than
``slow_answer`` lowers the cap to ``per_host`` (at most halving it) with the spacing; every
quick good answer then raises the cap by one, and at full cap the spacing goes again.

One ``HostLimiter`` lives for one batch (one event loop); nothing is global, so a Celery task
running a batch builds its own. Across machines, per-host politeness belongs to the claim query.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from .settings import FetchSettings

BACK_OFF = frozenset({429, 503})
"""Statuses by which a server asks for fewer requests."""


@dataclass(slots=True)
class _Host:
    limit: int
    spacing: float
    own: bool
    active: int = 0
    next_start: float = 0.0
    last_start: float = float("-inf")
    waiters: deque[asyncio.Future[None]] = field(default_factory=deque)


class HostLimiter:
    def __init__(
        self,
        concurrency: int,
        per_host: int,
        min_interval: float = 0.0,
        *,
        own_hosts: Iterable[str] = (),
        slow_answer: float = 5.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.concurrency = concurrency
        self.per_host = per_host
        self.min_interval = min_interval
        self.own_hosts = frozenset(h.lower() for h in own_hosts)
        self.slow_answer = slow_answer
        self._clock = clock
        self._global = asyncio.Semaphore(concurrency)
        self._hosts: dict[str, _Host] = {}

    @classmethod
    def from_settings(cls, settings: FetchSettings) -> HostLimiter:
        return cls(
            settings.concurrency,
            settings.per_host,
            settings.min_host_interval,
            own_hosts=settings.own_hosts,
            slow_answer=settings.slow_answer,
        )

    def _now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    def _host(self, host: str) -> _Host:
        found = self._hosts.get(host)
        if found is None:
            if host in self.own_hosts:
                found = _Host(limit=self.concurrency, spacing=0.0, own=True)
            else:
                found = _Host(limit=self.per_host, spacing=self.min_interval, own=False)
            self._hosts[host] = found
        return found

    def limit(self, host: str) -> tuple[int, float]:
        """The host's current cap and spacing (for tests and logs)."""
        h = self._host(host)
        return h.limit, h.spacing

    def _wake(self, h: _Host) -> None:
        free = h.limit - h.active
        while free > 0 and h.waiters:
            waiter = h.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                free -= 1

    async def _enter(self, h: _Host) -> None:
        while h.active >= h.limit:
            waiter = asyncio.get_running_loop().create_future()
            h.waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake(h)  # woken, then cancelled: pass the turn on
                raise
        h.active += 1

    def _leave(self, h: _Host) -> None:
        h.active -= 1
        self._wake(h)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold one request slot for ``host`` (a host name, lower case, no port)."""
        h = self._host(host)
        # Host first, global second: a task queued behind a busy host must not sit on one of
        # the global slots other hosts could use.
        await self._enter(h)
        try:
            if h.spacing > 0:
                now = self._now()
                start = max(now, h.next_start)
                # Reserve the start time before sleeping so concurrent waiters queue up behind.
                h.next_start = start + h.spacing
                if start > now:
                    await asyncio.sleep(start - now)
            await self._start(h)
            try:
                yield
            finally:
                self._global.release()
        finally:
            self._leave(h)

    async def _start(self, h: _Host) -> None:
        """Take a global slot. Waiting for one may have bunched this start up with the host's
        previous one (a busy own RSSHub holding every slot): then give the slot back to
        others, wait out the spacing and try again (never sleep on a slot)."""
        while True:
            await self._global.acquire()
            if h.spacing <= 0:
                return
            now = self._now()
            start = h.last_start + h.spacing
            if start <= now:
                h.last_start = now
                return
            self._global.release()
            await asyncio.sleep(start - now)

    def observe(self, host: str, status: int | None, seconds: float) -> None:
        """What a server answered (``status`` None: no answer) and how long it took; only the
        own hosts adapt to it."""
        h = self._hosts.get(host)
        if h is None or not h.own:
            return
        if status in BACK_OFF:
            h.limit = max(1, h.limit // 2)
            h.spacing = self.min_interval
        elif seconds >= self.slow_answer:
            h.limit = max(1, min(h.limit, max(self.per_host, h.limit // 2)))
            h.spacing = self.min_interval
        elif status is not None and status < 500:
            if h.limit < self.concurrency:
                h.limit += 1
                self._wake(h)
            if h.limit >= self.concurrency:
                h.spacing = 0.0
