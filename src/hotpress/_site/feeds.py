"""RSS 2.0, Atom 1.0 and JSON Feed 1.1 documents for a list of items (pure)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from hotpress._site.text import excerpt
from hotpress._site.xmltext import xml_attr, xml_text


@dataclass(frozen=True, slots=True)
class FeedEntry:
    title: str
    url: str
    """Absolute URL of the item's page on the site."""
    id: str
    date: datetime
    updated: datetime
    content: str
    """Sanitized HTML."""
    categories: tuple[str, ...]
    author: str
    image: str | None
    original: str | None


@dataclass(frozen=True, slots=True)
class FeedMeta:
    title: str
    home: str
    """Absolute URL of the list's front page."""
    base: str
    """Absolute URL of the folder that holds the three feed files (ends with ``/``)."""
    description: str
    language: str


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _updated(entries: Sequence[FeedEntry]) -> datetime:
    # The newest change, not the build time: an unchanged list gives an unchanged feed.
    return max((e.updated for e in entries), default=datetime(1970, 1, 1, tzinfo=UTC))


def rss(meta: FeedMeta, entries: Sequence[FeedEntry]) -> bytes:
    out = [
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>',
        f"<title>{xml_text(meta.title)}</title><link>{xml_text(meta.home)}</link>",
        f"<description>{xml_text(meta.description or meta.title)}</description>",
        f"<language>{xml_text(meta.language)}</language>",
        f"<lastBuildDate>{format_datetime(_updated(entries), usegmt=True)}</lastBuildDate>",
        f'<atom:link href={xml_attr(meta.base + "feed.xml")} rel="self"'
        ' type="application/rss+xml"/>',
    ]
    for e in entries:
        out.append(
            f"<item><title>{xml_text(e.title)}</title><link>{xml_text(e.url)}</link>"
            f'<guid isPermaLink="true">{xml_text(e.url)}</guid>'
            f"<pubDate>{format_datetime(e.date.astimezone(UTC), usegmt=True)}</pubDate>"
            f"<author>{xml_text(e.author)}</author>"
            + "".join(f"<category>{xml_text(c)}</category>" for c in e.categories)
            + f"<description>{xml_text(e.content)}</description></item>"
        )
    out.append("</channel></rss>\n")
    return "\n".join(out).encode()


def atom(meta: FeedMeta, entries: Sequence[FeedEntry]) -> bytes:
    out = [
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={xml_attr(meta.language)}>',
        f"<title>{xml_text(meta.title)}</title><id>{xml_text(meta.home)}</id>",
        f"<updated>{_iso(_updated(entries))}</updated>",
        f'<link href={xml_attr(meta.home)} rel="alternate" type="text/html"/>',
        f'<link href={xml_attr(meta.base + "atom.xml")} rel="self" type="application/atom+xml"/>',
    ]
    if meta.description:
        out.append(f"<subtitle>{xml_text(meta.description)}</subtitle>")
    for e in entries:
        out.append(
            f"<entry><title>{xml_text(e.title)}</title>"
            f'<link href={xml_attr(e.url)} rel="alternate" type="text/html"/>'
            f"<id>{xml_text(e.url)}</id><published>{_iso(e.date)}</published>"
            f"<updated>{_iso(e.updated)}</updated>"
            f"<author><name>{xml_text(e.author)}</name></author>"
            + "".join(f"<category term={xml_attr(c)}/>" for c in e.categories)
            + f"<summary>{xml_text(excerpt(e.content))}</summary>"
            f'<content type="html">{xml_text(e.content)}</content></entry>'
        )
    out.append("</feed>\n")
    return "\n".join(out).encode()


def json_feed(meta: FeedMeta, entries: Sequence[FeedEntry]) -> bytes:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": meta.title,
        "home_page_url": meta.home,
        "feed_url": meta.base + "feed.json",
        "language": meta.language,
        "items": [
            {
                "id": e.id,
                "url": e.url,
                "title": e.title,
                "content_html": e.content,
                "summary": excerpt(e.content),
                "date_published": _iso(e.date),
                "date_modified": _iso(e.updated),
                "authors": [{"name": e.author}],
                "tags": list(e.categories),
                **({"image": e.image} if e.image else {}),
                **({"external_url": e.original} if e.original else {}),
            }
            for e in entries
        ],
    }
    if meta.description:
        doc["description"] = meta.description
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode()


@dataclass(frozen=True, slots=True)
class FeedFormat:
    file: str
    name: str
    type: str
    """Media type for ``<link rel="alternate">``."""
    write: Callable[[FeedMeta, Sequence[FeedEntry]], bytes]


FORMATS = {
    "rss": FeedFormat("feed.xml", "RSS", "application/rss+xml", rss),
    "atom": FeedFormat("atom.xml", "Atom", "application/atom+xml", atom),
    "json": FeedFormat("feed.json", "JSON Feed", "application/feed+json", json_feed),
}
"""The formats ``site.feeds`` may name, in the order of the config's default."""
