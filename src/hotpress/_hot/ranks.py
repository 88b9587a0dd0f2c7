"""Pure decisions about one refresh of a hot list: positions and heat figures."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from hotpress._hot.model import RankEntry
from hotpress.types import ParsedEntry

# Multipliers of the unit written after a heat figure ("352 万热度", "1.2亿", "35k").
UNITS: dict[str, float] = {
    "万": 1e4,
    "w": 1e4,
    "W": 1e4,
    "亿": 1e8,
    "k": 1e3,
    "K": 1e3,
    "千": 1e3,
    "m": 1e6,
    "M": 1e6,
    "百万": 1e6,
}
_TAG = re.compile(r"<[^>]*>")


def check_heat(pattern: str) -> str:
    """The pattern if it compiles and has a ``value`` group; ValueError saying why if not."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from None
    if "value" not in compiled.groupindex:
        raise ValueError("needs a named group `value`, e.g. '(?P<value>[\\d.]+)\\s*万热度'")
    return pattern


@lru_cache(maxsize=64)
def compile_heat(pattern: str) -> re.Pattern[str]:
    return re.compile(check_heat(pattern))


def _unit(match: re.Match[str]) -> float:
    """The multiplier: the ``unit`` group if the pattern has one, else the unit written
    right after the value (inside the match)."""
    if "unit" in match.re.groupindex:
        written = (match.group("unit") or "").strip()
    else:
        written = match.string[match.end("value") : match.end()].lstrip()
    for unit in sorted(UNITS, key=len, reverse=True):
        if written.startswith(unit):
            return UNITS[unit]
    return 1.0


def parse_heat(pattern: re.Pattern[str], *texts: str) -> float | None:
    """The first heat figure the pattern finds in the texts (title first, then body)."""
    for text in texts:
        if not text:
            continue
        match = pattern.search(_TAG.sub(" ", text))
        if match is None:
            continue
        raw = (match.group("value") or "").replace(",", "")
        try:
            value = float(raw)
        except ValueError:
            continue
        return value * _unit(match)
    return None


def rank_entries(
    entries: Iterable[tuple[str, ParsedEntry]], heat: str | None = None
) -> tuple[RankEntry, ...]:
    """Positions of one refresh: 1-based in feed order, an identity's first entry counts
    (as the archive keeps the first). ``entries`` pairs each entry with its identity."""
    pattern = compile_heat(heat) if heat else None
    ranks: list[RankEntry] = []
    seen: set[str] = set()
    for identity, entry in entries:
        if identity in seen:
            continue
        seen.add(identity)
        figure = (
            parse_heat(pattern, entry.title, entry.content or entry.summary) if pattern else None
        )
        ranks.append(RankEntry(identity=identity, rank=len(ranks) + 1, heat=figure))
    return tuple(ranks)
