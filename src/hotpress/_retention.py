"""Retention: take old posts out of the outputs; the archive keeps the items.

``keep_days`` / ``keep_per_channel`` (globally or per source; a source is one channel) decide
which items are past their time. Their Hexo post files (as recorded in ``publications``) are
deleted, never silently: the report counts them. The publication row stays, so the next
``publish`` does not write the post again. ``purge`` also deletes the items from the archive,
but only those the feed no longer carries (not seen for ``PURGE_GRACE``): an item still in the
feed would otherwise come back as new on the next fetch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

from hotpress._media.files import media_targets, remove_media
from hotpress._publish.files import is_inside, real_root
from hotpress._storage.base import RetentionCandidate, Storage
from hotpress.config import Retention, Settings
from hotpress.exceptions import PublishError

log = logging.getLogger("hotpress")

PURGE_GRACE = timedelta(days=7)
"""An item not seen in its feed for this long has left the feed for good."""


@dataclass(frozen=True, slots=True)
class RetentionReport:
    removed: int = 0
    """Post files deleted from the outputs."""
    purged: int = 0
    """Items deleted from the archive (``--purge``)."""
    expired: int = 0
    """Items past their retention limit (whether or not they had a file)."""
    media: int = 0
    """Image files deleted because no item names them any more (``--purge``)."""

    @property
    def summary(self) -> str:
        text = f"retention: {self.removed} old post(s) removed from the outputs"
        if self.purged:
            text += f", {self.purged} item(s) purged from the archive"
        if self.media:
            text += f", {self.media} image file(s) no item names deleted"
        return text


def _remove(root: Path, rel: str) -> bool:
    """Delete one published file below ``root``; refuse anything that would leave it."""
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or "\\" in rel:
        raise PublishError("refusing to delete a path outside the output", path=rel)
    target = root.joinpath(*pure.parts)
    if not is_inside(real_root(root), target.parent):
        raise PublishError("refusing to delete a path outside the output", path=target)
    try:
        target.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise PublishError(f"cannot delete old post: {exc}", path=target) from exc
    return True


def expired_items(
    storage: Storage, output: str, key: str, policy: Retention, now: datetime
) -> list[RetentionCandidate]:
    older_than = now - timedelta(days=policy.keep_days) if policy.keep_days else None
    return storage.retention_candidates(
        output, key, older_than=older_than, keep_newest=policy.keep_per_channel
    )


def apply_retention(
    settings: Settings,
    storage: Storage,
    *,
    now: datetime,
    purge: bool = False,
    outputs: dict[str, Path] | None = None,
) -> RetentionReport:
    """Remove the expired posts of every source with a limit; with ``purge`` also the rows.

    ``outputs`` maps an output name to its root (default: the Hexo folder as ``hexo``).
    """
    if outputs is None:
        outputs = {"hexo": settings.hexo_dir} if settings.hexo_dir is not None else {}
    storage.sync_sources(settings.sources)
    removed = purged = expired = 0
    for key, policy in settings.retention.items():
        doomed: dict[int, RetentionCandidate] = {}
        for output, root in outputs.items():
            for cand in expired_items(storage, output, key, policy, now):
                doomed.setdefault(cand.item_id, cand)
                if cand.path is not None and _remove(root, cand.path):
                    removed += 1
        if not outputs:
            doomed = {c.item_id: c for c in expired_items(storage, "", key, policy, now)}
        expired += len(doomed)
        if purge:
            gone = [c.item_id for c in doomed.values() if now - c.last_seen >= PURGE_GRACE]
            purged += storage.purge_items(_sorted(gone))
    media = 0
    if purge:
        # Images no item names any more (items purged, or bodies that dropped them).
        hashes = storage.purge_media()
        if hashes and settings.media_dir is not None:
            roots = [settings.media_dir, *media_targets(settings.hexo_dir, settings.site_dir)]
            media = remove_media(roots, hashes)
    report = RetentionReport(removed=removed, purged=purged, expired=expired, media=media)
    if removed or purged or media:
        log.info("%s", report.summary)
    return report


def _sorted(ids: Sequence[int]) -> list[int]:
    return sorted(ids)
