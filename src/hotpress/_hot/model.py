"""Value objects of hot lists (kept for imports: they live in ``hotpress._storage.hot_rows``)."""

from hotpress._storage.hot_rows import HotEntry, RankEntry

__all__ = ["HotEntry", "RankEntry"]
