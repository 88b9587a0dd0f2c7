"""The same story on several hot lists: grouping items as they arrive.

After a hot list's refresh, each item it holds that has no story yet is compared with the
items other hot lists held within the window (``stories.window_hours``); it joins the story
of the most similar one at or above ``stories.threshold`` (``_hot.similar``), else it starts
its own. A story is never split or merged afterwards: assignment is incremental and stable,
so pages that show it do not flicker.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from hotpress._hot.similar import similarity
from hotpress._storage.stage_rows import Peer as Peer
from hotpress._storage.stage_rows import StoryStore as StoryStore
from hotpress._storage.stage_rows import Titled as Titled


def assign_stories(
    storage: StoryStore, source_key: str, *, now: datetime, threshold: float, window_hours: int
) -> int:
    """Give every new item of the list a story; how many joined another list's story."""
    new = storage.story_unassigned(source_key)
    if not new:
        return 0
    pool = storage.story_pool(source_key, now - timedelta(hours=window_hours))
    assigned: list[tuple[int, int, float]] = []
    joined = 0
    for item in new:
        best: tuple[float, int] | None = None
        for other in pool:
            score = similarity(item.title, other.title)
            if score >= threshold and (best is None or score > best[0]):
                best = (score, other.story if other.story is not None else other.item_id)
        if best is None:
            assigned.append((item.item_id, item.item_id, 1.0))
        else:
            assigned.append((item.item_id, best[1], best[0]))
            joined += 1
    storage.story_assign(assigned)
    return joined


def also_in(peers: Sequence[Peer]) -> str:
    """ "微博热搜 #3 · 百度热搜 #7" (an item off its list: "最高 #K")."""
    return " · ".join(
        f"{p.list_name} #{p.rank}" if p.rank is not None else f"{p.list_name} 最高 #{p.peak}"
        for p in peers
    )
