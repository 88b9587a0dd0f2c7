"""Word-group filters in TrendRadar's form (pure): which items are published.

::

    华为           <- a group: lines up to a blank line
    +手机          <- `+word`: must appear too
    !广告          <- `!word`: the item does not pass through this group
    /鸿蒙\\d+/      <- `/regex/`: a word given as a regular expression
    @5             <- at most 5 items pass through this group (per source and refresh)

    A股            <- another group

Words match the title, case-insensitively. An item passes when it matches a group: one of its
plain words (or regexes) appears — or it has only `+` words —, all its `+` words appear and
none of its `!` words do. A group made of `!` words only excludes its words everywhere; when
the filters hold only `!` words, every item that matches none of them passes. Caps count in
feed order, so on a hot list the best-ranked items pass first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from hotpress._storage.stage_rows import FilterStore as FilterStore
from hotpress.exceptions import HotpressError


class FilterSyntaxError(HotpressError, ValueError):
    """A filter line hotpress cannot read; ``line`` is 1-based within the filter text."""

    def __init__(self, message: str, line: int) -> None:
        self.line = line
        super().__init__(f"filter line {line}: {message}")


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    pattern: re.Pattern[str] | None = None

    def found(self, title: str) -> bool:
        if self.pattern is not None:
            return self.pattern.search(title) is not None
        return self.text in title


@dataclass(frozen=True, slots=True)
class Group:
    words: tuple[Word, ...] = ()
    required: tuple[Word, ...] = ()
    excluded: tuple[Word, ...] = ()
    cap: int | None = None

    @property
    def positive(self) -> bool:
        return bool(self.words or self.required)

    def matches(self, title: str) -> bool:
        if not self.positive:
            return False
        if self.words and not any(w.found(title) for w in self.words):
            return False
        if not all(w.found(title) for w in self.required):
            return False
        return not any(w.found(title) for w in self.excluded)


@dataclass(frozen=True, slots=True)
class Filters:
    groups: tuple[Group, ...] = ()
    excluded: tuple[Word, ...] = field(default_factory=tuple)
    """Words of `!`-only groups: they exclude an item whatever group it matches."""

    @property
    def empty(self) -> bool:
        return not self.groups and not self.excluded


def _word(text: str, line: int) -> Word:
    if len(text) >= 2 and text.startswith("/") and text.endswith("/"):
        try:
            return Word(text, re.compile(text[1:-1], re.IGNORECASE))
        except re.error as exc:
            raise FilterSyntaxError(f"bad regular expression {text}: {exc}", line) from None
    if not text:
        raise FilterSyntaxError("an empty word", line)
    return Word(text.casefold())


def parse_filters(text: str) -> Filters:
    """The filters in ``text``; FilterSyntaxError naming the line on a bad one."""
    groups: list[Group] = []
    excluded: list[Word] = []
    current: list[tuple[int, str]] = []

    def close() -> None:
        if not current:
            return
        words: list[Word] = []
        required: list[Word] = []
        out: list[Word] = []
        cap: int | None = None
        for line, raw in current:
            if raw.startswith("@"):
                if not raw[1:].isdigit() or int(raw[1:]) < 1:
                    raise FilterSyntaxError(f"expected @N with N ≥ 1 (got {raw!r})", line)
                cap = int(raw[1:])
            elif raw.startswith("+"):
                required.append(_word(raw[1:].strip(), line))
            elif raw.startswith("!"):
                out.append(_word(raw[1:].strip(), line))
            else:
                words.append(_word(raw, line))
        group = Group(tuple(words), tuple(required), tuple(out), cap)
        if group.positive:
            groups.append(group)
        else:
            excluded.extend(out)
        current.clear()

    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#"):
            continue
        if not stripped:
            close()
            continue
        current.append((number, stripped))
    close()
    return Filters(tuple(groups), tuple(excluded))


@lru_cache(maxsize=256)
def compiled(text: str) -> Filters:
    """``parse_filters`` once per text (the config's texts were checked when it was read)."""
    return parse_filters(text)


def held_back(texts: Sequence[str], titles: Sequence[tuple[str, str]]) -> dict[str, bool]:
    """identity -> held back, for (identity, title) in feed order (an identity's first
    entry decides)."""
    first: dict[str, str] = {}
    for identity, title in titles:
        first.setdefault(identity, title)
    verdicts = passing([compiled(t) for t in texts], list(first.values()))
    return {identity: not ok for identity, ok in zip(first, verdicts, strict=True)}


def _fold(title: str) -> str:
    return title.casefold()


def passing(filters: Sequence[Filters], titles: Iterable[str]) -> list[bool]:
    """For titles in feed order, whether each passes every one of ``filters`` (global and
    the source's own); caps count within this call."""
    active = [f for f in filters if not f.empty]
    used: list[list[int]] = [[0] * len(f.groups) for f in active]
    out: list[bool] = []
    for title in titles:
        folded = _fold(title)
        ok = True
        for f, counts in zip(active, used, strict=True):
            if any(w.found(folded) for w in f.excluded):
                ok = False
                break
            if not f.groups:
                continue
            through = False
            for i, group in enumerate(f.groups):
                if group.matches(folded) and (group.cap is None or counts[i] < group.cap):
                    counts[i] += 1
                    through = True
                    break
            if not through:
                ok = False
                break
        out.append(ok)
    return out
