"""Full-text search: hotpress's own static index, CJK-aware, searched in the browser.

Terms are CJK bigrams (``充电桩`` -> ``充电``, ``电桩``) and lower-case latin/digit words, so a
Chinese word anywhere in an item's title or body finds it without a dictionary. A term is a
32-bit key: a bigram is its two code points (``cp1 << 16 | cp2``, always >= 0x30400000), a
word the CRC-32 of its UTF-8 bytes below 0x30000000 (a rare CRC clash only adds a result).

The index is cut into *segments* of ``SEGMENT`` consecutive item ids; an old segment never
changes when items are added, so adding 50 items re-indexes only the newest segment. Inside a
segment, keys are spread over ``BUCKETS`` binary files by a multiplicative hash, so a query
fetches one small file per term and segment, never the whole index. The inversion (which
items hold which key) is one numpy sort per segment: a pure-Python loop over the ~1,000
distinct terms of every item cost ~1 ms per item, ten times the rest of the build.
``static/search.js`` computes the same keys and buckets; keep the two in step (``VERSION``
goes into every digest).

Layout under ``search-index/``: ``index.json`` (segments, newest first, with digests),
``<seg>/docs.json`` (url, title, date, category of each item, by position) and
``<seg>/<bucket>.bin``: ``u32 n``, ``u32 keys[n]`` (ascending), ``u32 ends[n]`` (end of each
key's run in the positions), then ``u16 positions`` (little-endian).
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from hotpress._site.text import plain_text

VERSION = 2
SEGMENT = 1000
"""Item ids per segment: ids ``k*SEGMENT .. (k+1)*SEGMENT-1`` form segment ``k`` (< 1024,
so a position fits the 10 bits it gets in the sort key)."""
BUCKETS = 128
FOLDER = "search-index"

_CJK_RANGES = (
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
)
"""Kana, Han (with extension A and compatibility ideographs), hangul: written without spaces."""
_CJK = re.compile("[" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in _CJK_RANGES) + "]{2,}")
_WORD = re.compile(r"[0-9a-z\u00e0-\u024f]+")
_WORD_MASK = 0x2FFFFFFF
_GOLDEN = 2654435761


def word_key(word: str) -> int:
    return zlib.crc32(word.encode()) & _WORD_MASK


def query_keys(text: str) -> set[int]:
    """The keys of a text, one at a time (what the browser does with a query)."""
    lowered = text.lower()
    found = {word_key(w) for w in _WORD.findall(lowered)}
    for run in _CJK.findall(lowered):
        found.update((ord(a) << 16) | ord(b) for a, b in pairwise(run))
    return found


def bucket(key: int) -> int:
    return ((key * _GOLDEN) & 0xFFFFFFFF) >> (32 - BUCKETS.bit_length() + 1)


def lookup(data: bytes, key: int) -> list[int]:
    """Positions holding ``key`` in one bucket file (the browser's lookup, for tests)."""
    count = int.from_bytes(data[:4], "little")
    keys = np.frombuffer(data, "<u4", count, 4)
    ends = np.frombuffer(data, "<u4", count, 4 + 4 * count)
    at = int(np.searchsorted(keys, key))
    if at == count or int(keys[at]) != key:
        return []
    start = int(ends[at - 1]) if at else 0
    positions = np.frombuffer(data, "<u2", offset=4 + 8 * count)
    return [int(p) for p in positions[start : int(ends[at])]]


@dataclass(frozen=True, slots=True)
class Doc:
    id: int
    url: str
    title: str
    date: str
    """``YYYY-MM-DD`` in the site's zone."""
    category: str
    text: str
    """Sanitized HTML of the body (made plain here)."""


def segment_of(item_id: int) -> int:
    return item_id // SEGMENT


def _is_cjk(points: npt.NDArray[np.uint32]) -> npt.NDArray[np.bool_]:
    mask = np.zeros(points.shape, dtype=bool)
    for low, high in _CJK_RANGES:
        mask |= (points >= low) & (points <= high)
    return mask


def _postings(texts: list[str]) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """(key, position) of every distinct term of every text, sorted by key then position."""
    joined = "\n".join(texts)  # a newline is neither CJK nor a word: no term spans two texts
    points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    owner = np.repeat(np.arange(len(texts), dtype=np.uint64), lengths + 1)[: len(points)]
    cjk = _is_cjk(points)
    pair = cjk[:-1] & cjk[1:]
    keys = [(points[:-1][pair].astype(np.uint64) << np.uint64(16)) | points[1:][pair]]
    owners = [owner[:-1][pair]]
    for position, text in enumerate(texts):
        words = set(_WORD.findall(text))
        if words:
            crcs = np.fromiter(map(zlib.crc32, map(str.encode, words)), np.uint64, len(words))
            keys.append(crcs & np.uint64(_WORD_MASK))
            owners.append(np.full(len(words), position, dtype=np.uint64))
    combined = (np.concatenate(keys) << np.uint64(10)) | np.concatenate(owners)
    # sort + neighbour compare: np.unique's hash path is several times slower here.
    combined.sort()
    if len(combined):
        combined = combined[np.concatenate(([True], combined[1:] != combined[:-1]))]
    return combined >> np.uint64(10), combined & np.uint64(0x3FF)


def segment_files(segment: int, docs: Iterable[Doc]) -> Iterator[tuple[str, bytes]]:
    """The files of one segment: ``docs.json`` and every bucket (empty ones too, so the set
    of files never depends on the content and nothing has to be deleted)."""
    ordered = sorted(docs, key=lambda d: d.id)
    folder = f"{FOLDER}/{segment}"
    yield f"{folder}/docs.json", _json([[d.url, d.title, d.date, d.category] for d in ordered])
    texts = [f"{d.title} {d.category} {plain_text(d.text)}".lower() for d in ordered]
    keys, positions = _postings(texts) if texts else (np.zeros(0, np.uint64),) * 2
    buckets = ((keys * np.uint64(_GOLDEN)) & np.uint64(0xFFFFFFFF)) >> np.uint64(
        32 - BUCKETS.bit_length() + 1
    )
    order = np.argsort(buckets, kind="stable")  # stable: keys stay sorted inside a bucket
    keys, positions, buckets = keys[order], positions[order], buckets[order]
    bounds = np.searchsorted(buckets, np.arange(BUCKETS + 1, dtype=np.uint64))
    for number in range(BUCKETS):
        part = slice(int(bounds[number]), int(bounds[number + 1]))
        yield f"{folder}/{number}.bin", _bucket_file(keys[part], positions[part])


def _bucket_file(keys: npt.NDArray[np.uint64], positions: npt.NDArray[np.uint64]) -> bytes:
    if len(keys):
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        ends = np.append(starts[1:], len(keys))
        distinct = keys[starts]
    else:
        ends = distinct = np.zeros(0, np.uint64)
    return b"".join(
        (
            len(distinct).to_bytes(4, "little"),
            distinct.astype("<u4").tobytes(),
            ends.astype("<u4").tobytes(),
            positions.astype("<u2").tobytes(),
        )
    )


def manifest(digests: Mapping[int, str]) -> bytes:
    """``index.json``: the segments the browser searches, newest first, with a short digest
    each (query string for the files, so a browser cache never mixes two versions)."""
    return _json(
        {
            "version": VERSION,
            "buckets": BUCKETS,
            "segments": [[k, digests[k][:10]] for k in sorted(digests, reverse=True)],
        }
    )


class SegmentDigests:
    """Digests of every segment from one pass over the archive order (no content read)."""

    def __init__(self, salt: str) -> None:
        self.salt = f"{salt}\0search{VERSION}".encode()
        self._hashes: dict[int, hashlib._Hash] = {}
        self.ids: dict[int, list[int]] = defaultdict(list)

    def add(self, item_id: int, revision: int, source_revision: int) -> None:
        segment = item_id // SEGMENT
        digest = self._hashes.get(segment)
        if digest is None:
            digest = self._hashes[segment] = hashlib.sha1(self.salt)
        digest.update(b"%d,%d,%d;" % (item_id, revision, source_revision))
        self.ids[segment].append(item_id)

    def digests(self) -> dict[int, str]:
        return {k: h.hexdigest() for k, h in self._hashes.items()}


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


__all__ = [
    "BUCKETS",
    "FOLDER",
    "SEGMENT",
    "Doc",
    "SegmentDigests",
    "bucket",
    "lookup",
    "manifest",
    "query_keys",
    "segment_files",
    "segment_of",
    "word_key",
]
