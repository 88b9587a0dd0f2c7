"""Plain-text helpers for cards and feeds: HTML stripped, CJK-aware length, dates."""

from __future__ import annotations

import html
import re
import unicodedata

_BLOCK = re.compile(
    r"</?(?:p|br|div|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|pre|figure|figcaption|hr)\b[^>]*>",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_IMG_OPEN = re.compile(r"<img\b(?![^>]*\bloading=)", re.IGNORECASE)


def plain_text(markup: str) -> str:
    """The text of sanitized HTML (nh3 output is well-formed, so a tag regex is exact)."""
    text = _TAG.sub("", _BLOCK.sub(" ", markup))
    return _SPACE.sub(" ", html.unescape(text)).strip()


def _width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def excerpt(markup: str, width: int = 160) -> str:
    """About ``width`` columns of text: a CJK character counts two, so a Chinese excerpt
    holds half as many characters as an English one and both fill the same lines."""
    text = plain_text(markup[: width * 40])
    used = 0
    for index, char in enumerate(text):
        used += _width(char)
        if used > width:
            return text[:index].rstrip(" ，,。.;；:：") + "…"
    return text


def lazy_images(markup: str) -> str:
    """Sanitized content with its images lazy-loaded (the sanitizer already set
    ``referrerpolicy="no-referrer"``)."""
    return _IMG_OPEN.sub('<img loading="lazy" decoding="async"', markup)
