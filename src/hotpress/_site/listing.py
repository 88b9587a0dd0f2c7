"""List pages (home, categories, months) and their RSS/Atom/JSON feeds, from a plan.

Split from ``build``: these render what ``plan.plan_lists`` decided changed.
"""

from __future__ import annotations

from hotpress._progress import Progress
from hotpress._publish.media_root import local_media
from hotpress._publish.writer import Writer
from hotpress._site import extra
from hotpress._site.feeds import FORMATS, FeedEntry, FeedMeta
from hotpress._site.pages import Link, Renderer
from hotpress._site.plan import Plan
from hotpress._site.urls import month_dir
from hotpress._storage.site_rows import SiteSource, SiteStore


def list_base(key: str, renderer: Renderer) -> str:
    if key == "all":
        return ""
    if key.startswith("c"):
        return renderer.category_dir(extra.category_path(key))
    return month_dir(int(key[1:5]), int(key[6:8]))


def heading(key: str) -> tuple[str, list[Link], tuple[str, ...] | None]:
    if key == "all":
        return "", [], None
    if key.startswith("c"):
        path = extra.category_path(key)
        return " / ".join(path), [], path
    return f"{key[1:5]} 年 {key[6:8]} 月", [], None


def render_lists(
    plan: Plan,
    storage: SiteStore,
    writer: Writer,
    renderer: Renderer,
    sources: dict[int, SiteSource],
    per_page: int,
    progress: Progress,
    output: str,
) -> None:
    paths = {s.category for s in sources.values()}
    children_of: dict[tuple[str, ...], list[Link]] = {}
    """A category list's sub-categories with their counts: the same on each of its pages."""
    for job in plan.jobs:
        # An item's card is the same on every list (the renderer keeps it for the build):
        # only items not shown yet are read, so most pages need no query at all.
        known = {i: renderer.known_card(i) for i in job.ids}
        missing = [i for i, card in known.items() if card is None]
        for i, (item, where) in storage.site_items(missing, output).items() if missing else ():
            known[i] = renderer.card(item, where) if where else None
        cards = [card for card in known.values() if card is not None]
        title, crumbs, path = heading(job.key)
        children: list[Link] = []
        if path is not None:
            crumbs = renderer.crumbs(path)[:-1]
            children = children_of.get(path) or []
            if path not in children_of:
                kids = sorted(
                    {p[len(path)] for p in paths if len(p) > len(path) and p[: len(path)] == path}
                )
                children = children_of[path] = [
                    Link(
                        kid,
                        renderer.u(renderer.category_dir((*path, kid)) + "/"),
                        plan.counts.get(extra.category_key((*path, kid)), 0),
                    )
                    for kid in kids
                ]
        elif job.key.startswith("m"):
            crumbs = [
                Link("归档", renderer.u("archives/")),
                Link(f"{job.key[1:5]} 年", renderer.u(f"archives/{job.key[1:5]}/")),
            ]
        data = renderer.list_page(
            job,
            base=list_base(job.key, renderer),
            cards=cards,
            heading=title,
            crumbs=crumbs,
            children=children,
            per_page=per_page,
        )
        writer.write(job.file, data)
        progress.advance("site pages")


def render_feeds(
    plan: Plan,
    storage: SiteStore,
    writer: Writer,
    renderer: Renderer,
    sources: dict[int, SiteSource],
    output: str,
) -> None:
    for key, (_digest, ids) in plan.feeds.items():
        base = list_base(key, renderer)
        found = storage.site_items(ids, output)
        entries = []
        for i in ids:
            item, path = found[i]
            url = renderer.absolute + renderer.page_url(path or "")[len(renderer.prefix) :]
            entries.append(
                FeedEntry(
                    title=item.title,
                    url=url,
                    id=url,
                    date=item.date,
                    updated=item.updated or item.date,
                    content=local_media(item.content, renderer.absolute),
                    categories=item.category,
                    author=item.source_author,
                    image=local_media(item.cover, renderer.absolute) if item.cover else None,
                    original=item.link,
                )
            )
        title = heading(key)[0]
        folder = f"{base}/" if base else ""
        meta = FeedMeta(
            title=f"{title} · {renderer.site.title}" if title else renderer.site.title,
            home=f"{renderer.absolute}/{folder}",
            base=f"{renderer.absolute}/{folder}",
            description=renderer.site.description,
            language=renderer.site.language,
        )
        for name in renderer.site.feeds:
            kind = FORMATS[name]
            writer.write(f"{folder}{kind.file}", kind.write(meta, entries))
