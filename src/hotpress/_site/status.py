"""The optional ``/status/`` page: the table of ``hotpress sources``, published with the site.

The page is public, so what could be a secret is masked: user info in a URL, and the values of
query parameters whose name says key, token, secret, password, code, auth, signature, session
or cookie (RSSHub's access key travels as ``?key=`` or ``?code=``); the same in error texts
(``hotpress._mask``, shared with the fetch stage, which masks what a server says).
A local file source shows the path its config gives, not where it resolved to. The page never
shows the build time: it is "as of" the newest fetch attempt, and "items in the
last 24 h" count back from then, so a build over unchanged sources writes the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from hotpress._fetch.local import is_local
from hotpress._health import source_states, state_row, status
from hotpress._mask import MASK, SECRET_NAME, public_text, public_url
from hotpress._site.pages import Renderer
from hotpress._storage.base import Storage
from hotpress.types import SourceSpec, SourceState

__all__ = ["DATA", "MASK", "PAGE", "SECRET_NAME", "public_text", "public_url", "status_files"]

PAGE = "status/index.html"
DATA = "status/index.json"
_ORDER = {"failing": 0, "new": 1, "ok": 2}


@dataclass(frozen=True, slots=True)
class Row:
    """One source as the page shows it."""

    category: str
    url: str
    status: str
    errors: int
    last_status: int | None
    last_attempt: tuple[str, str] | None
    """(ISO time, local time as text), like every date on the site."""
    last_success: tuple[str, str] | None
    next_due: tuple[str, str] | None
    items_total: int
    items_24h: int
    last_error: str


def _public(state: SourceState) -> SourceState:
    """The source as the public page shows it: secrets masked (:func:`public_text`), and a
    local file source as its config names it (the absolute path it resolved to would tell
    the world where the site's machine keeps its files)."""
    url, error = state.url, state.last_error
    if is_local(url) and url != state.key:
        url, error = state.key, error.replace(url, state.key) if error else None
    return replace(
        state,
        key=public_text(state.key),  # a url: source's key is its URL
        url=public_url(url),
        last_error=public_text(error) if error else None,
    )


def as_of(states: Sequence[SourceState]) -> datetime | None:
    """The newest fetch attempt of any source; ``None`` before the first fetch."""
    return max((s.last_attempt for s in states if s.last_attempt), default=None)


def status_files(
    specs: Sequence[SourceSpec], storage: Storage, renderer: Renderer, now: datetime
) -> list[tuple[str, bytes]]:
    """``status/index.html`` and ``status/index.json`` for the configured sources; ``now``
    counts "last 24 h" only until a source has been fetched (then: the newest attempt)."""

    def read(at: datetime) -> list[SourceState]:
        return [_public(s) for s in source_states(specs, storage, at)]

    states = read(now)
    when = as_of(states)
    if when is not None:  # count "last 24 h" back from the data, not from the clock
        states = read(when)

    def local(moment: datetime | None) -> tuple[str, str] | None:
        if moment is None:
            return None
        shown = moment.astimezone(renderer.zone)
        return shown.isoformat(), shown.strftime("%Y-%m-%d %H:%M")

    rows = sorted(
        (
            Row(
                category=" / ".join(s.category),
                url=s.url,
                status=status(s),
                errors=s.error_count,
                last_status=s.last_status,
                last_attempt=local(s.last_attempt),
                last_success=local(s.last_success),
                next_due=local(s.next_due),
                items_total=s.items_total,
                items_24h=s.items_24h,
                last_error=s.last_error or "",
            )
            for s in states
        ),
        key=lambda r: _ORDER[r.status],  # stable: config order within each status
    )
    counts = {name: sum(1 for r in rows if r.status == name) for name in _ORDER}
    page = renderer.render("status.html", rows=rows, counts=counts, as_of=local(when))
    data = {
        "as_of": when.isoformat() if when else None,
        "sources": [state_row(s) for s in states],
    }
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    return [(PAGE, page), (DATA, text.encode())]
