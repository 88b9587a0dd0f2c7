"""Local image copies below an output's own path: ``/media/…`` with the site's prefix, and
for Hexo the ``root:`` of its ``_config.yml`` (a blog at ``https://user.github.io/blog/``
has ``root: /blog/``; Volantis prints ``headimg``/``thumbnail`` as they are, and Hexo leaves
the ``<img>`` of a raw HTML body alone, so ``/media/…`` there would miss the blog)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from hotpress._publish.writer import Writer
from hotpress.exceptions import PublishError

MARKER = ".hotpress-media-root"
"""In the posts folder: the prefix the posts were written with (Hexo skips dotfiles)."""
_ROOT_LINE = re.compile(r"^root:[ \t]*(.*?)[ \t]*$", re.MULTILINE)
_PREFIX = re.compile(r"(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*")


def local_media(text: str, prefix: str) -> str:
    """Local image copies (``images: local``) are written root-relative as ``/media/…``;
    an output below a path (``https://x.example/news/``) needs its prefix."""
    if not prefix or "/media/" not in text:
        return text
    if text.startswith("/media/"):
        return prefix + text
    return text.replace(' src="/media/', f' src="{prefix}/media/')


def hexo_prefix(posts: Path) -> str:
    """The path prefix of the Hexo site whose posts folder is ``posts`` (``source/_posts``):
    its ``_config.yml``'s ``root:`` without the final slash; "" for ``/``, for a site
    without that file, or for a value that is no plain path (written as it is, it could
    break out of the attribute or the front matter)."""
    config = posts.parent.parent / "_config.yml"
    try:
        text = config.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    found = _ROOT_LINE.search(text)
    if found is None:
        return ""
    try:
        value = yaml.safe_load(found.group(1) or "''")
    except yaml.YAMLError:
        return ""
    if not isinstance(value, str):
        return ""
    prefix = "/" + value.strip("/") if value.strip("/") else ""
    return prefix if _PREFIX.fullmatch(prefix) else ""


def written_prefix(posts: Path) -> str:
    """The prefix the posts were last written with ("" before this was recorded)."""
    try:
        fd = os.open(posts / MARKER, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with open(fd, encoding="utf-8") as handle:
            return handle.read().strip()
    except (OSError, UnicodeDecodeError):
        return ""


def record_prefix(posts: Path, prefix: str) -> None:
    """Remember ``prefix`` once every post has been written with it."""
    writer = Writer(posts)
    try:
        writer.write(MARKER, (prefix + "\n").encode("utf-8"))
    except PublishError:
        pass  # not recorded: the next run rewrites the posts again
    finally:
        writer.close()
