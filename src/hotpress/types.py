"""Frozen value objects passed between pipeline stages.

fetch -> parse -> normalize -> store -> publish. Each stage takes and returns these;
none of them holds a connection, a client or configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One configured source, as the config describes it (resolved, validated)."""

    key: str
    """Stable identity of the source: the route (``/zhihu/hot``) or the URL as configured."""
    category: tuple[str, ...]
    """Category path: group / source / channel (one level or more)."""
    url: str
    """What to fetch: an absolute http(s) URL, or a local file path."""
    author: str
    """Written as the post's ``author`` (default: the second category level)."""
    timezone: str
    """IANA zone for dates without an offset (and for ``CST``)."""
    interval_minutes: int = 60
    """How often the source wants refreshing (used by ``watch`` and ``run --due``)."""
    # --- hot lists (issue 15) ---
    hotlist: bool = False
    """The feed is a ranked list: each refresh records every entry's position."""
    heat: str | None = None
    """Regex with a ``value`` group finding a heat figure in an entry's title or body."""
    digest: str | None = None
    """``daily``: one Hexo post per day with the day's list."""
    filters: tuple[str, ...] = ()
    """Word-group filter texts an item must all pass to be published (global, own)."""


# --- fetch -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Validators:
    """HTTP cache validators remembered per source for conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FetchRequest:
    source_key: str
    url: str
    validators: Validators = field(default_factory=Validators)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What the fetch stage got for one source; ``error`` set means it failed."""

    source_key: str
    url: str
    """The final URL after redirects (base for relative links)."""
    status: int | None
    """HTTP status (``None`` for local files or when no response arrived)."""
    content: bytes | None
    """The body; ``None`` on 304 or error."""
    content_type: str | None
    """The Content-Type header, with its charset parameter if any."""
    validators: Validators
    """Validators to remember for the next conditional GET."""
    duration: float
    """Seconds spent, retries included."""
    not_modified: bool = False
    error: str | None = None
    """A sentence a person understands; set when the source failed."""
    retry_after: float | None = None
    """Seconds the server asked us to wait (429/503 ``Retry-After``)."""
    max_age: float | None = None
    """Freshness the server declared (``Cache-Control: max-age`` / ``Expires``), seconds."""


# --- parse -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One entry as read from the feed, before identity and sanitizing."""

    title: str
    """Plain text: entities decoded once, whitespace collapsed, control characters dropped."""
    guid: str | None = None
    """RSS guid / Atom id / JSON Feed id, stripped; ``None`` when absent or empty."""
    link: str | None = None
    """Absolute URL of the item (resolved against xml:base / feed URL)."""
    content: str = ""
    """The richest HTML body (content:encoded / atom content / content_html; else summary).
    Relative URLs inside are NOT yet resolved: see ``base``."""
    summary: str = ""
    """The short description when the feed gives one apart from ``content``."""
    base: str | None = None
    """Absolute base URL for relative links inside ``content``/``summary``."""
    published: datetime | None = None
    """Timezone-aware UTC; ``None`` when missing or unparsable (``Invalid Date``)."""
    updated: datetime | None = None
    author: str | None = None
    image: str | None = None
    """An image the feed itself names (enclosure of image type, media:thumbnail, JSON image)."""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    kind: str
    """``rss``, ``rdf``, ``atom`` or ``json``."""
    title: str
    link: str | None
    entries: tuple[ParsedEntry, ...]
    ttl_minutes: int | None = None
    encoding: str | None = None


# --- normalize / store -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """An entry made ready for the archive: identity fixed, HTML sanitized."""

    source_key: str
    identity: str
    """Hex digest, stable across runs: source + guid, else + normalised link, else + content."""
    title: str
    content: str
    """Sanitized HTML."""
    link: str | None
    guid: str | None
    published: datetime | None
    """UTC; ``None`` means the feed gave no usable date (first-seen is used instead)."""
    author: str | None
    cover: str | None
    """First absolute http(s) image of the body, else the feed's own image, else ``None``."""
    content_hash: str
    """Digest over what a reader sees (title, content, link, date): decides "changed"."""
    raw_hash: str = ""
    """Digest of the entry as parsed, before sanitizing: an entry whose raw digest is stored
    already is known unchanged without being normalized again."""


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item as the archive holds it, with the facts publishing needs."""

    id: int
    source_key: str
    identity: str
    title: str
    content: str
    link: str | None
    guid: str | None
    date: datetime
    """The published date, or first-seen when the feed gave none (UTC)."""
    date_is_fallback: bool
    author: str | None
    cover: str | None
    first_seen: datetime
    last_seen: datetime
    updated: datetime | None
    """When the archive last saw the item change, ``None`` if never."""
    revision: int
    category: tuple[str, ...]
    source_author: str


@dataclass(frozen=True, slots=True)
class StoreCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the archive knows about one source (for ``hotpress sources``, scheduling)."""

    key: str
    url: str
    category: tuple[str, ...]
    validators: Validators
    last_attempt: datetime | None
    last_success: datetime | None
    last_status: int | None
    last_error: str | None
    error_count: int
    """Consecutive failed refreshes."""
    items_total: int
    items_24h: int
    next_due: datetime | None
    items_filtered: int = 0
    """Items archived but held back by the filters (not published)."""
