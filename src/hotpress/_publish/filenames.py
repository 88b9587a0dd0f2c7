"""Post file names and category folders that are safe on every file system and in Hexo.

A title or category name comes from a feed: nothing it holds may place a file outside the
output root, make an invalid name on Windows or macOS, or make Hexo skip the file (Hexo ignores
paths whose segment starts with ``_`` or ``.``). Names stay readable: CJK and other letters are
kept; only the characters that are a problem are replaced.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import PurePosixPath

from hotpress.exceptions import PublishError

__all__ = ["MAX_NAME_BYTES", "category_dir", "post_filename", "safe_component"]

MAX_NAME_BYTES = 150
"""Longest file or folder name, in UTF-8 bytes (ext4 allows 255; eCryptfs and some
sync tools much less)."""

_SUFFIX = ".md"
# Forbidden on Windows, plus '#' and '%', which break the post's URL when Hexo builds its
# permalink from the file name.
_FORBIDDEN = re.compile(r'[\\/:*?"<>|#%]')
# Controls (C0, DEL, C1), line/paragraph separators, BOM and other invisible format
# characters, and surrogates: nothing anyone wants in a file name.
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ud800-\udfff]"
)
_SPACES = re.compile(r"\s+")
_LEADING = re.compile(r"^[\s._\-]+")
_TRAILING = re.compile(r"[\s.]+$")
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{dev}{n}" for dev in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")}
)


def _cut(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` UTF-8 bytes, on a character boundary."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", "ignore")


# Anything _tidy_all would change: a character it removes or replaces, whitespace other than
# one plain space, and what it strips at either end (the length and device names are checked
# apart). Most titles have none of it.
_UNTIDY = re.compile(
    r'[\\/:*?"<>|#%\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff'
    r"\ud800-\udfff]|[^\S ]|  |^[\s._\-]|[\s.]$"
)


def _tidy(text: str, max_bytes: int) -> str:
    if (
        len(text) * 4 <= max_bytes  # UTF-8 takes at most 4 bytes a character: no cut
        and _UNTIDY.search(text) is None
        and text.partition(".")[0].rstrip(" ").upper() not in _RESERVED
    ):
        return text
    return _tidy_all(text, max_bytes)


def _tidy_all(text: str, max_bytes: int) -> str:
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", _FORBIDDEN.sub("_", text))
    text = _LEADING.sub("", text)
    text = _TRAILING.sub("", _cut(text, max_bytes))
    # "CON.tar" is as reserved as "CON" on Windows: the device name is what precedes a dot.
    head, dot, rest = text.partition(".")
    if head.rstrip(" ").upper() in _RESERVED:
        text = _TRAILING.sub("", _cut(head.rstrip(" ") + "_" + dot + rest, max_bytes))
    return text


def safe_component(text: str, *, fallback: str, max_bytes: int = MAX_NAME_BYTES) -> str:
    """One path segment made from ``text``; ``fallback`` (already safe) if nothing is left."""
    return _tidy(text, max_bytes) or fallback


def category_dir(levels: Sequence[str]) -> PurePosixPath:
    """The folder of a category path, one safe segment per level (``..`` and ``/`` included)."""
    return PurePosixPath(*(safe_component(level, fallback="unnamed") for level in levels))


def post_filename(title: str, identity: str, taken: Callable[[str], bool]) -> str:
    """``<title>.md``, safe and at most 150 bytes; unique in its folder thanks to ``taken``.

    A taken name gets ``-<first 8 hex of identity>`` before ``.md`` (then 16, then the
    whole identity, should that be taken too).
    """
    room = MAX_NAME_BYTES - len(_SUFFIX)
    stem = _tidy(title, room)
    ident = ""
    if not stem:
        ident = _tidy(identity, room - 1) or "post"
        stem = ident[:8]
    name = stem + _SUFFIX
    if not taken(name):
        return name
    ident = ident or _tidy(identity, room - 1) or "post"  # only a taken name needs it
    tried = [name]
    for size in (8, 16, len(ident)):
        tag = "-" + ident[:size]
        base = _TRAILING.sub("", _cut(stem, room - len(tag.encode("utf-8"))))
        name = base + tag + _SUFFIX
        if not taken(name):
            return name
        tried.append(name)
    raise PublishError(f"no free file name for identity {identity!r}", path=tried[-1])
