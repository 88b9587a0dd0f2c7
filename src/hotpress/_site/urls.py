"""The site's URL scheme: pure functions from archive facts to paths.

- item: ``/items/<first 12 hex of the identity>.html`` (identity never changes, so neither
  does the URL; a prefix already taken by another item falls back to all 32 hex characters).
  A file, not a folder with an ``index.html``: one inode per item instead of two, which is
  a third of a full build's time on a slow disk. The path is decided once, stored in
  ``publications`` and never recomputed, so items published under the older
  ``/items/<hex>/`` scheme keep their URLs;
- category: ``/c/<slug>/<slug>/.../`` one slug per level: an ASCII level name becomes a
  lower-case slug (``GitHub Trending`` -> ``github-trending``), any other name the first
  8 hex of its SHA-1 (``知乎热榜`` -> ``c2f0...``), so no percent-encoded CJK appears.
  That is only the first choice: a folder another category path holds already (compared
  as a case-folding disk compares names) gets a hash suffix, and every folder is stored
  once given out (``slugs``), so a category keeps its URL forever;
- lists: the front page (``index.html``) shows the newest items; older ones live on numbered
  pages counted from the OLDEST (``page/1/`` holds the first ``per_page`` items ever), so a
  page's content never moves when items are added and only the newest pages change;
- archives: ``/archives/<yyyy>/`` and ``/archives/<yyyy>/<mm>/``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

_ASCII_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._\-]*")
_NON_SLUG = re.compile(r"[^a-z0-9]+")
SHORT_ID = 12


def item_file(identity: str, *, long: bool = False) -> str:
    return f"items/{identity if long else identity[:SHORT_ID]}.html"


def level_slug(name: str) -> str:
    if _ASCII_NAME.fullmatch(name):
        slug = _NON_SLUG.sub("-", name.lower()).strip("-")
        # "page" would clash with a list's own pagination folder.
        if slug and slug != "page":
            return slug
    return hashlib.sha1(name.encode()).hexdigest()[:8]


def category_dir(path: Sequence[str]) -> str:
    return "c/" + "/".join(level_slug(level) for level in path)


def list_page(base: str, page: int | None) -> str:
    """Output file of a list's front page (``page=None``) or numbered page, below ``base``."""
    prefix = f"{base}/" if base else ""
    return f"{prefix}index.html" if page is None else f"{prefix}page/{page}/index.html"


def href(relfile: str) -> str:
    """The root-relative URL of an output file (``a/index.html`` -> ``/a/``)."""
    if relfile == "index.html":
        return "/"
    if relfile.endswith("/index.html"):
        return "/" + relfile[: -len("index.html")]
    return "/" + relfile


def month_dir(year: int, month: int) -> str:
    return f"archives/{year:04d}/{month:02d}"
