"""What a worker does with one task: refresh the sources of one batch still leased to it.

The task's sources are the leased ones still held by its token (a redelivered task skips
those another delivery stored already). Each start counts a try. A batch started again (its
worker died on it) is split into one task per source, so a source that kills its worker
takes only itself down the next time; a source started more than :data:`MAX_TRIES` times is
recorded as failed (it backs off like any failing source) instead of being fetched again.
The rest is ``core.refresh`` with the lease: one event loop, one HTTP client, each source
parsed, normalized and stored in one transaction that also ends its lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from hotpress import core
from hotpress._reading import store_result
from hotpress._storage.base import Storage
from hotpress.config import Settings
from hotpress.exceptions import LeaseLostError, StorageError
from hotpress.types import FetchResult

log = logging.getLogger("hotpress")

MAX_TRIES = 3
UNKNOWN_RETRY = timedelta(minutes=5)
"""A source this worker's config lacks (hotpress.yml edited, the scheduler restarted, the
workers not yet) is sent again after this long, not backed off: once the workers are
restarted it is refreshed within minutes, not hours."""


def refresh_batch(
    settings: Settings,
    storage: Storage,
    keys: Sequence[str],
    token: str,
    *,
    clock: core.Clock = core.utcnow,
    split: Callable[[Sequence[str]], None] | None = None,
) -> dict[str, int]:
    """Refresh the ``keys`` still leased to ``token``; returns counts for the worker's log.
    ``split`` sends sources as tasks of their own (the same lease)."""
    held = storage.start_lease(token, keys)
    if not held:
        log.warning(
            "none of the %d sources of this task is leased to it in the archive %s: another"
            " delivery stored them, their lease ended, or this worker's `database:` is not"
            " the sender's",
            len(keys),
            storage.name,
        )
    specs = {s.key: s for s in settings.sources}
    given_up = [k for k, tries in held.items() if tries > MAX_TRIES or k not in specs]
    for key in given_up:
        error = (
            f"started {held[key] - 1} times without finishing: its refresh kills its worker"
            " or runs out of time"
            if key in specs
            else "not in this worker's config: a worker reads hotpress.yml when it starts;"
            " restart the workers after editing it (and every machine's must be the same)"
        )
        _give_up(settings, storage, key, token, error, clock())
    go = [k for k in keys if k in held and k not in given_up]
    counts = {"sources": len(keys), "skipped": len(keys) - len(held), "given_up": len(given_up)}
    if split is not None and len(go) > 1 and any(held[k] > 1 for k in go):
        log.warning("a batch of %d sources started again: one task each from now on", len(go))
        split(go)
        return counts | {"split": len(go)}
    if not go:
        return counts | {"stored": 0, "failed": 0, "new": 0, "updated": 0}
    try:
        report = asyncio.run(core.refresh(settings, storage, keys=go, clock=clock, lease=token))
    except StorageError:
        raise  # the archive: tried again with a new connection
    except Exception as exc:
        # A bug, not a source's failure: recorded on the sources it left unstored (they back
        # off), so a round never waits for them until their lease ends.
        log.exception("refreshing %d sources failed", len(go))
        left = [k for k in storage.leased(token) if k in set(go)]
        for key in left:
            _give_up(settings, storage, key, token, f"worker error: {exc!r}", clock())
        return counts | {"stored": len(go) - len(left), "failed": len(left)}
    counts |= {
        "stored": len(report.outcomes),
        "failed": len(report.failed),
        "new": report.new,
        "updated": report.updated,
    }
    log.info(
        "refreshed %d sources (%d failed, %d new items, %d updated)",
        counts["stored"],
        counts["failed"],
        report.new,
        report.updated,
    )
    return counts


def _give_up(
    settings: Settings, storage: Storage, key: str, token: str, error: str, now: datetime
) -> None:
    """Record ``error`` as the source's refresh, backing off as any failure does."""
    spec = next((s for s in settings.sources if s.key == key), None)
    result = FetchResult(
        source_key=key,
        url=spec.url if spec is not None else "",
        status=None,
        content=None,
        content_type=None,
        validators=storage.validators(key),
        duration=0.0,
        error=error,
    )
    log.warning("%s: given up: %s", key, error)
    if spec is not None:
        store_result(spec, result, storage, now=now, lease=token)
        return
    due = now + UNKNOWN_RETRY
    with contextlib.suppress(LeaseLostError):  # another delivery stored it meanwhile
        storage.save_fetch(key, result, None, now=now, error=error, next_due=due, lease=token)
