"""Kept for imports from before issue 13: the site's rows now live in the storage stage."""

from hotpress._storage.site_rows import (
    Fingerprint,
    Neighbor,
    OrderRow,
    SitemapRow,
    SiteSource,
    SiteStore,
)

__all__ = ["Fingerprint", "Neighbor", "OrderRow", "SiteSource", "SiteStore", "SitemapRow"]
