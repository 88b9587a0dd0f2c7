"""The media pass: after a refresh, every image of new or changed bodies (and every cover)
is downloaded once through the fetch stage, checked, kept by content, and the items' bodies
and covers as published point at the local copies (or, with ``images: remote`` and an
``image_proxy``, at the proxy)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from hotpress._fetch import FetchSettings, fetch_all
from hotpress._fetch.hosts import host_of, may_fetch, resolve
from hotpress._storage.base import Storage
from hotpress.exceptions import MediaError
from hotpress.types import (
    FetchRequest,
    FetchResult,
    ImageOptions,
    ItemMedia,
    MediaRecord,
    MediaWork,
    SourceSpec,
)

from .files import Inspected, inspect, keep, make_thumb, media_path
from .policy import BUILTIN_REFERERS, image_urls, proxied, referer_for, rewrite_images

MEDIA_URL = "/media/"
"""Where the local copies are, root-relative, in both outputs."""
_ACCEPT = "image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.5"
_MAX_RETRY_WAIT = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class MediaReport:
    items: int = 0
    """Items handled."""
    downloaded: int = 0
    failed: int = 0
    updated: int = 0
    """Items whose published body or cover changed."""


def mode_of(options: ImageOptions) -> str:
    if options.mode == "local":
        return "local"
    return f"proxy:{options.proxy}" if options.proxy else "remote"


def retry_wait(failures: int) -> timedelta:
    """A failed image is tried again after 1, 2, 4… minutes (at most a day): at the next
    refresh of a source refreshed every few minutes or more."""
    return min(timedelta(minutes=1) * (1 << min(failures - 1, 16)), _MAX_RETRY_WAIT)


def _proxied_item(work: MediaWork, template: str) -> ItemMedia:
    urls = image_urls(work.content)
    body = rewrite_images(
        work.content, lambda url: proxied(url, template) if url.startswith("http://") else None
    )
    cover = proxied(work.cover, template) if work.cover else None
    return ItemMedia(
        work.item_id,
        work.revision,
        tuple(urls),
        body if body != work.content else None,
        cover if cover != work.cover else None,
    )


def local_item(
    work: MediaWork, records: Mapping[str, MediaRecord], max_item_bytes: int
) -> ItemMedia:
    """The item's body and cover pointing at the local copies it has, in order, while the
    item's images stay within ``max_item_bytes``; the others stay remote."""
    urls = image_urls(work.content)
    names = list(dict.fromkeys([*urls, *([work.cover] if work.cover else [])]))
    local: dict[str, str] = {}
    total = 0
    for url in names:
        record = records.get(url)
        if record is None or record.hash is None or record.size is None:
            continue
        if total + record.size > max_item_bytes:
            continue
        total += record.size
        local[url] = f"{MEDIA_URL}{record.hash[:2]}/{record.hash}.{record.ext}"
    body = rewrite_images(work.content, local.get) if local else work.content
    cover = None
    if work.cover and work.cover in local:
        thumb = records[work.cover].thumb
        cover = MEDIA_URL + thumb if thumb else local[work.cover]
    return ItemMedia(
        work.item_id, work.revision, tuple(names), body if body != work.content else None, cover
    )


def _failed(url: str, old: MediaRecord | None, error: str, now: datetime) -> MediaRecord:
    failures = (old.failures if old else 0) + 1
    return MediaRecord(url=url, failures=failures, next_try=now + retry_wait(failures), error=error)


def _received(
    url: str, result: FetchResult, old: MediaRecord | None, root: Path, cover: bool, now: datetime
) -> MediaRecord:
    if result.error is not None or result.content is None:
        return _failed(url, old, result.error or "no body", now)
    try:
        found = inspect(result.content)
    except MediaError as exc:
        return _failed(url, old, f"{url}: {exc.message}", now)
    keep(root, result.content, found)
    thumb = make_thumb(root, result.content, found) if cover else None
    return MediaRecord(
        url=url,
        hash=found.hash,
        type=found.type,
        size=found.size,
        width=found.width,
        height=found.height,
        thumb=thumb,
    )


