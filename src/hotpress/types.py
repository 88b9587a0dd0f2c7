"""Frozen value objects passed between pipeline stages.

fetch -> parse -> normalize -> store -> publish. Each stage takes and returns these;
none of them holds a connection, a client or configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ExpandSpec:
    """A second feed per item (``expand:``): the item's body comes from one of its entries."""

    link: str
    """Regular expression searched in the item's link; its named groups fill ``url``."""
    url: str
    """Absolute URL template (``https://rsshub.example/zhihu/question/{qid}``)."""
    entry: str = "first"
    """Which entry of that feed becomes the body: ``first`` or ``longest``."""
    refresh_minutes: int = 360
    """How long an expanded body stands before it is fetched again."""


@dataclass(frozen=True, slots=True)
class FulltextSpec:
    """``fulltext:``: the article behind each item's link, extracted, as its body."""

    shorter_than: int | None = None
    """Only items whose feed body has fewer characters of text than this (``None``: all)."""


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
    expand: ExpandSpec | None = None
    """Fetch a second feed per item for its body (issue 14); ``None``: the list's body."""
    fulltext: FulltextSpec | None = None
    """Extract the article behind each item's link as its body (issue 14)."""
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
    headers: tuple[tuple[str, str], ...] = ()
    """Extra request headers (an image host's Referer, an image Accept)."""


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
    expanded: int = 0
    """Items whose body came from their expansion (``expand:``)."""
    expand_pending: int = 0
    """Items still showing the list's body, not yet tried or not yet failed."""
    expand_failed: int = 0
    """Items whose last expansion attempt failed (retried at the next refresh)."""
    items_filtered: int = 0
    """Items archived but held back by the filters (not published)."""


# --- expand (a second feed per item) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExpansionState:
    """An item that may be expanded, with what the archive knows of its expansion."""

    item_id: int
    source_key: str
    link: str | None
    url: str | None
    """The URL last expanded from (``None``: never tried)."""
    validators: Validators
    digest: str | None
    """Raw digest of the entry last stored as the body."""
    expanded: datetime | None
    """Last successful fetch; ``None``: the item still has the list's body."""
    failures: int
    """Consecutive failed attempts."""
    next_try: datetime | None
    content: str = ""
    """The item's stored body (full text compares its length with the extraction's)."""


@dataclass(frozen=True, slots=True)
class Expansion:
    """What one expansion attempt gave, ready to store."""

    item_id: int
    url: str
    validators: Validators
    next_try: datetime
    content: str | None = None
    """The sanitized body; ``None`` when the body stays as it is (304, failure)."""
    cover: str | None = None
    author: str | None = None
    digest: str | None = None
    error: str | None = None


# --- media (images kept locally) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MediaWork:
    """An item whose images are to be handled (new or changed, or a failed image is due)."""

    item_id: int
    source_key: str
    revision: int
    content: str
    """The stored (sanitized) body, with the original image URLs."""
    cover: str | None


@dataclass(frozen=True, slots=True)
class MediaRecord:
    """One image URL as the archive knows it."""

    url: str
    hash: str | None = None
    """sha256 of the bytes; ``None`` until downloaded."""
    type: str | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None
    thumb: str | None = None
    """Path of the cover thumbnail below the media folder, if one was made."""
    failures: int = 0
    next_try: datetime | None = None
    error: str | None = None

    @property
    def ext(self) -> str:
        return {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif"}.get(
            self.type or "", (self.type or "image/bin").removeprefix("image/")
        )


@dataclass(frozen=True, slots=True)
class ItemMedia:
    """An item's images handled: the URLs it names, and its body and cover as published."""

    item_id: int
    revision: int
    urls: tuple[str, ...]
    local_content: str | None
    """The body pointing at local copies (or the proxy); ``None``: the stored body as is."""
    local_cover: str | None


@dataclass(frozen=True, slots=True)
class ImageOptions:
    """How bodies and covers point at their images (``images:`` and its companions)."""

    mode: str = "remote"
    """``remote`` (hotlinked, optionally through ``proxy``) or ``local`` (downloaded)."""
    referers: tuple[tuple[str, str], ...] = ()
    """Host suffix -> Referer, the user's entries over the built-in table."""
    proxy: str | None = None
    """``https://proxy.example/?url={url}`` for remote ``http://`` images and covers."""
    max_image_bytes: int = 10 * 1024 * 1024
    max_item_bytes: int = 40 * 1024 * 1024
    allow_private: bool = False
    """Allow image hosts on loopback/private networks even when the source is not on one."""
