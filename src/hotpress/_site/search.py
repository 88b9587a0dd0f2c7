"""Full-text search: hotpress's own static index, CJK-aware, searched in the browser.

Terms are CJK bigrams (``充电桩`` -> ``充电``, ``电桩``), lower-case latin/digit words and,
in titles only, single CJK characters. A term is a 32-bit key: a bigram is its two code
points (``cp1 << 16 | cp2``, always >= 0x30400000), a single character ``0x30000000 | cp``,
a word the CRC-32 of its UTF-8 bytes below 0x30000000 (a rare CRC clash only adds a
candidate, which the browser then drops: it checks every candidate against its stored text).

What is indexed, and stored for that check and the snippet, is an item's title, category and
the first ``LEAD`` characters of its body text. A term's postings are the ids of the items
holding it, newest (highest id) first, each with a bit saying "in the title". Terms are spread
over shard files by a multiplicative hash of the key; a shard holds, for each of its terms,
the count and the first ``PAGE`` postings, so a query reads one small file per term however
large the archive; further postings sit in ``more`` pages read only when the reader asks.
``static/search.js`` computes the same keys and shards and decodes the same layout; keep the
two in step (``VERSION`` goes into every digest). The layout of the index as a whole (a base
level, a small delta level and the item records) is in ``searchindex.py``; writing a level's
shards in bounded memory in ``searchlevel.py``.

Shard file (little-endian): ``u32 n``, ``u32 keys[n]`` (ascending), ``u32 counts[n]`` (the
term's postings in the level), ``u32 ends[n]`` (end of each term's bytes in the data), then
the data: per term, varints ``id*2+title`` for its first posting and ``(previous id -
id)*2+title`` for the next ones.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from hotpress._site.text import plain_text

VERSION = 3
FOLDER = "search-index"
LEAD = 160
"""Body characters indexed and stored per item (after the title and category)."""
PAGE = 512
"""Postings per term in its shard (the newest); the rest go to ``more`` pages."""
MORE = 8192
"""Postings per term in each further page."""

_CJK_RANGES = (
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
)
"""Kana, Han (with extension A and compatibility ideographs), hangul: written without spaces."""
_CJK_CLASS = "[" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in _CJK_RANGES) + "]"
_CJK = re.compile(_CJK_CLASS + "+")
_WORD = re.compile(r"[0-9a-z\u00e0-\u024f]+")
_WORD_MASK = 0x2FFFFFFF
_CHAR = 0x30000000
GOLDEN = 2654435761
_U64 = npt.NDArray[np.uint64]


def word_key(word: str) -> int:
    return zlib.crc32(word.encode()) & _WORD_MASK


def category_keys(path: str) -> list[int]:
    """The keys of a category path and its ancestors (``a / b`` -> ``a``, ``a / b``): the
    category filter is one more term of the query."""
    names = path.split(" / ")
    return [word_key("\0c" + " / ".join(names[: i + 1])) for i in range(len(names)) if path]


def query_keys(text: str) -> set[int]:
    """The keys a query looks up: its words and bigrams, and a lone CJK character's key."""
    lowered = text.lower()
    found = {word_key(w) for w in _WORD.findall(lowered)}
    for run in _CJK.findall(lowered):
        if len(run) == 1:
            found.add(_CHAR | ord(run))
        found.update((ord(a) << 16) | ord(b) for a, b in pairwise(run))
    return found


def shard_of(key: int, shards: int) -> int:
    """The shard of ``key`` among ``shards`` (a power of two)."""
    bits = shards.bit_length() - 1
    return ((key * GOLDEN) & 0xFFFFFFFF) >> (32 - bits) if bits else 0


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

    def lead(self) -> str:
        return plain_text(self.text)[:LEAD]

    def record(self) -> list[object]:
        """What the browser gets: ``[id, url, title, date, category, lead]``."""
        return [self.id, self.url, self.title, self.date, self.category, self.lead()]


def _is_cjk(points: npt.NDArray[np.uint32]) -> npt.NDArray[np.bool_]:
    mask = np.zeros(points.shape, dtype=bool)
    for low, high in _CJK_RANGES:
        mask |= (points >= low) & (points <= high)
    return mask


