"""Media stage (``images: local``): images downloaded once, checked, kept by content.

``sniff`` and ``policy`` are pure (what the bytes are; which URLs, Referers and hosts; how a
body is rewritten); ``files`` keeps bytes and thumbnails on disk with Pillow; ``run`` is the
pass after a refresh, through the fetch stage.
"""

from __future__ import annotations

from hotpress.exceptions import MediaError

from .files import copy_missing, inspect, media_targets, remove_media
from .run import MEDIA_URL, MediaReport, media_pass, mode_of

__all__ = [
    "MEDIA_URL",
    "MediaError",
    "MediaReport",
    "copy_missing",
    "inspect",
    "media_pass",
    "media_targets",
    "mode_of",
    "remove_media",
]
