"""The search index as a whole, kept up to date build after build.

Layout under ``search-index/``:

- ``index.json``: what the browser reads first: the levels (shard count and tag each), the
  item-record chunk size, a short tag per segment (for the records' cache) and the tag of
  ``cats.bin``.
- ``cats.bin``: gzip'd JSON list of the category paths, read only when the reader opens the
  category filter (a site of many sources has thousands: ~660 KB for the benchmark's 20,000
  at 1,000,000 items, more than a whole query may cost).
- ``b/``: the *base* level, postings of every item as of its last merge (``search.py``).
- ``d/``: the *delta* level, postings of the items of every segment that changed since
  (new items, edited items, items of a renamed source). Rebuilt whole when it changes; when
  it holds more than ``MERGE`` items, the base is rebuilt from all items instead and the
  delta is empty. A base posting of an edited or removed item is stale, not wrong: the
  browser checks every candidate against its current record.
- ``docs/<id // DOCS>.bin``: gzip'd JSON records ``[id, url, title, date, category, lead]``
  of ``DOCS`` consecutive item ids, rewritten with their segment.

A segment is ``SEGMENT`` consecutive item ids; its digest (of its items' revisions) says
whether anything in it changed, without reading any item.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from hotpress._site import search
from hotpress._site.search import Doc
from hotpress._site.searchlevel import Level

SEGMENT = 1000
DOCS = 10
"""Item records per chunk file (divides ``SEGMENT``)."""
MERGE = 2000
"""Items the delta level may hold before the base is rebuilt."""
FOLDER = search.FOLDER
_HTML_CUT = 1500
_POSTINGS_PER_ITEM = 250
"""About how many postings an item gives (title, category and a 160-character lead)."""


class Segments(Protocol):
    """Every segment's digest and item ids (``SegmentDigests``, or a tail build's)."""

    @property
    def ids(self) -> Mapping[int, list[int]]: ...

    def digests(self) -> dict[int, str]: ...


class SegmentDigests:
    """Digests of every segment from one pass over the archive order (no content read)."""

    def __init__(self, salt: str) -> None:
        self.salt = f"{salt}\0search{search.VERSION}".encode()
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


Record = tuple[int, str, str, str, str, str]
"""What the browser gets of an item: ``(id, url, title, date, category, lead)``."""


def record(doc: Doc) -> Record:
    return doc.id, doc.url, doc.title, doc.date, doc.category, lead(doc)


def texts(rec: Record) -> tuple[int, str, str, str]:
    """What is indexed of an item: ``(id, title, category + lead, category)``, the texts
    lower-cased."""
    return rec[0], rec[2].lower(), f"{rec[4]}\n{rec[5]}".lower(), rec[4]


def lead(doc: Doc) -> str:
    """The first ``LEAD`` characters of the body text, reading only as much HTML as needed."""
    cut = doc.text[:_HTML_CUT]
    if len(cut) < len(doc.text):
        lt = cut.rfind("<")
        if lt > cut.rfind(">"):
            cut = cut[:lt]
        short = Doc(doc.id, doc.url, doc.title, doc.date, doc.category, cut).lead()
        if len(short) >= search.LEAD:
            return short
    return doc.lead()


def chunk_files(segment: int, records: Iterable[Record]) -> list[tuple[str, bytes]]:
    """Every record chunk of one segment (empty ones too: an item may have gone)."""
    chunks: dict[int, list[Record]] = {
        c: [] for c in range(segment * SEGMENT // DOCS, (segment + 1) * SEGMENT // DOCS)
    }
    for rec in sorted(records):
        chunks[rec[0] // DOCS].append(rec)
    return [(f"{FOLDER}/docs/{c}.bin", _gzip(_json(recs))) for c, recs in chunks.items()]


@dataclass
class Update:
    """What one build changed in the index (for the bench and the tests)."""

    merged: bool = False
    delta_items: int = 0
    files: int = 0


def update_index(
    digests: dict[int, str],
    ids: Mapping[int, list[int]],
    before: Mapping[str, str],
    load: Callable[[int], list[Doc]],
    write: Callable[[str, bytes], object],
    categories: list[str],
    base_before: str | None,
) -> tuple[dict[str, str], Update]:
    """Bring the index up to date: the state entries to keep, and what was done.
    ``load(segment)`` gives the segment's items, ``write(name, data)`` writes a file;
    ``before`` is the last build's state (empty to rewrite every record and the delta),
    ``base_before`` its ``@search-base`` entry if the base files are still there (a forced
    build keeps the base: it cannot be made again from the items as they were)."""
    done = Update()
    changed = {k for k, d in digests.items() if before.get(f"@search/{k}") != d}

    def put(name: str, data: bytes) -> None:
        write(name, data)
        done.files += 1

    def parts(segments: Iterable[int]) -> Iterator[npt.NDArray[np.uint64]]:
        """Each segment's postings, its record chunks written on the way if it changed."""
        for segment in segments:
            records = [record(d) for d in load(segment)]
            if segment in changed:
                changed.discard(segment)
                for name, data in chunk_files(segment, records):
                    put(name, data)
            yield search.postings([texts(r) for r in records])

    def level(segments: list[int], prefix: str) -> int:
        total = sum(len(ids[k]) for k in segments) * _POSTINGS_PER_ITEM
        built = Level(parts(segments), prefix, total=total)
        for name, data in built.files():
            put(name, data)
        return built.shards

    base_state = json.loads(base_before or "null")
    if base_state is not None and base_state.get("version") != search.VERSION:
        base_state = None
    dirty = sorted(
        k
        for k, d in digests.items()
        if base_state is None or base_state["segs"].get(str(k)) != d[:10]
    )
    gone = base_state is not None and any(int(k) not in digests for k in base_state["segs"])
    if base_state is None or gone or sum(len(ids[k]) for k in dirty) > MERGE:
        shards = level(sorted(digests), f"{FOLDER}/b/")
        tag = hashlib.sha1(json.dumps(sorted(digests.items())).encode()).hexdigest()[:10]
        base_state = {
            "version": search.VERSION,
            "shards": shards,
            "tag": tag,
            "segs": {str(k): d[:10] for k, d in digests.items()},
        }
        dirty = []
        done.merged = True
    delta_tag = hashlib.sha1(
        json.dumps([base_state["tag"], [(k, digests[k]) for k in dirty]]).encode()
    ).hexdigest()[:10]
    delta_state = json.loads(before.get("@search-delta") or "null")
    if dirty and (delta_state is None or delta_state["tag"] != delta_tag):
        delta_state = {"shards": level(dirty, f"{FOLDER}/d/"), "tag": delta_tag}
    for segment in sorted(changed):  # changed, but in neither level rebuilt now
        for name, data in chunk_files(segment, [record(d) for d in load(segment)]):
            put(name, data)
    done.delta_items = sum(len(ids[k]) for k in dirty)
    cats = _json(sorted(set(categories)))
    cats_tag = hashlib.sha1(cats).hexdigest()[:10]
    manifest = {
        "version": search.VERSION,
        "base": [base_state["shards"], base_state["tag"]],
        "delta": [delta_state["shards"], delta_state["tag"]] if dirty and delta_state else None,
        "docs": DOCS,
        "segment": SEGMENT,
        "page": search.PAGE,
        "more": search.MORE,
        "segs": {str(k): d[:8] for k, d in sorted(digests.items())},
        "cats": cats_tag,
    }
    put(f"{FOLDER}/index.json", _json(manifest))
    state = {f"@search/{k}": d for k, d in digests.items()}
    state["@search-cats"] = cats_tag
    if before.get("@search-cats") != cats_tag:
        put(f"{FOLDER}/cats.bin", _gzip(cats))
    state["@search-base"] = json.dumps(base_state, separators=(",", ":"))
    if dirty and delta_state:
        state["@search-delta"] = json.dumps(delta_state, separators=(",", ":"))
    return state, done


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


__all__ = [
    "DOCS",
    "MERGE",
    "SEGMENT",
    "Record",
    "SegmentDigests",
    "Segments",
    "Update",
    "chunk_files",
    "lead",
    "record",
    "texts",
    "update_index",
]
