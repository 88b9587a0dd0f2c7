"""One Hexo post from one pending item: its bytes, its path, its file.

Used by the process that publishes and by the worker processes that write a share of a large
publish beside it (``_publish.parts``): each writes only posts of its own category folders,
so the names one chooses are never chosen by another.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path

from hotpress._publish.filenames import category_dir, post_filename
from hotpress._publish.folded import FoldedNames
from hotpress._publish.frontmatter import kept_lines
from hotpress._publish.hexo import render_post
from hotpress._publish.media_root import local_media
from hotpress._publish.theme_text import theme_text
from hotpress._publish.writer import Writer
from hotpress._storage.base import Pending, Publication, Storage

__all__ = ["OUTPUT", "Poster", "folder_of", "render_pending"]

OUTPUT = "hexo"


def render_pending(pending: Pending, kept: Sequence[str] = (), prefix: str = "") -> bytes:
    """The item's post; local images (``/media/…``) below the Hexo site's ``prefix``."""
    item = pending.item
    return render_post(
        title=item.title,
        categories=item.category,
        author=item.source_author,
        date=item.date,
        cover=local_media(item.cover, prefix) if item.cover else item.cover,
        identity=item.identity,
        body_html=local_media(item.content, prefix),
        kept=kept,
    )


def _rewrite(pending: Pending, data: bytes, path: str, prefix: str) -> bytes:
    """A published post rewritten (changed item, ``--force``): the front-matter keys that
    hotpress does not own (hexo-abbrlink's ``abbrlink:``, hand-added ``tags:``...) stay."""
    try:
        # Not through a symlink: the writer would not write through it either.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with open(fd, "rb") as handle:
            old = handle.read()
    except OSError:
        return data  # gone, unreadable or a link: written anew, as a new post would be
    kept = kept_lines(old)
    return render_pending(pending, kept, prefix) if kept else data


@functools.lru_cache(maxsize=4096)
def folder_of(category: tuple[str, ...]) -> str:
    """The category's folder as ``a/b/`` (empty for no category): names are joined onto it."""
    # Folders and file names become the post's URL under Hexo's default permalink, which
    # themes print in single-quoted attributes: named after the text the theme shows.
    folder = category_dir([theme_text(level) for level in category]).as_posix()
    return "" if folder == "." else folder + "/"


def _choose_path(
    pending: Pending,
    data: bytes,
    root: Path,
    names: FoldedNames,
    new_folders: dict[str, bool],
) -> str:
    """A new post's path: the title's name unless another item (or a file hotpress did not
    write) holds it, compared as a case-folding disk compares names (``folded``). A file
    holding exactly these bytes is this item's own post from a run that stopped before
    recording it, so it is reused rather than duplicated.

    ``new_folders`` remembers, per folder, whether it was missing when this run first came
    to it: then every file in it is this run's, all claimed in ``names``, and none is read."""
    item = pending.item
    folder = folder_of(item.category)
    new = new_folders.get(folder)
    if new is None:
        new = new_folders[folder] = not os.path.isdir(os.path.join(root, folder or "."))

    def taken(name: str) -> bool:
        rel = folder + name
        owner = names.owner(rel)  # recorded before, or chosen in this run
        if owner is not None:
            return owner != item.id
        if new:
            return False
        exact = names.on_disk(folder, name)
        if exact is None:
            return False
        if exact != name:  # another file the disk would take for this one
            return True
        try:
            with open(os.path.join(root, rel), "rb") as handle:
                return handle.read() != data
        except FileNotFoundError:
            return False
        except OSError:
            return True

    return folder + post_filename(theme_text(item.title), item.identity, taken)


class Poster:
    """Writes pending items as posts below ``root`` through ``writer``, choosing new posts'
    names against what ``storage`` records and what the disk holds."""

    def __init__(self, storage: Storage, root: Path, writer: Writer, prefix: str) -> None:
        self._root = root
        self._writer = writer
        self._prefix = prefix
        self._names = FoldedNames(lambda: storage.publication_paths(OUTPUT), str(root))
        self._new_folders: dict[str, bool] = {}

    def post(self, pending: Pending) -> Publication:
        """Write ``pending``'s post (raises ``PublishError``); what to record for it."""
        data = render_pending(pending, prefix=self._prefix)
        if pending.path:
            rel = pending.path
            data = _rewrite(pending, data, os.path.join(self._root, rel), self._prefix)
        else:
            rel = _choose_path(pending, data, self._root, self._names, self._new_folders)
        self._names.claim(rel, pending.item.id)
        self._writer.write(rel, data)
        return Publication(
            item_id=pending.item.id,
            revision=pending.item.revision,
            source_revision=pending.source_revision,
            path=rel,
        )
