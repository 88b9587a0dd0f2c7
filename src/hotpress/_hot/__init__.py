"""Hot lists as first-class: where an item stands, how long it stays (issue 15).

``ranks`` reads a refresh's positions and heat figures (pure); ``model`` holds the value
objects the archive returns; the archive side lives in ``hotpress._storage.hot_sqlite``.
"""

from __future__ import annotations

from hotpress._hot.model import HotEntry, RankEntry
from hotpress._hot.ranks import compile_heat, parse_heat, rank_entries

__all__ = ["HotEntry", "RankEntry", "compile_heat", "parse_heat", "rank_entries"]
