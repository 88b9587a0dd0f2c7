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


_WIDTHS: dict[str, int] = {}


def _width(char: str) -> int:
    width = _WIDTHS.get(char)
    if width is None:
        width = _WIDTHS[char] = 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _whole(chunk: str) -> str:
    """``chunk`` without a tag or character reference the cut split at its end."""
    while True:
        lt, gt = chunk.rfind("<"), chunk.rfind(">")
        if lt > gt:
            chunk = chunk[:lt]
            continue
        amp = chunk.rfind("&")
        if amp > gt and amp > chunk.rfind(";"):
            chunk = chunk[:amp]
            continue
        return chunk


def _cut(text: str, width: int) -> str | None:
    used = 0
    widths = _WIDTHS
    for index, char in enumerate(text):
        used += widths.get(char) or _width(char)
        if used > width:
            return text[:index].rstrip(" ，,。.;；:：") + "…"
    return None


def excerpt(markup: str, width: int = 160) -> str:
    """About ``width`` columns of text: a CJK character counts two, so a Chinese excerpt
    holds half as many characters as an English one and both fill the same lines.

    The text of the first ``width * 40`` characters of markup, read in growing pieces: most
    bodies fill the excerpt from their first kilobyte, and a piece whose text overflows the
    excerpt gives the same excerpt as the whole (its tail, a tag or reference the cut split
    removed, lies past the cut)."""
    limit = width * 40
    size = width * 3
    while True:
        partial = size < limit and len(markup) > size
        chunk = _whole(markup[:size]) if partial else markup[:limit]
        text = plain_text(chunk)
        short = _cut(text, width)
        if short is not None:
            return short
        if not partial:
            return text
        size *= 4


def lazy_images(markup: str) -> str:
    """Sanitized content with its images lazy-loaded (the sanitizer already set
    ``referrerpolicy="no-referrer"``)."""
    return _IMG_OPEN.sub('<img loading="lazy" decoding="async"', markup)
