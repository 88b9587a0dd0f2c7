"""The snapshot a site build keeps of what it planned from (the ``@lists`` state entry), and
the test of whether the archive since gained items and sources only (``tail.py``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from hotpress._storage.site_rows import Fingerprint, ItemMark, SiteSource, SiteStore

KEY = "@lists"


@dataclass(slots=True)
class Snapshot:
    """What a build planned from (the ``@lists`` state entry)."""

    fingerprint: Fingerprint
    top: list[object] | None
    """The mark of the newest item (``fingerprint.max_id``), as a JSON list."""
    sources: tuple[int, str]
    """(highest source id, digest of every source's id and revision)."""
    counts: dict[str, int]
    segments: list[int]
    sitemaps: dict[int, int] = field(default_factory=dict)
    """Sitemap part (chunk number) -> its newest item's last change."""
    fronts: dict[str, str] = field(default_factory=dict)
    """List key -> its front page's file (a list's folder never changes)."""

    def text(self) -> str:
        fp = self.fingerprint
        return json.dumps(
            {
                "fp": [fp.items, fp.max_id, fp.revisions, fp.source_revisions],
                "top": self.top,
                "src": list(self.sources),
                "counts": self.counts,
                "segs": self.segments,
                "maps": {str(k): v for k, v in sorted(self.sitemaps.items())},
                "fronts": self.fronts,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def parse(cls, text: str | None) -> Snapshot | None:
        if not text:
            return None
        try:
            data = json.loads(text)
            return cls(
                Fingerprint(*(int(x) for x in data["fp"])),
                data["top"],
                (int(data["src"][0]), str(data["src"][1])),
                {str(k): int(v) for k, v in data["counts"].items()},
                [int(k) for k in data["segs"]],
                {int(k): int(v) for k, v in data["maps"].items()},
                {str(k): str(v) for k, v in data.get("fronts", {}).items()},
            )
        except (ValueError, KeyError, TypeError, IndexError):
            return None


def _mark(mark: ItemMark | None) -> list[object] | None:
    if mark is None:
        return None
    return [mark.id, mark.identity, mark.date, mark.revision, mark.source_id, mark.filtered]


def sources_digest(sources: Iterable[SiteSource], upto: int | None = None) -> tuple[int, str]:
    """(highest id, digest of the sources' ids and revisions up to ``upto``)."""
    ordered = sorted((s.id, s.revision) for s in sources)
    top = ordered[-1][0] if ordered else 0
    limit = top if upto is None else upto
    text = ";".join(f"{i},{r}" for i, r in ordered if i <= limit)
    return top, hashlib.sha1(text.encode()).hexdigest()


def snapshot(
    storage: SiteStore,
    fingerprint: Fingerprint,
    sources: Iterable[SiteSource],
    counts: Mapping[str, int],
    segments: Iterable[int],
    sitemaps: Mapping[int, int],
    fronts: Mapping[str, str],
) -> Snapshot:
    top = storage.site_marks(0, only=fingerprint.max_id) if fingerprint.max_id else []
    return Snapshot(
        fingerprint,
        _mark(top[0] if top else None),
        sources_digest(sources),
        dict(counts),
        sorted(segments),
        dict(sitemaps),
        dict(fronts),
    )


def added_since(
    storage: SiteStore, snap: Snapshot, now: Fingerprint, sources: Sequence[SiteSource]
) -> list[ItemMark] | None:
    """The items added since ``snap`` (filtered ones too), if the archive changed by nothing
    else; ``None`` otherwise. Revisions only grow, so the sums of the fingerprint tell an
    edit; the count tells a removal (ids are not reused while the newest item stays)."""
    old = snap.fingerprint
    top, digest = snap.sources
    if sources_digest(sources, top)[1] != digest:
        return None
    new_sources = sum(s.revision for s in sources if s.id > top)
    if now.source_revisions - old.source_revisions != new_sources:
        return None
    if old.max_id:
        found = storage.site_marks(0, only=old.max_id)
        if _mark(found[0] if found else None) != snap.top:
            return None
    added = storage.site_marks(old.max_id)
    if now.items - old.items != len(added):
        return None
    if now.revisions - old.revisions != sum(a.revision for a in added):
        return None
    if now.max_id != (added[-1].id if added else old.max_id):
        return None
    return added


__all__ = ["KEY", "Snapshot", "added_since", "snapshot", "sources_digest"]