def _thumb_later(root: Path, record: MediaRecord) -> MediaRecord | None:
    assert record.hash is not None
    try:
        data = (root / media_path(record.hash, record.ext)).read_bytes()
    except OSError:
        return None
    found = Inspected(
        record.hash, record.ext, record.type or "", len(data), record.width, record.height
    )
    thumb = make_thumb(root, data, found)
    return replace(record, thumb=thumb) if thumb else None


async def _download(
    work: Sequence[MediaWork],
    sources: Mapping[str, SourceSpec],
    options: ImageOptions,
    root: Path,
    storage: Storage,
    client: httpx.AsyncClient,
    fetch: FetchSettings,
    now: datetime,
) -> tuple[dict[str, MediaRecord], list[MediaRecord]]:
    """Download the images of ``work`` not kept yet (and due); returns every record known
    for them and the new ones to store."""
    wanted: dict[str, str] = {}  # url -> source key (the first item naming it)
    covers = {w.cover for w in work if w.cover}
    for w in work:
        for url in [*image_urls(w.content), *([w.cover] if w.cover else [])]:
            wanted.setdefault(url, w.source_key)
    records = storage.media_records(wanted)
    due = [
        url
        for url in wanted
        if (r := records.get(url)) is None
        or (r.hash is None and (r.next_try is None or r.next_try <= now))
    ]
    source_hosts = {host_of(sources[k].url) for k in set(wanted.values()) if k in sources}
    addresses = await resolve({host_of(u) for u in due} | source_hosts)
    table = {**BUILTIN_REFERERS, **dict(options.referers)}
    fresh: list[MediaRecord] = []
    requests: list[FetchRequest] = []
    for url in due:
        spec = sources.get(wanted[url])
        source_addresses = addresses.get(host_of(spec.url), []) if spec else []
        if not may_fetch(
            addresses.get(host_of(url), []), source_addresses, allow_private=options.allow_private
        ):
            fresh.append(
                _failed(url, records.get(url), f"{url}: host not public (or unknown)", now)
            )
            continue
        referer = referer_for(url, table)
        headers = (("Accept", _ACCEPT), *((("Referer", referer),) if referer else ()))
        requests.append(FetchRequest(source_key=url, url=url, headers=headers))
    settings = replace(fetch, max_body_bytes=options.max_image_bytes)
    results = await fetch_all(requests, client=client, settings=settings)
    for result in results:
        url = result.source_key
        fresh.append(_received(url, result, records.get(url), root, url in covers, now))
    records.update({r.url: r for r in fresh})
    # An image kept earlier as a body image that is now a cover gets its thumbnail.
    for url in covers:
        record = records.get(url)
        if record is not None and record.hash and not record.thumb:
            thumbed = _thumb_later(root, record)
            if thumbed is not None:
                records[url] = thumbed
                fresh.append(thumbed)
    return records, fresh


async def media_pass(
    options: ImageOptions,
    sources: Mapping[str, SourceSpec],
    storage: Storage,
    *,
    root: Path,
    client: httpx.AsyncClient,
    fetch: FetchSettings,
    now: datetime,
    batch: int = 2000,
) -> MediaReport:
    """Handle every item whose images are due (see ``Storage.media_work``)."""
    storage.media_mode(mode_of(options))
    if options.mode != "local" and not options.proxy:
        return MediaReport()
    report = MediaReport()
    done: set[int] = set()
    while True:
        work = [w for w in storage.media_work(now, limit=batch) if w.item_id not in done]
        if not work:
            return report
        done.update(w.item_id for w in work)
        if options.mode != "local":
            assert options.proxy is not None
            items = [_proxied_item(w, options.proxy) for w in work]
            fresh: list[MediaRecord] = []
        else:
            records, fresh = await _download(
                work, sources, options, root, storage, client, fetch, now
            )
            items = [local_item(w, records, options.max_item_bytes) for w in work]
        updated = storage.save_media(fresh, items, now=now)
        report = MediaReport(
            items=report.items + len(items),
            downloaded=report.downloaded + sum(1 for r in fresh if r.hash),
            failed=report.failed + sum(1 for r in fresh if not r.hash),
            updated=report.updated + updated,
        )
