"""Settings of the fetch stage: one small frozen value, defaults in code."""

from __future__ import annotations

from dataclasses import dataclass

from .. import __version__

MiB = 1024 * 1024
DEFAULT_USER_AGENT = f"hotpress/{__version__} (+https://github.com/hotpress/hotpress)"


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """How the fetch stage talks to servers. Times are seconds."""

    concurrency: int = 10
    """Requests in flight at once, all hosts together."""
    per_host: int = 4
    """Requests in flight at once to one host name (politeness)."""
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    """Longest silence while waiting for the headers or the next piece of the body."""
    total_timeout: float = 60.0
    """Deadline for one source, retries and their waits included (a slow drip ends here)."""
    max_body_bytes: int = 10 * MiB
    """Cap on the body as sent (compressed) and as decoded."""
    max_redirects: int = 5
    retries: int = 2
    """Extra attempts after timeouts, connection errors, 5xx and 429."""
    backoff_base: float = 0.5
    """First retry waits about this long; each further retry doubles it (with jitter)."""
    max_retry_after: float = 30.0
    """Longest ``Retry-After`` honoured inside a run; longer ones fail now and are reported."""
    min_host_interval: float = 0.0
    """Minimum spacing between request starts to one host (not to ``own_hosts``)."""
    own_hosts: frozenset[str] = frozenset()
    """Host names of the user's own RSSHub: full ``concurrency``, no spacing, backing off
    on 429/503 and on slow answers (see ``limits``)."""
    slow_answer: float = 5.0
    """An own host answering slower than this (headers, seconds) gets fewer requests."""
    user_agent: str = DEFAULT_USER_AGENT

    def __post_init__(self) -> None:
        for name in ("concurrency", "per_host"):
            if getattr(self, name) < 1:
                raise ValueError(f"FetchSettings.{name} must be at least 1")
        for name in ("connect_timeout", "read_timeout", "total_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"FetchSettings.{name} must be more than 0 seconds")
        for name in (
            "max_body_bytes",
            "max_redirects",
            "retries",
            "backoff_base",
            "max_retry_after",
            "min_host_interval",
            "slow_answer",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"FetchSettings.{name} must not be negative")
