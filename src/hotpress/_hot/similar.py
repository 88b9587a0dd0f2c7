"""Whether two hot-list titles tell the same story (pure).

Titles of one event differ a lot across lists: a Zhihu question ("如何评价全红婵东京奥运会
跳水夺冠？"), a Weibo hashtag ("#全红婵夺冠#"), a news headline ("14岁全红婵获东京奥运会女子10米台
冠军"). Chinese has no spaces to split words on, so titles are compared as sets of character
bigrams after NFKC folding, dropping punctuation and the question templates of Q&A lists
("如何看待", "怎么看", "为什么", …). The score is the geometric mean of the overlap
coefficient ``|A ∩ B| / min(|A|, |B|)`` (a short hashtag inside a long headline scores high,
where Dice alone punishes the length difference) and Dice (a place name two different
stories share counts less); two titles sharing fewer than two bigrams never match. Measured
against Dice, the overlap coefficient alone and rapidfuzz on tests/data/story_pairs.tsv
(docs/benchmarks.md, `python -m bench.story_similarity`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

# Question and headline templates that say nothing about the event.
_FILLERS = re.compile(
    "如何看待|如何评价|怎么看待|怎么评价|怎样看待|你怎么看|怎么看|如何理解|意味着什么|说明了什么|"
    "为什么|为何|怎么样|有哪些|是什么"
)
_KEEP = re.compile(r"[0-9a-z\u3400-\u9fff]+")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def shingles(title: str) -> frozenset[str]:
    """The title's character bigrams (a one-character title: itself)."""
    text = unicodedata.normalize("NFKC", title).casefold()
    text = _FILLERS.sub(" ", text)
    # Spaces inside a title are typography ("A 股", "6 月"), not word breaks.
    parts = _KEEP.findall(_SPACES.sub("", text))
    grams: set[str] = set()
    for part in parts:
        if len(part) == 1:
            grams.add(part)
        grams.update(part[i : i + 2] for i in range(len(part) - 1))
    return frozenset(grams)


DEFAULT_THRESHOLD = 0.25
"""Best F1 on tests/data/story_pairs.tsv is at 0.18; the default is stricter (precision
0.91, recall 0.88 there), because a wrong "也在" misleads where a missing one only omits."""

MIN_SHARED = 2
"""Fewer shared bigrams than this is no match, however short the titles (one common word
such as 中国 is not a story)."""


def similarity(a: str, b: str) -> float:
    """0 (nothing shared) … 1 (the same bigrams): the geometric mean of the overlap
    coefficient (a short title inside a long one scores high) and Dice (which a place name
    shared by two long titles does not lift much)."""
    x, y = shingles(a), shingles(b)
    shared = len(x & y)
    if shared < MIN_SHARED:
        return 0.0
    return math.sqrt(shared / min(len(x), len(y)) * 2 * shared / (len(x) + len(y)))
