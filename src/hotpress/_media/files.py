"""The media store: downloaded images kept once by content (``<hash[:2]>/<hash>.<ext>``),
cover thumbnails beside them (``thumbs/<hash>.jpg``), and copies into the outputs.

Pillow reads every image before it is kept: its header gives the pixel size, and its
decompression-bomb guard (``Image.MAX_IMAGE_PIXELS``, warnings made errors) refuses an image
whose pixel count would blow up memory when decoded.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from hotpress.exceptions import MediaError

from .sniff import RASTER, sniff

if TYPE_CHECKING:
    from PIL import Image

T = TypeVar("T")

THUMB_SIZE = (400, 300)
"""The seed's picsum size (``/400/300``), used for ``headimg``/``thumbnail`` and site cards."""
MAX_PIXELS = 40_000_000
"""Images with more pixels are refused (about 160 MB decoded); Pillow's own guard
(``Image.MAX_IMAGE_PIXELS``, its warning made an error) stops worse ones while opening."""


@dataclass(frozen=True, slots=True)
class Inspected:
    hash: str
    ext: str
    type: str
    size: int
    width: int | None
    height: int | None


def inspect(data: bytes) -> Inspected:
    """What the bytes are, checked: a raster image by its magic bytes and one Pillow reads
    within the pixel limit; else a MediaError saying why."""
    ext = sniff(data)
    if ext is None:
        head = data[:64].lstrip().lower()
        what = "SVG" if b"<svg" in head or b"<?xml" in head else "HTML" if b"<" in head else ""
        raise MediaError(f"not a raster image{f' ({what})' if what else ''}")
    width: int | None
    height: int | None
    try:
        width, height = _open(data, lambda image: image.size)
    except (OSError, ValueError, SyntaxError) as exc:
        if ext != "avif":
            raise MediaError(f"unreadable {ext} image: {exc}") from None
        width = height = None  # a Pillow without AVIF: kept by its magic bytes alone
    if width is not None and height is not None and width * height > MAX_PIXELS:
        raise MediaError(f"too many pixels ({width}×{height}, limit {MAX_PIXELS:,})")
    return Inspected(
        hash=hashlib.sha256(data).hexdigest(),
        ext=ext,
        type=RASTER[ext],
        size=len(data),
        width=width,
        height=height,
    )


def _open(data: bytes, use: Callable[[Image.Image], T]) -> T:
    """Open with Pillow's decompression-bomb guard as an error at its first level too."""
    from PIL import Image  # imported on first use: most runs never read an image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return use(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaError(f"too many pixels (decompression bomb guard): {exc}") from None


def media_path(hash: str, ext: str) -> str:
    """An image's path below a media folder (and below ``/media/`` in the outputs)."""
    return f"{hash[:2]}/{hash}.{ext}"


def thumb_path(hash: str) -> str:
    return f"thumbs/{hash[:2]}/{hash}.jpg"


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def keep(root: Path, data: bytes, found: Inspected) -> str:
    """Store the bytes once by content; returns their path below ``root``."""
    rel = media_path(found.hash, found.ext)
    target = root / rel
    if not target.exists():
        _atomic_write(target, data)
    return rel


def make_thumb(root: Path, data: bytes, found: Inspected) -> str | None:
    """A 400×300 JPEG (centre crop) of a cover; ``None`` if Pillow cannot decode it."""
    rel = thumb_path(found.hash)
    target = root / rel
    if target.exists():
        return rel
    if found.width is None or found.width * (found.height or 0) > MAX_PIXELS:
        return None
    from PIL import ImageOps

    try:
        small = _open(data, lambda image: ImageOps.fit(image.convert("RGB"), THUMB_SIZE))
    except (OSError, ValueError, SyntaxError, MediaError, Warning):
        return None
    out = io.BytesIO()
    small.save(out, "JPEG", quality=82, optimize=True)
    _atomic_write(target, out.getvalue())
    return rel


def copy_missing(source: Path, target: Path) -> int:
    """Copy every file of the media store missing from an output's media folder (hard link
    when both are on one file system); returns how many were added."""
    added = 0
    if not source.is_dir():
        return 0
    for folder, _dirs, files in os.walk(source):
        rel = Path(folder).relative_to(source)
        for name in files:
            if name.startswith(".tmp-"):
                continue
            dest = target / rel / name
            if dest.exists():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(Path(folder) / name, dest)
            except OSError:
                fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
                os.close(fd)
                shutil.copyfile(Path(folder) / name, tmp)
                os.replace(tmp, dest)
            added += 1
    return added


def remove_media(roots: list[Path], hashes: list[str]) -> int:
    """Delete the files (and thumbnails) of these content hashes from the media store and
    the outputs' media folders; returns how many files went."""
    removed = 0
    for root in roots:
        for digest in hashes:
            if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
                continue  # never a path of our own making: leave it alone
            folder = root / digest[:2]
            candidates = [*folder.glob(f"{digest}.*"), root / thumb_path(digest)]
            for path in candidates:
                try:
                    path.unlink()
                except FileNotFoundError:
                    continue
                removed += 1
    return removed


def media_targets(hexo_dir: Path | None, site_dir: Path | None) -> list[Path]:
    """The outputs' media folders: ``media/`` in Hexo's ``source/`` (the folder above the
    posts folder, ``source/_posts``) and in the site; both serve it at ``/media/``."""
    targets = []
    if hexo_dir is not None:
        targets.append(hexo_dir.parent / "media")
    if site_dir is not None:
        targets.append(site_dir / "media")
    return targets
