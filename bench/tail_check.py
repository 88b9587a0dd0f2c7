"""Check a kept site's state against the full pass (``python -m bench.tail_check FOLDER
DATABASE``): after tail builds (``_site/tail.py``), planning the lists from every item's row
must find no list page or feed to render, and the same list counts, front pages, search
segments and sitemap parts as the snapshot. Prints what differs; exit status 1 if anything.
FOLDER is a ``bench.pg:site`` folder (its settings), DATABASE the archive it was built from.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.site import _settings
from hotpress._site import extra, listing, searchindex
from hotpress._site.build import FEED_SIZE
from hotpress._site.build_parts import ListKeys
from hotpress._site.pages import Renderer
from hotpress._site.slugs import category_dirs
from hotpress._site.snapshot import KEY, Snapshot
from hotpress._site.tail import ListOptions, full_plan
from hotpress._site.theme import make_env
from hotpress._storage import open_storage
from hotpress._storage.site_rows import OrderRow


def check(folder: Path, where: str) -> list[str]:
    settings = replace(_settings(folder, ()), database=where)
    storage = open_storage(where)
    state = storage.site_state()
    snap = Snapshot.parse(state.get(KEY))
    if snap is None:
        return ["no snapshot in the state"]
    salt = state["@salt"]
    sources = {s.id: s for s in storage.site_sources()}
    renderer = Renderer(
        make_env(None), settings.site, settings.timezone, category_dirs(storage), frozenset()
    )
    options = ListOptions(
        ListKeys(sources, ZoneInfo(settings.timezone), months=settings.site.archives),
        lambda key: listing.list_base(key, renderer),
        settings.site.per_page,
        FEED_SIZE,
        salt,
        renderer.has_feeds,
    )
    revisions = {s.id: s.revision for s in sources.values()}
    segments = searchindex.SegmentDigests(salt)

    def rows() -> Iterator[OrderRow]:
        for row in storage.site_order():
            segments.add(row.id, row.revision, revisions[row.source_id])
            yield row

    plan = full_plan(rows(), revisions, state, options)
    maps: dict[int, int] = {}
    for row in storage.site_sitemap("site"):
        chunk = row.id // extra.SITEMAP_CHUNK
        maps[chunk] = max(maps.get(chunk, 0), row.lastmod)
    digests = segments.digests()
    problems = [
        *(f"list page to render: {job.file}" for job in plan.jobs),
        *(f"feed to render: {key}" for key in plan.feeds),
    ]
    checks = {
        "list counts": plan.counts == snap.counts,
        "front pages": plan.fronts == snap.fronts,
        "search segments": all(state.get(f"@search/{k}") == v for k, v in digests.items())
        and sorted(digests) == snap.segments,
        "sitemap parts": maps == snap.sitemaps,
        "fingerprint": storage.site_fingerprint() == snap.fingerprint,
    }
    problems += [f"{name} differ" for name, same in checks.items() if not same]
    storage.close()
    return problems


def main() -> None:
    problems = check(Path(sys.argv[1]), sys.argv[2])
    print("\n".join(problems) or "the state is the full pass's")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