def _terms(texts: list[str], *, chars: bool) -> tuple[_U64, _U64]:
    """(key, position) of the terms of every text (repeats included)."""
    joined = "\n".join(texts)  # a newline is neither CJK nor a word: no term spans two texts
    points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    owner = np.repeat(np.arange(len(texts), dtype=np.uint64), lengths + 1)[: len(points)]
    cjk = _is_cjk(points)
    pair = cjk[:-1] & cjk[1:]
    keys = [(points[:-1][pair].astype(np.uint64) << np.uint64(16)) | points[1:][pair]]
    owners = [owner[:-1][pair]]
    if chars:
        keys.append(points[cjk].astype(np.uint64) | np.uint64(_CHAR))
        owners.append(owner[cjk])
    for position, text in enumerate(texts):
        words = set(_WORD.findall(text))
        if words:
            crcs = np.fromiter(map(zlib.crc32, map(str.encode, words)), np.uint64, len(words))
            keys.append(crcs & np.uint64(_WORD_MASK))
            owners.append(np.full(len(words), position, dtype=np.uint64))
    return np.concatenate(keys), np.concatenate(owners)


def postings(docs: list[tuple[int, str, str, str]]) -> _U64:
    """The postings of ``(id, title, rest, category path)`` (texts already lower-cased),
    packed ``key << 32 | (0x7FFFFFFF - id) << 1 | not-in-title``, sorted: by key, newest
    first (see ``unpack``)."""
    if not docs:
        return np.zeros(0, np.uint64)
    ids = np.array([d[0] for d in docs], dtype=np.uint64)
    title_keys, title_owner = _terms([d[1] for d in docs], chars=True)
    rest_keys, rest_owner = _terms([d[2] for d in docs], chars=False)
    paths: dict[str, list[int]] = {}
    cats = [paths.setdefault(d[3], category_keys(d[3])) for d in docs]
    rest_keys = np.concatenate((rest_keys, np.array([k for c in cats for k in c], np.uint64)))
    rest_owner = np.concatenate(
        (rest_owner, np.repeat(np.arange(len(docs), dtype=np.uint64), [len(c) for c in cats]))
    )
    # key | inverted id | not-in-title: one sort orders by key, newest first, title first.
    inverted = np.uint64(0x7FFFFFFF) - ids
    packed = np.concatenate(
        (
            (title_keys << np.uint64(32)) | (inverted[title_owner] << np.uint64(1)),
            (rest_keys << np.uint64(32)) | (inverted[rest_owner] << np.uint64(1)) | np.uint64(1),
        )
    )
    packed.sort()  # sort + neighbour compare: np.unique's hash path is slower here
    if len(packed):
        head = packed >> np.uint64(1)
        packed = packed[np.concatenate(([True], head[1:] != head[:-1]))]
    return packed


def unpack(packed: _U64) -> tuple[_U64, _U64, _U64]:
    """(keys, ids, in-title) of packed postings."""
    return (
        packed >> np.uint64(32),
        np.uint64(0x7FFFFFFF) - ((packed >> np.uint64(1)) & np.uint64(0x7FFFFFFF)),
        np.uint64(1) - (packed & np.uint64(1)),
    )


def read_shard(data: bytes, key: int) -> tuple[int, list[tuple[int, bool]]]:
    """``(count, [(id, in title), ...])`` of ``key`` in one shard file (the browser's
    lookup, for tests)."""
    n = int.from_bytes(data[:4], "little")
    keys = np.frombuffer(data, "<u4", n, 4)
    at = int(np.searchsorted(keys, key))
    if at == n or int(keys[at]) != key:
        return 0, []
    counts = np.frombuffer(data, "<u4", n, 4 + 4 * n)
    ends = np.frombuffer(data, "<u4", n, 4 + 8 * n)
    base = 4 + 12 * n
    pos, end = base + (int(ends[at - 1]) if at else 0), base + int(ends[at])
    found: list[tuple[int, bool]] = []
    while pos < end:
        value = shift = 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        ident = value >> 1 if not found else found[-1][0] - (value >> 1)
        found.append((ident, bool(value & 1)))
    return int(counts[at]), found


__all__ = [
    "FOLDER",
    "LEAD",
    "MORE",
    "PAGE",
    "Doc",
    "category_keys",
    "postings",
    "query_keys",
    "read_shard",
    "shard_of",
    "unpack",
    "word_key",
]
