"""The expand stage's I/O: fetch the due expansions of some sources and store them.

Requests go through ``fetch_all`` like the sources' own (caps, timeouts, per-host limits,
conditional GET); a failure is stored as a result (the item keeps its body) and retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from hotpress._fetch import FetchSettings, fetch_all
from hotpress._normalize import normalize_body, raw_digest
from hotpress._parse import parse_feed
from hotpress._storage.base import Storage
from hotpress.exceptions import ParseError
from hotpress.types import (
    ExpandSpec,
    Expansion,
    ExpansionState,
    FetchRequest,
    FetchResult,
    SourceSpec,
    Validators,
)

from .plan import choose_entry, expansion_url, is_due, retry_at


@dataclass(frozen=True, slots=True)
class ExpandReport:
    attempted: int = 0
    updated: int = 0
    """Items whose body changed (new or newer expansion)."""
    failed: int = 0


@dataclass(frozen=True, slots=True)
class _Job:
    spec: SourceSpec
    expand: ExpandSpec
    state: ExpansionState
    url: str


def _jobs(specs: Sequence[SourceSpec], storage: Storage, now: datetime) -> list[_Job]:
    jobs = []
    for spec in specs:
        if spec.expand is None:
            continue
        for state in storage.expansion_candidates(spec.key):
            url = expansion_url(spec.expand, state.link)
            if url is not None and is_due(state, url, now):
                jobs.append(_Job(spec, spec.expand, state, url))
    return jobs


def _request(job: _Job, key: str) -> FetchRequest:
    same = job.state.url == job.url
    return FetchRequest(
        source_key=key, url=job.url, validators=job.state.validators if same else Validators()
    )


def read_expansion(job: _Job, result: FetchResult, now: datetime) -> Expansion:
    """What one fetched expansion gives: a new body, "unchanged", or a failure."""
    state = job.state
    done = now + timedelta(minutes=job.expand.refresh_minutes)

    def failed(message: str) -> Expansion:
        when = retry_at(now, state.failures + 1, job.spec.interval_minutes)
        return Expansion(state.item_id, job.url, state.validators, when, error=message)

    if result.error is not None:
        return failed(result.error)
    if result.not_modified or result.content is None:
        return Expansion(state.item_id, job.url, result.validators, done)
    try:
        feed = parse_feed(
            result.content,
            url=result.url,
            content_type=result.content_type,
            timezone=job.spec.timezone,
        )
    except ParseError as exc:
        return failed(exc.message)
    entry = choose_entry(feed, job.expand.entry)
    if entry is None:
        return failed(f"{job.url}: the feed has no entry with a body")
    digest = raw_digest(entry)
    if digest == state.digest and state.url == job.url:
        return Expansion(state.item_id, job.url, result.validators, done, digest=digest)
    content, cover = normalize_body(entry, feed.link)
    return Expansion(
        state.item_id,
        job.url,
        result.validators,
        done,
        content=content,
        cover=cover,
        author=entry.author,
        digest=digest,
    )


async def expand_sources(
    specs: Sequence[SourceSpec],
    storage: Storage,
    *,
    client: httpx.AsyncClient,
    settings: FetchSettings,
    now: datetime,
) -> ExpandReport:
    """Expand the due items of ``specs`` (those with ``expand:``) and store the results."""
    jobs = _jobs(specs, storage, now)
    if not jobs:
        return ExpandReport()
    requests = [_request(job, str(i)) for i, job in enumerate(jobs)]
    results = await fetch_all(requests, client=client, settings=settings)
    done = [read_expansion(job, result, now) for job, result in zip(jobs, results, strict=True)]
    updated = storage.save_expansions(done, now=now)
    failed = sum(1 for x in done if x.error is not None)
    return ExpandReport(attempted=len(done), updated=updated, failed=failed)
