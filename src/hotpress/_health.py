"""Source health: the rows of ``hotpress sources`` and the one-off ``--check`` fetch.

``check_sources`` fetches every source once, unconditionally (no validators, so a 304 cannot
hide a broken feed), parses it and reports; it stores nothing and does not touch the
schedule, so it is safe to run beside ``watch``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import httpx

from hotpress._fetch import fetch_all, make_client
from hotpress._fetch_options import fetch_settings, rsshub_hosts
from hotpress._reading import parse_result
from hotpress._storage.base import Storage
from hotpress.config import Settings
from hotpress.exceptions import ParseError
from hotpress.types import FetchRequest, FetchResult, SourceSpec, SourceState, Validators


def status(state: SourceState) -> str:
    if state.last_attempt is None:
        return "new"
    return "failing" if state.error_count else "ok"


def source_states(
    specs: Sequence[SourceSpec], storage: Storage | None, now: datetime
) -> list[SourceState]:
    """The configured sources, in config order, with what the archive knows of each (its
    URL and category as configured now); a source never fetched shows as "new" (all of
    them when there is no archive yet: ``storage`` None)."""
    known = {s.key: s for s in storage.sources(now)} if storage is not None else {}
    return [
        replace(known[spec.key], url=spec.url, category=spec.category)
        if spec.key in known
        else SourceState(
            key=spec.key,
            url=spec.url,
            category=spec.category,
            validators=Validators(),
            last_attempt=None,
            last_success=None,
            last_status=None,
            last_error=None,
            error_count=0,
            items_total=0,
            items_24h=0,
            next_due=None,
        )
        for spec in specs
    ]


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def state_row(state: SourceState) -> dict[str, Any]:
    """One source for ``hotpress sources --json`` (stable keys: scripts rely on them)."""
    return {
        "key": state.key,
        "category": list(state.category),
        "url": state.url,
        "status": status(state),
        "last_status": state.last_status,
        "last_attempt": _iso(state.last_attempt),
        "last_success": _iso(state.last_success),
        "error_count": state.error_count,
        "next_due": _iso(state.next_due),
        "items_total": state.items_total,
        "items_24h": state.items_24h,
        "items_filtered": state.items_filtered,
        "last_error": state.last_error,
        "expanded": state.expanded,
        "expand_pending": state.expand_pending,
        "expand_failed": state.expand_failed,
    }


@dataclass(frozen=True, slots=True)
class CheckResult:
    key: str
    url: str
    status: int | None
    duration: float
    entries: int
    kind: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None

    def row(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "url": self.url,
            "ok": self.ok,
            "status": self.status,
            "duration": round(self.duration, 3),
            "entries": self.entries,
            "format": self.kind,
            "error": self.error,
        }


def _checked(spec: SourceSpec, result: FetchResult) -> CheckResult:
    entries, kind, error = 0, None, result.error
    if error is None and result.content is not None:
        try:
            feed = parse_result(spec, result.content, result)
        except ParseError as exc:
            error = exc.message
        else:
            entries, kind = len(feed.entries), feed.kind
    return CheckResult(spec.key, spec.url, result.status, result.duration, entries, kind, error)


async def check_sources(
    settings: Settings,
    specs: Sequence[SourceSpec],
    *,
    client: httpx.AsyncClient | None = None,
) -> list[CheckResult]:
    """Fetch and parse each source once; nothing is stored. Results in ``specs`` order."""
    options = fetch_settings(settings.fetch, rsshub_hosts(settings))
    requests = [FetchRequest(source_key=s.key, url=s.url) for s in specs]
    if client is None:
        async with make_client(options) as own:
            results = await fetch_all(requests, client=own, settings=options)
    else:
        results = await fetch_all(requests, client=client, settings=options)
    return [_checked(spec, result) for spec, result in zip(specs, results, strict=True)]
