"""How the fetch stage is set up from the config: its limits and which RSSHub hosts are the
user's own (they skip the politeness kept for the public instance)."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from hotpress._fetch import FetchSettings
from hotpress.config import FetchConfig, Settings

PUBLIC_RSSHUB = frozenset({"rsshub.app"})
"""The shared public instance: not the user's own server, so it keeps the politeness."""


def rsshub_hosts(settings: Settings) -> frozenset[str]:
    """Host names of the RSSHub instance(s) the config names (``rsshub:``, globally or on a
    source with a route), but the public one: the user's own servers."""
    bases = [settings.rsshub]
    # A route source's URL is its RSSHub base + the route (its key).
    bases += [
        s.url[: -len(s.key)]
        for s in settings.sources
        if s.key.startswith("/") and s.url.endswith(s.key) and s.url.startswith("http")
    ]
    hosts = {(urlsplit(base).hostname or "").lower() for base in bases}
    return frozenset(hosts - PUBLIC_RSSHUB - {""})


def fetch_settings(config: FetchConfig, own_hosts: Iterable[str] = ()) -> FetchSettings:
    return FetchSettings(
        concurrency=config.concurrency,
        per_host=config.per_host,
        connect_timeout=min(10.0, config.timeout / 3),
        read_timeout=config.timeout,
        # One source's whole allowance, retries and their waits included: a server that
        # drips a byte now and then never trips the read timeout, only this.
        total_timeout=2 * config.timeout,
        max_body_bytes=int(config.max_body_mb * 1024 * 1024),
        retries=config.retries,
        min_host_interval=config.min_host_interval,
        own_hosts=frozenset(own_hosts),
    )
