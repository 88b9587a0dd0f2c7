"""The full-text stage's I/O: fetch the due items' pages and store the extracted articles.

An item is extracted once; again only when its feed entry changes (the list edit sets its
``next_try`` to 0, see the store); a failure, or an extraction shorter than the feed's own
body, keeps the feed's body and is retried with backoff (``_expand.retry_at``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from hotpress._expand.plan import retry_at
from hotpress._fetch import FetchSettings, fetch_all
from hotpress._fetch.hosts import host_of, may_fetch, resolve
from hotpress._normalize.sanitize import first_image
from hotpress._storage.base import Storage
from hotpress.types import (
    Expansion,
    ExpansionState,
    FetchRequest,
    FetchResult,
    FulltextSpec,
    SourceSpec,
    Validators,
)

from .extract import extract_article, text_length

DONE = timedelta(days=365 * 100)
"""An extracted item is not fetched again unless its entry changes."""
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"


@dataclass(frozen=True, slots=True)
class FulltextReport:
    attempted: int = 0
    updated: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class _Job:
    spec: SourceSpec
    state: ExpansionState
    url: str


def wanted(rule: FulltextSpec, state: ExpansionState, now: datetime) -> bool:
    """Whether this item's page is to be fetched now (pure)."""
    if not state.link or not state.link.startswith(("http://", "https://")):
        return False
    if state.url == state.link and state.next_try is not None and state.next_try > now:
        return False
    if state.expanded is None and rule.shorter_than is not None:
        return text_length(state.content) < rule.shorter_than
    return True


def _jobs(specs: Sequence[SourceSpec], storage: Storage, now: datetime) -> list[_Job]:
    jobs = []
    for spec in specs:
        if spec.fulltext is None:
            continue
        for state in storage.expansion_candidates(spec.key):
            if wanted(spec.fulltext, state, now):
                assert state.link is not None
                jobs.append(_Job(spec, state, state.link))
    return jobs


def read_article(job: _Job, result: FetchResult, now: datetime) -> Expansion:
    state = job.state

    def failed(message: str) -> Expansion:
        when = retry_at(now, state.failures + 1, job.spec.interval_minutes)
        return Expansion(state.item_id, job.url, Validators(), when, error=message)

    if result.error is not None:
        return failed(result.error)
    if result.content is None:
        return failed(f"{job.url}: no page")
    article = extract_article(result.content, result.content_type, result.url)
    if article is None:
        return failed(f"{job.url}: no article found in the page")
    if text_length(article) <= text_length(state.content) and state.expanded is None:
        return failed(f"{job.url}: the article is not longer than the feed's own body")
    digest = hashlib.blake2b(article.encode(), digest_size=16).hexdigest()
    return Expansion(
        state.item_id,
        job.url,
        Validators(),
        now + DONE,
        content=article,
        cover=first_image(article),
        digest=digest,
    )


def _refused(job: _Job) -> FetchResult:
    return FetchResult(
        source_key="",
        url=job.url,
        status=None,
        content=None,
        content_type=None,
        validators=Validators(),
        duration=0.0,
        error=f"{job.url}: host not public (or unknown), and the source is not on its network",
    )


async def fulltext_sources(
    specs: Sequence[SourceSpec],
    storage: Storage,
    *,
    client: httpx.AsyncClient,
    settings: FetchSettings,
    now: datetime,
    allow_private: bool = False,
) -> FulltextReport:
    """Extract the articles of the due items of ``specs`` (those with ``fulltext:``)."""
    jobs = _jobs(specs, storage, now)
    if not jobs:
        return FulltextReport()
    # An item's link comes from the feed, not the config: a non-public host (a metadata
    # endpoint, a router) is asked only when the source itself is on such a network.
    addresses = await resolve({host_of(j.url) for j in jobs} | {host_of(j.spec.url) for j in jobs})
    allowed = [
        may_fetch(
            addresses.get(host_of(job.url), []),
            addresses.get(host_of(job.spec.url), []),
            allow_private=allow_private,
        )
        for job in jobs
    ]
    requests = [
        FetchRequest(source_key=str(i), url=job.url, headers=(("Accept", _ACCEPT),))
        for i, job in enumerate(jobs)
        if allowed[i]
    ]
    fetched = iter(await fetch_all(requests, client=client, settings=settings))
    done = [
        read_article(job, next(fetched), now) if ok else read_article(job, _refused(job), now)
        for job, ok in zip(jobs, allowed, strict=True)
    ]
    updated = storage.save_expansions(done, now=now)
    failed = sum(1 for x in done if x.error is not None)
    return FulltextReport(attempted=len(done), updated=updated, failed=failed)
