"""A host that stopped answering costs a run two rounds of timeouts, not one per source.

Without this, N sources on one host that accepts connections but never answers (an
overloaded RSSHub) take ``ceil(N / per_host)`` rounds of the per-source deadline: 100 routes,
4 at a time, 60 s each is 25 minutes. Once ``2 × per_host`` requests to a host in a row (no
answer of any kind between them) have ended in a timeout, the host's sources still waiting
(for a first try or a retry) are not tried again in this run: each fails at once saying
why, and is tried again next run. Two rounds of timeouts, not one: a single round can be
``per_host`` slow routes that happen to come first.

One ``StallWatch`` lives for one batch, like ``HostLimiter``.
"""

from __future__ import annotations

__all__ = ["StallWatch"]


class StallWatch:
    def __init__(self, per_host: int) -> None:
        self.limit = 2 * per_host
        self._streak: dict[str, int] = {}

    def stalled(self, host: str) -> int | None:
        """How many requests to ``host`` timed out in a row, once that is too many."""
        streak = self._streak.get(host, 0)
        return streak if streak >= self.limit else None

    def record(self, host: str, *, timed_out: bool) -> None:
        """A request to ``host`` ended: in a timeout, or with any answer (which resets)."""
        self._streak[host] = self._streak.get(host, 0) + 1 if timed_out else 0
