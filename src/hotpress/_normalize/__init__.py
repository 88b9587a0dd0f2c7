"""Normalize stage: parsed entries -> archive items (identity, sanitized HTML, cover)."""

from __future__ import annotations

import hashlib
import re

from hotpress._normalize.identity import content_hash, item_identity
from hotpress._normalize.sanitize import first_image, sanitize_html
from hotpress._parse.encoding import C1_AS_WINDOWS_1252
from hotpress.types import Item, ParsedEntry, SourceSpec

__all__ = [
    "NORMALIZE_VERSION",
    "entry_key",
    "normalize_body",
    "normalize_entry",
    "raw_digest",
]

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
# C1 controls in a body are Windows-1252 punctuation sent as the wrong code points.
_C1 = re.compile("[\x80-\x9f]")
# One scan for both: C1 controls, and the controls and lone surrogates the sanitizer drops
# (its _JUNK; tests/test_normalize.py checks this covers both). Most bodies hold neither.
_C1_OR_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_FALLBACK_TITLE_CHARS = 60


# Part of every raw digest: bump it when normalizing changes (sanitizer rules, cover rule,
# title fallback), so that stored items are normalized again on their next fetch.
NORMALIZE_VERSION = "2"  # 2: img srcset kept (candidates checked)


def entry_key(source: SourceSpec, entry: ParsedEntry) -> str | None:
    """The entry's identity when it is known before sanitizing (it has a guid or a link)."""
    if not (entry.guid or entry.link):
        return None
    return item_identity(source.key, guid=entry.guid, link=entry.link, title="", content="")


def raw_digest(entry: ParsedEntry) -> str:
    """Digest of everything normalizing reads from the entry."""
    parts = (
        NORMALIZE_VERSION,
        entry.title,
        entry.content,
        entry.summary,
        entry.base or "",
        entry.link or "",
        entry.guid or "",
        entry.published.isoformat() if entry.published else "",
        entry.updated.isoformat() if entry.updated else "",
        entry.author or "",
        entry.image or "",
    )
    # SHA-256 as the body digest (``_reading._digest``): hardware-accelerated on today's x86
    # and ARM CPUs, it hashes twice as fast as blake2b here (the whole digest, join and
    # encode included: 11.7 -> 8.9 µs an entry of bench/ingest.py's corpus). A digest an
    # older hotpress stored (blake2b) only makes the next fetch normalize the entry once
    # more: its content hash is unchanged, so it is not "updated".
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def _fallback_title(entry: ParsedEntry, html: str) -> str:
    """A title for an entry that has none (flash-news feeds): the start of its text."""
    text = _SPACE.sub(" ", _TAG.sub(" ", html)).strip()
    if text:
        return text if len(text) <= _FALLBACK_TITLE_CHARS else text[:_FALLBACK_TITLE_CHARS] + "…"
    return entry.link or "(无标题)"


def _is_web_url(url: str | None) -> bool:
    return url is not None and url.startswith(("http://", "https://"))


def normalize_body(entry: ParsedEntry, feed_link: str | None) -> tuple[str, str | None]:
    """The entry's sanitized body and its cover (first image, else the feed's own image)."""
    raw = entry.content or entry.summary
    base = entry.base or entry.link or feed_link
    if not raw:
        content = ""
    elif _C1_OR_JUNK.search(raw) is None:
        content = sanitize_html(raw, base, junk_free=True)
    else:
        if _C1.search(raw):
            raw = raw.translate(C1_AS_WINDOWS_1252)
        content = sanitize_html(raw, base)
    cover = first_image(content)
    if cover is None and _is_web_url(entry.image):
        cover = entry.image
    return content, cover


def normalize_entry(
    source: SourceSpec,
    entry: ParsedEntry,
    feed_link: str | None,
    raw_hash: str | None = None,
    key: str | None = None,
) -> Item:
    """``raw_hash``: the entry's :func:`raw_digest`, ``key`` its :func:`entry_key`, when the
    caller has them already."""
    content, cover = normalize_body(entry, feed_link)
    title = entry.title or _fallback_title(entry, content)
    # An entry with a guid or a link has the identity entry_key gave (title and body unused).
    identity = key or item_identity(
        source.key, guid=entry.guid, link=entry.link, title=title, content=content
    )
    return Item(
        raw_hash=raw_hash or raw_digest(entry),
        source_key=source.key,
        identity=identity,
        title=title,
        content=content,
        link=entry.link,
        guid=entry.guid,
        published=entry.published or entry.updated,
        author=entry.author,
        cover=cover,
        content_hash=content_hash(
            title=title,
            content=content,
            link=entry.link,
            published=entry.published or entry.updated,
            author=entry.author,
            cover=cover,
        ),
    )
