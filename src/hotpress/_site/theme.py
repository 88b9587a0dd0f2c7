"""The theme: bundled Jinja2 templates and static files, overridable file by file.

A user's ``site.theme`` folder may hold ``templates/`` and ``static/``; a file there replaces
the bundled file of the same name (Jinja2 ChoiceLoader for templates, a merge for static).
The theme's fingerprint goes into every page digest so a template edit rebuilds the pages.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import jinja2

from hotpress._site.feeds import FORMATS

BUNDLED = Path(__file__).resolve().parent


def _folders(theme: Path | None, kind: str) -> list[Path]:
    folders = [BUNDLED / kind]
    if theme is not None and (theme / kind).is_dir():
        folders.insert(0, theme / kind)
    return folders


def make_env(theme: Path | None) -> jinja2.Environment:
    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(str(folder)) for folder in _folders(theme, "templates")]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        # One build never sees a template change: skip the per-render file check.
        auto_reload=False,
    )
    env.globals["feed_formats"] = FORMATS
    return env


def static_files(theme: Path | None) -> Iterator[tuple[str, Path]]:
    """(relative path, file) of every static file, a user's file winning over the bundled."""
    seen: set[str] = set()
    for folder in _folders(theme, "static"):
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder).as_posix()
            if path.is_file() and rel not in seen and not rel.startswith("."):
                seen.add(rel)
                yield rel, path


def fingerprint(theme: Path | None) -> str:
    digest = hashlib.sha1()
    for kind in ("templates", "static"):
        for folder in _folders(theme, kind):
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
                    digest.update(path.read_bytes())
    return digest.hexdigest()
