"""One level of the search index written as shard files, in bounded memory.

The postings of a level come in packed parts (``search.postings``, one per segment). Each part
is split by the top bits of its keys' shard hash into *groups* that are spilled to temporary
files, so at most one group is in memory while it is sorted and encoded: the base level of
100,000 items holds ~20 million postings (160 MB packed), a group ~1 million. A first pass
over the groups counts terms and head postings, which fixes the shard count (the power of
two giving ``SHARD_BYTES`` per shard); the second pass writes the shards of each group (a
group's shards are contiguous, as the shard is the top bits of the same hash).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hotpress._site import search
from hotpress._site.search import GOLDEN

SHARD_BYTES = 12_000
"""About this many bytes per shard file: the shard count is the power of two that gives it."""
GROUP_POSTINGS = 1 << 20
"""About this many postings per group held in memory at once."""
_U64 = npt.NDArray[np.uint64]
_EMPTY = (0).to_bytes(4, "little")


def shard_count(entries: int, terms: int) -> int:
    estimate = entries * 2 + terms * 12
    shards = 1
    while shards * SHARD_BYTES < estimate and shards < 1 << 20:
        shards *= 2
    return shards


def _hash(keys: _U64) -> _U64:
    return (keys * np.uint64(GOLDEN)) & np.uint64(0xFFFFFFFF)


class Level:
    """The files of one level; ``shards`` is known once the parts are in (``__init__``)."""

    def __init__(self, parts: Iterable[_U64], prefix: str, *, total: int) -> None:
        """``total``: about how many postings the parts hold (it sets the group count)."""
        self.prefix = prefix
        self._bits = 0
        while (1 << self._bits) * GROUP_POSTINGS < total and self._bits < 10:
            self._bits += 1
        self._tmp = tempfile.TemporaryDirectory(prefix="hotpress-search-")
        folder = Path(self._tmp.name)
        self._paths = [folder / f"{g}.u64" for g in range(1 << self._bits)]
        handles = [path.open("wb") for path in self._paths]
        try:
            for part in parts:
                group = _hash(part >> np.uint64(32)) >> np.uint64(32 - self._bits)
                order = np.argsort(group, kind="stable")
                bounds = np.searchsorted(group[order], np.arange((1 << self._bits) + 1))
                for g, (a, b) in enumerate(pairwise(bounds.tolist())):
                    if b > a:
                        handles[g].write(part[order[a:b]].tobytes())
        finally:
            for handle in handles:
                handle.close()
        heads = terms = 0
        for g in range(len(self._paths)):
            keys = np.sort(self._load(g)) >> np.uint64(32)
            if len(keys):
                starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
                lengths = np.diff(np.append(starts, len(keys)))
                heads += int(np.minimum(lengths, search.PAGE).sum())
                terms += len(starts)
        self.shards = max(shard_count(heads, terms), 1 << self._bits)

    def _load(self, group: int) -> _U64:
        return np.fromfile(self._paths[group], dtype=np.uint64)

    def files(self) -> Iterator[tuple[str, bytes]]:
        """Every shard (empty ones too) and its further pages, group by group."""
        try:
            per_group = self.shards >> self._bits
            for g in range(len(self._paths)):
                packed = np.sort(self._load(g))
                written = _group_files(packed, self.prefix, self.shards)
                for number in range(g * per_group, (g + 1) * per_group):
                    name = f"{self.prefix}{number}.bin"
                    yield name, written.pop(name, _EMPTY)
                yield from written.items()
        finally:
            self._tmp.cleanup()


def _group_files(packed: _U64, prefix: str, shards: int) -> dict[str, bytes]:
    """The shard files holding these postings (sorted packed: by key, newest first)."""
    keys, ids, title = search.unpack(packed)
    del packed
    count = len(keys)
    if not count:
        return {}
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    lengths = np.diff(np.append(starts, count))
    run_of = np.repeat(np.arange(len(starts)), lengths)
    rank = np.arange(count) - starts[run_of]
    totals = lengths[run_of]
    bits = shards.bit_length() - 1
    shard = _hash(keys) >> np.uint64(32 - bits) if bits else np.zeros(count, np.uint64)
    page = np.where(rank < search.PAGE, 0, (rank - search.PAGE) // search.MORE + 1)
    group = (shard << np.uint64(24)) | page.astype(np.uint64)
    order = np.argsort(group, kind="stable")  # stable: by key, newest first inside a group
    keys, ids, title, totals, group = (a[order] for a in (keys, ids, title, totals, group))
    term_start = np.concatenate(([True], (keys[1:] != keys[:-1]) | (group[1:] != group[:-1])))
    previous = np.concatenate(([np.uint64(0)], ids[:-1]))
    gap = np.where(term_start, ids, previous - np.minimum(previous, ids))
    data, sizes = _varints(gap * np.uint64(2) + title)
    byte_end = np.cumsum(sizes)
    firsts = np.flatnonzero(term_start)
    lasts = np.append(firsts[1:], count) - 1
    heads = group[firsts]
    bounds = np.flatnonzero(np.concatenate(([True], heads[1:] != heads[:-1])))
    files: dict[str, bytes] = {}
    for a, b in pairwise([*bounds.tolist(), len(firsts)]):
        g = int(heads[a])
        number, pg = g >> 24, g & 0xFFFFFF
        low = int(byte_end[firsts[a]] - sizes[firsts[a]])
        ends = byte_end[lasts[a:b]] - low
        name = f"{prefix}{number}.bin" if pg == 0 else f"{prefix}more/{number}-{pg}.bin"
        files[name] = _shard_file(keys[firsts[a:b]], totals[firsts[a:b]], ends, data, low)
    return files


def _varints(values: _U64) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """LEB128 bytes of every value, and each value's byte length."""
    sizes = np.ones(len(values), np.int64)
    for bits in (7, 14, 21, 28):
        sizes += values >= np.uint64(1 << bits)
    starts = np.cumsum(sizes) - sizes
    out = np.zeros(int(sizes.sum()), np.uint8)
    for index in range(5):
        has = sizes > index
        part = (values[has] >> np.uint64(7 * index)) & np.uint64(0x7F)
        more = (sizes[has] > index + 1).astype(np.uint64) << np.uint64(7)
        out[starts[has] + index] = (part | more).astype(np.uint8)
    return out, sizes


def _shard_file(
    keys: _U64,
    counts: npt.NDArray[Any],
    ends: npt.NDArray[np.int64],
    data: npt.NDArray[np.uint8],
    low: int,
) -> bytes:
    return b"".join(
        (
            len(keys).to_bytes(4, "little"),
            keys.astype("<u4").tobytes(),
            counts.astype("<u4").tobytes(),
            ends.astype("<u4").tobytes(),
            data[low : low + int(ends[-1])].tobytes(),
        )
    )


def level_files(
    parts: Iterable[_U64], prefix: str, *, total: int = 0
) -> tuple[int, list[tuple[str, bytes]]]:
    """The shard count and every file of a level (small levels and tests)."""
    level = Level(parts, prefix, total=total)
    return level.shards, list(level.files())


__all__ = ["GROUP_POSTINGS", "SHARD_BYTES", "Level", "level_files", "shard_count"]
