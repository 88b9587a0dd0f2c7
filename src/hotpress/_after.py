"""What follows the refreshes of a round, once: the images of every new or changed body
(``images: local`` / ``image_proxy``) and the pushes of what is new (``notify:``).

A local refresh (``core.refresh``) runs them at its end. With workers, a task's refresh does
not (both work on the whole archive, and the images belong on the machine that publishes):
the process that sent the round (``run``, ``fetch`` or the scheduler) runs
:func:`after_round` once the round is stored, before it publishes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

import httpx

from hotpress._fetch import FetchSettings, make_client
from hotpress._fetch_options import fetch_settings, rsshub_hosts
from hotpress._media import media_pass
from hotpress._notify import notify_round
from hotpress._storage.base import Storage
from hotpress.config import Settings
from hotpress.exceptions import StorageError

if TYPE_CHECKING:
    from hotpress.core import FetchReport

log = logging.getLogger("hotpress")


def after_round(
    settings: Settings,
    storage: Storage,
    report: FetchReport,
    *,
    since: datetime,
    clock: Callable[[], datetime],
) -> FetchReport:
    """The images and pushes of a round the workers stored, here (pushes: what is new since
    ``since``, one message per target, not one per task). An archive that fails meanwhile is
    logged and the report returned as it was: the round is stored, and publishing it does
    not wait for its images (both passes take up what is left at the next round)."""
    if settings.media_dir is None and not settings.notify:
        return report

    async def after() -> FetchReport:
        options = fetch_settings(settings.fetch, rsshub_hosts(settings))
        async with make_client(options) as client:
            return await after_refresh(settings, storage, client, options, clock, report, since)

    try:
        return asyncio.run(after())
    except StorageError as exc:
        log.error("images and pushes of this round: %s (taken up again next round)", exc)
        return report


async def after_refresh(
    settings: Settings,
    storage: Storage,
    client: httpx.AsyncClient,
    options: FetchSettings,
    clock: Callable[[], datetime],
    report: FetchReport,
    since: datetime,
) -> FetchReport:
    """The images of every new or changed body, then the pushes of what is new since
    ``since``, on ``client``."""
    if settings.media_dir is not None:
        media = await media_pass(
            settings.images,
            {s.key: s for s in settings.sources},
            storage,
            root=settings.media_dir,
            client=client,
            fetch=options,
            now=clock(),
        )
        report = replace(report, media=media)
    if settings.notify:
        pushed = notify_round(settings.notify, storage, now=clock(), since=since)
        report = replace(report, notify=pushed)
    return report
