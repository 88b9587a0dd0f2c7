"""The later stages' rows and store protocols, owned by the storage stage: the publishing
filters' flags (``FilterStore``), pushes (``Candidate``, ``NotifyStore``) and stories across
hot lists (``Titled``, ``Peer``, ``StoryStore``). Their stages re-export them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class FilterStore(Protocol):
    def mark_filtered(self, source_key: str, held: Mapping[str, bool]) -> int:
        """Set each identity's flag (True: held back); how many flags changed."""

    def clear_filtered(self, source_key: str) -> int:
        """Let every item of the source through (it has no filters any more)."""

    def seen_titles(self, source_key: str, at: datetime) -> list[tuple[str, str]]:
        """(identity, title) of the source's items last seen at ``at``, oldest first."""


@dataclass(frozen=True, slots=True)
class Candidate:
    item_id: int
    source_key: str
    title: str
    link: str | None
    channel: str


class NotifyStore(Protocol):
    def notify_since(self, target: str, now: datetime) -> datetime:
        """When the target was first seen (recorded as ``now`` the first time)."""

    def notify_candidates(self, target: str, since: datetime, max_attempts: int) -> list[Candidate]:
        """Items first seen at ``since`` or later, not held back, never decided for the
        target or failed fewer than ``max_attempts`` times; oldest first. Recording an item
        marks every older one decided: an item held back when it arrived and let through
        later is published, not pushed."""

    def record_notified(
        self, target: str, item_ids: Sequence[int], state: str, now: datetime, error: str | None
    ) -> None:
        """``state``: ``sent``, ``skipped`` or ``failed`` (attempts counted)."""


@dataclass(frozen=True, slots=True)
class Titled:
    item_id: int
    title: str
    story: int | None = None


@dataclass(frozen=True, slots=True)
class Peer:
    """Another list's item of the same story, as it stands."""

    item_id: int
    source_key: str
    list_name: str
    rank: int | None
    peak: int


class StoryStore(Protocol):
    def story_unassigned(self, source_key: str) -> list[Titled]:
        """Items on the list's last refresh without a story."""

    def story_pool(self, source_key: str, since: datetime) -> list[Titled]:
        """Items of the other hot lists on a refresh since ``since``, with their story."""

    def story_assign(self, assigned: Sequence[tuple[int, int, float]]) -> None:
        """(item id, story id, similarity) rows."""

    def story_peers(self, item_ids: Sequence[int]) -> dict[int, list[Peer]]:
        """For each item, the items of its story on other lists, best rank first."""

    def story_of(self, item_ids: Sequence[int]) -> dict[int, int]:
        """Item id -> story id, for the items that have one."""
