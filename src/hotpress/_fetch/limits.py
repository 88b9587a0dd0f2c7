"""Politeness: a global cap, a cap per host name and a minimum spacing per host.

One ``HostLimiter`` lives for one batch (one event loop); nothing is global, so a Celery task
running a batch builds its own. Across machines, per-host politeness belongs to the claim query.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from .settings import FetchSettings


class HostLimiter:
    def __init__(
        self,
        concurrency: int,
        per_host: int,
        min_interval: float = 0.0,
        *,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.per_host = per_host
        self.min_interval = min_interval
        self._clock = clock
        self._global = asyncio.Semaphore(concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._next_start: dict[str, float] = {}

    @classmethod
    def from_settings(cls, settings: FetchSettings) -> HostLimiter:
        return cls(settings.concurrency, settings.per_host, settings.min_host_interval)

    def _now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold one request slot for ``host`` (a host name, lower case, no port)."""
        host_sem = self._hosts.setdefault(host, asyncio.Semaphore(self.per_host))
        # Host first, global second: a task queued behind a busy host must not sit on one of
        # the global slots other hosts could use.
        async with host_sem:
            if self.min_interval > 0:
                now = self._now()
                start = max(now, self._next_start.get(host, now))
                # Reserve the start time before sleeping so concurrent waiters queue up behind.
                self._next_start[host] = start + self.min_interval
                if start > now:
                    await asyncio.sleep(start - now)
            async with self._global:
                yield
