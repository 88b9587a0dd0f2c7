"""Names of a hot list's pages (pure)."""

from __future__ import annotations

import hashlib
import re

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def hot_slug(key: str) -> str:
    """``/weibo/search/hot`` -> ``weibo-search-hot``; a URL source gives its host and path.
    A key with no ASCII letters or digits (or a long one) gets its hash's first 10 hex."""
    text = key.split("://", 1)[-1].lower()
    slug = _NON_SLUG.sub("-", text).strip("-")
    if not slug or len(slug) > 60:
        return hashlib.sha1(key.encode()).hexdigest()[:10]
    return slug


def hours_text(hours: float) -> str:
    """``0.5``, ``3.2``, ``12``: one decimal below ten hours, whole hours above."""
    return f"{round(hours, 1):g}" if hours < 10 else str(round(hours))
