"""Full-text search with Pagefind: a static index next to the site, searched in the browser.

Pagefind (from PyPI: ``pagefind[extended]``, which bundles the binary and segments Chinese)
indexes the item pages. It has no incremental mode, so it runs only when an item page changed;
its output goes to a scratch folder and then through the site's Writer, so unchanged index
files are not rewritten and nothing lands outside the site. Fragment files are named by their
content hash, so an existing one is known to be identical without reading it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from hotpress._publish.writer import Writer
from hotpress.exceptions import PublishError

BUNDLE = "pagefind"


def pagefind_binary() -> Path | None:
    try:
        from pagefind.service import _must_get_executable
    except ImportError:
        return None
    try:
        return Path(_must_get_executable())
    except Exception:
        return None


def build_index(root: Path, writer: Writer, *, language: str) -> bool:
    """Index ``root/items`` into ``root/pagefind`` through ``writer``. False: no Pagefind."""
    binary = pagefind_binary()
    if binary is None:
        return False
    with tempfile.TemporaryDirectory(prefix="hotpress-pagefind-") as scratch:
        command = [
            str(binary),
            "--site", str(root),
            "--glob", "items/**/*.html",
            "--output-path", scratch,
            "--force-language", language.split("-")[0].lower(),
            "--silent",
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise PublishError(f"pagefind failed: {done.stderr.strip()[-500:]}", path=root)
        _sync(Path(scratch), root / BUNDLE, writer)
    return True


def _sync(scratch: Path, target: Path, writer: Writer) -> None:
    wanted: set[str] = set()
    for path in scratch.rglob("*"):
        if not path.is_file():
            continue
        rel = path.relative_to(scratch).as_posix()
        wanted.add(rel)
        if rel.startswith("fragment/") and (target / rel).is_file():
            writer.unchanged += 1
            continue
        writer.write(f"{BUNDLE}/{rel}", path.read_bytes())
    # Old index chunks and fragments are garbage once the new entry file is in place.
    if target.is_dir():
        for path in target.rglob("*"):
            if path.is_file() and path.relative_to(target).as_posix() not in wanted:
                os.unlink(path)
