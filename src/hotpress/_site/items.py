"""Item pages: one page per archived item, rebuilt when it or a neighbour changed.

Which items are due comes from ``publications`` (output ``site``), as for the Hexo posts. An
item page also shows the titles of the older and newer item of its source, so when an item is
new or edited its two neighbours are rendered again too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from hotpress._hot.stories import also_in
from hotpress._publish.writer import Writer
from hotpress._site.pages import Renderer
from hotpress._site.urls import item_file
from hotpress._storage.base import Publication
from hotpress._storage.site_rows import Neighbor
from hotpress.types import StoredItem

if TYPE_CHECKING:
    from hotpress._site.build import SiteStorage

_BATCH = 500


class ItemPages:
    def __init__(
        self, storage: SiteStorage, writer: Writer, renderer: Renderer, output: str
    ) -> None:
        self.storage = storage
        self.writer = writer
        self.renderer = renderer
        self.output = output
        self._chosen: dict[int, str] = {}
        self._claimed: dict[str, int] = {}
        self._rendered: set[int] = set()
        self.written = 0
        self.after = 0
        """Only items of higher ids can be due (a tail build: ``tail.check``)."""

    @property
    def rendered(self) -> frozenset[int]:
        """Items whose page this object rendered in this build."""
        return frozenset(self._rendered)

    def skip(self, item_ids: frozenset[int]) -> None:
        """Take these items' pages as rendered already (by another writer of this build)."""
        self._rendered.update(item_ids)

    def path_for(self, item_id: int, identity: str, known: str | None) -> str:
        """The item's page: where it was published before, else the short identity folder
        unless another item holds it (then the full identity, which is unique)."""
        if known:
            return known
        chosen = self._chosen.get(item_id)
        if chosen is not None:
            return chosen
        path = item_file(identity)
        owner = self.storage.path_owner(self.output, path)
        claimant = self._claimed.get(path)
        if (owner is not None and owner != item_id) or (claimant not in (None, item_id)):
            path = item_file(identity, long=True)
        self._chosen[item_id] = path
        self._claimed[path] = item_id
        return path

    def reserve(self, *, first_build: bool) -> None:
        """Decide and store the path of every item that has none yet, before any page links
        to it: a neighbour's prev/next link then always reads the stored path, and a short
        prefix two new items share goes to the older id on every machine, in every run.
        Revision 0 marks "path reserved, page not written", so the item stays pending.
        A first build lists every item (light rows); a later one only the pending items,
        a few among 100,000."""
        if first_build:
            rows = (
                (r.id, r.identity) for r in self.storage.site_sitemap(self.output) if not r.path
            )
        else:
            rows = (
                (p.item.id, p.item.identity)
                for p in self.storage.pending(self.output, after=self.after)
                if not p.path
            )
        batch = [Publication(i, 0, 0, self.path_for(i, identity, None)) for i, identity in rows]
        for start in range(0, len(batch), _BATCH * 10):
            self.storage.record_publications(self.output, batch[start : start + _BATCH * 10])

    def render(
        self,
        *,
        force: bool,
        on_item: Callable[[], None],
        shard: tuple[int, int] | None = None,
    ) -> int:
        """Render the pending pages (of one shard of sources); how many were due.
        Paths must be reserved first (:meth:`reserve`)."""
        batch: list[Publication] = []
        due = 0
        pending_items = self.storage.pending(
            self.output, force=force, shard=shard, after=0 if force else self.after
        )
        for pending in pending_items:
            due += 1
            item = pending.item
            path = self.path_for(item.id, item.identity, pending.path)
            if item.id not in self._rendered:
                for neighbor in self._render(item, path):
                    # A neighbour that is pending itself gets its turn in this loop (its
                    # source is in this shard); only an up-to-date one is rendered here.
                    if (
                        neighbor is not None
                        and neighbor.current
                        and not force
                        and neighbor.id not in self._rendered
                    ):
                        self._render_by_id(neighbor.id)
            batch.append(Publication(item.id, item.revision, pending.source_revision, path))
            on_item()
            if len(batch) >= _BATCH:
                self.storage.record_publications(self.output, batch)
                batch = []
        self.storage.record_publications(self.output, batch)
        return due

    def _link(self, neighbor: Neighbor | None) -> tuple[Neighbor, str] | None:
        if neighbor is None:
            return None
        return neighbor, self.path_for(neighbor.id, neighbor.identity, neighbor.path)

    def _render(self, item: StoredItem, path: str) -> tuple[Neighbor | None, Neighbor | None]:
        older, newer = self.storage.site_neighbors(item, self.output)
        hot = None
        also = ""
        if item.source_key in self.renderer.hot_keys:
            hot = self.storage.hot_items([item.id]).get(item.id)
            if hot is not None:
                also = also_in(self.storage.story_peers([item.id])[item.id])
        data = self.renderer.item_page(item, self._link(older), self._link(newer), hot, also)
        self._rendered.add(item.id)
        if self.writer.write(path, data):
            self.written += 1
        return older, newer

    def rerender(self, item_ids: list[int]) -> None:
        """Render these published items' pages again (a hot list moved them); an item
        without a page yet is left to the item pass."""
        for item_id, (item, known) in self.storage.site_items(item_ids, self.output).items():
            if known and item_id not in self._rendered:
                self._render(item, known)

    def _render_by_id(self, item_id: int) -> None:
        found = self.storage.site_items([item_id], self.output)
        if item_id in found:
            item, known = found[item_id]
            self._render(item, self.path_for(item.id, item.identity, known))
