"""hotpress's own static site: pages, feeds, sitemap and search built from the archive.

Imports are deferred so importing a light module of the site (its row types now live in
``hotpress._storage.site_rows``) does not pull in the renderer.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hotpress._progress import Progress
    from hotpress._publish.report import OutputReport
    from hotpress._site.build import SiteStorage
    from hotpress.config import Settings

__all__ = ["build_site", "serve"]


def build_site(
    settings: Settings,
    storage: SiteStorage,
    *,
    progress: Progress | None = None,
    now: datetime | None = None,
    force: bool = False,
) -> OutputReport:
    """Write the site to ``settings.site_dir``: only pages whose content changed."""
    from hotpress._site.build import build_site as build

    if settings.images.mode == "local" and settings.media_dir and settings.site_dir:
        from hotpress._media.files import copy_missing

        # The kept images the pages point at (``/media/…``), from the archive's store.
        copy_missing(settings.media_dir, settings.site_dir / "media")

    return build(settings, storage, progress=progress, now=now, force=force)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, **options: Any) -> None:
    """Build, serve the site folder over HTTP and rebuild when the archive changes."""
    from hotpress._site.serve import serve as run

    run(settings, host=host, port=port, **options)
