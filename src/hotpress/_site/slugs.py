"""Category folders: one per category path, unique as a case-folding disk sees them, stable.

A category's folder is ``c/<slug>/<slug>/…`` (``urls.level_slug`` per level) unless another
category already holds that folder, compared on casefold + NFC as macOS and Windows compare
names: ``[Hacker News]``, ``[hacker news]`` and ``[Hacker-News]`` all slug to
``hacker-news``, so the first keeps it and each other gets ``-<first 8 hex of the SHA-1 of
its level name>`` appended (then 16 hex, 40, then a counter: a collision never stops a
build). "First" is the order sources were added to the archive (source id), then the path.

Every folder given out is stored in the archive (``site_categories``) and never recomputed,
like item page paths: a category keeps its URL whatever is added later, and a folder once
given to a category is never given to another, even after that category is removed.
"""

from __future__ import annotations

import hashlib
import itertools
import unicodedata
from collections.abc import Iterable, Iterator, Mapping

from hotpress._site.urls import level_slug
from hotpress._storage.site_rows import SiteSource, SiteStore

__all__ = ["assign_dirs", "category_dirs", "fold"]

Path = tuple[str, ...]


def fold(text: str) -> str:
    """A name as a case-insensitive, normalizing file system compares it."""
    return unicodedata.normalize("NFC", text).casefold()


def _candidates(name: str) -> Iterator[str]:
    slug = level_slug(name)
    yield slug
    digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()
    for size in (8, 16, 40):
        yield f"{slug}-{digest[:size]}"
    for n in itertools.count(2):
        yield f"{slug}-{digest}-{n}"


def assign_dirs(paths: Iterable[Path], known: Mapping[Path, str]) -> dict[Path, str]:
    """Folders for every category path (and each of its prefixes) in ``paths`` that
    ``known`` does not have yet; ``paths`` in the order their sources were added."""
    taken = {fold(folder) for folder in known.values()}
    order: dict[Path, int] = {}
    for rank, path in enumerate(paths):
        for depth in range(1, len(path) + 1):
            order.setdefault(tuple(path[:depth]), rank)
    dirs = dict(known)
    new: dict[Path, str] = {}
    # Parents before children; among equals, the source added first.
    for prefix in sorted(order.keys() - known.keys(), key=lambda p: (len(p), order[p], p)):
        parent = dirs[prefix[:-1]] if len(prefix) > 1 else "c"
        for candidate in _candidates(prefix[-1]):
            folder = f"{parent}/{candidate}"
            if fold(folder) not in taken:
                break
        taken.add(fold(folder))
        dirs[prefix] = new[prefix] = folder
    return new


def category_dirs(store: SiteStore, sources: list[SiteSource] | None = None) -> dict[Path, str]:
    """The folder of every configured category path: the stored ones, and new ones given
    out (and stored) now. ``sources``: ``site_sources()`` if the caller read it already."""
    known = store.site_category_dirs()
    sources = sorted(store.site_sources() if sources is None else sources, key=lambda s: s.id)
    new = assign_dirs((s.category for s in sources), known)
    if new:
        store.save_category_dirs(new)
    return {**known, **new}
