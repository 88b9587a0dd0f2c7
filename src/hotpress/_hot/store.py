"""What hot lists need from the archive (kept for imports: the protocol lives in
``hotpress._storage.hot_rows``)."""

from hotpress._storage.hot_rows import HotStore

__all__ = ["HotStore"]
