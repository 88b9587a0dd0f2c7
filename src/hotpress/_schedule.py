"""Pure scheduling decisions: when is a source due again."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

MAX_BACKOFF = timedelta(hours=24)
MAX_WAIT = timedelta(days=30)
"""The longest a server (``Retry-After``, ``max-age``) or a feed (``<ttl>``) can push a source
back: their numbers are untrusted, and a 25-digit one would overflow the date."""


def next_due(
    now: datetime,
    *,
    interval_minutes: int,
    error_count: int = 0,
    retry_after: float | None = None,
    max_age: float | None = None,
    ttl_minutes: int | None = None,
    rng: random.Random | None = None,
) -> datetime:
    """The next refresh time: the source's interval, never sooner than the server's
    ``Retry-After``/``max-age`` or the feed's ``<ttl>``; failures back off exponentially
    (capped at 24 h); up to 10% random jitter so sources do not all fire at once. What the
    server or feed asks for counts up to :data:`MAX_WAIT`."""
    base = timedelta(minutes=interval_minutes)
    if error_count > 0:
        base = min(base * (2 ** min(error_count - 1, 16)), MAX_BACKOFF)
    floor = max(retry_after or 0.0, max_age or 0.0, (ttl_minutes or 0) * 60.0)
    floor = min(floor, MAX_WAIT.total_seconds())
    wait = max(base, timedelta(seconds=floor))
    jitter = (rng or random).uniform(0, 0.1) * wait.total_seconds()
    return now + wait + timedelta(seconds=jitter)
