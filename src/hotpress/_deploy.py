"""Deployment helpers: the GitHub Actions workflow ``hotpress init --github-actions`` writes.

Two modes: ``hexo`` commits the new posts to the repository (a Hexo site builds from them),
``pages`` publishes hotpress's own built site to GitHub Pages. Both run hourly (and on
demand), restore the archive from the Actions cache and save it again, so the archive lives
across runs without being committed. The templates are plain files in ``data/deploy/``; the
few values that differ per project are filled in by name (``@CONFIG@``), never by a template
engine, because the workflow itself is full of ``${{ }}`` expressions.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from hotpress._publish.files import replace_file
from hotpress.config import Settings
from hotpress.exceptions import ConfigError, PublishError

Mode = Literal["hexo", "pages"]
WORKFLOW_PATH = Path(".github/workflows/hotpress.yml")
DEFAULT_PACKAGE = "hotpress"


@dataclass(frozen=True, slots=True)
class WorkflowValues:
    config: str
    database: str
    hexo_dir: str
    site_dir: str
    package: str = DEFAULT_PACKAGE


def _relative(path: Path, root: Path, what: str) -> str:
    try:
        rel = path.resolve().relative_to(root.resolve())
    except ValueError:
        raise ConfigError(
            f"{what} {path} is outside the repository {root}; the workflow can only use "
            "paths inside the checkout"
        ) from None
    return rel.as_posix()


def workflow_values(
    settings: Settings, repo: Path, package: str = DEFAULT_PACKAGE
) -> WorkflowValues:
    """The paths the workflow needs, relative to the repository root (the checkout)."""
    if isinstance(settings.database, str):
        raise ConfigError(
            "the GitHub Actions workflow keeps the archive as a file in the repository; "
            "`database:` names a PostgreSQL server: run hotpress where it can reach it"
            " (docs/deploy.md)",
            path=settings.path,
            key="database",
        )
    return WorkflowValues(
        config=_relative(settings.path, repo, "the config"),
        database=_relative(settings.database, repo, "the database"),
        hexo_dir=_relative(settings.hexo_dir, repo, "output.hexo") if settings.hexo_dir else "",
        site_dir=_relative(settings.site_dir, repo, "output.site") if settings.site_dir else "",
        package=package,
    )


def choose_mode(settings: Settings, pages: bool) -> Mode:
    if pages:
        if settings.site_dir is None:
            raise ConfigError(
                "--pages publishes the built site, but the config has no `output.site:`",
                path=settings.path,
                key="output.site",
            )
        return "pages"
    if settings.hexo_dir is None:
        raise ConfigError(
            "the workflow commits Hexo posts, but the config has no `output.hexo:` "
            "(add it, or use --pages to publish the built site)",
            path=settings.path,
            key="output.hexo",
        )
    return "hexo"


def render_workflow(mode: Mode, values: WorkflowValues) -> str:
    template = resources.files("hotpress").joinpath(f"data/deploy/github-{mode}.yml")
    text = template.read_text(encoding="utf-8")
    for name, value in (
        ("@CONFIG@", values.config),
        ("@DATABASE@", values.database),
        ("@HEXO_DIR@", values.hexo_dir),
        ("@SITE_DIR@", values.site_dir),
        ("@PACKAGE@", values.package),
    ):
        if '"' in value or "\n" in value:
            raise ConfigError(f"cannot put {value!r} into the workflow (quote or newline)")
        text = text.replace(name, value)
    return text


def write_workflow(repo: Path, text: str, *, force: bool = False) -> Path:
    """Write ``.github/workflows/hotpress.yml`` below ``repo``; never overwrite silently."""
    target = repo / WORKFLOW_PATH
    if target.exists() and not force:
        raise PublishError("already exists (use --force to overwrite)", path=target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        replace_file(target, text.encode("utf-8"))
    except OSError as exc:
        raise PublishError(f"cannot write the workflow: {exc}", path=target) from exc
    return target
