"""RSS 0.9x / 2.0 and RDF (RSS 0.90 / 1.0) elements -> ParsedFeed."""

from __future__ import annotations

from lxml import etree

from hotpress._parse.dates import parse_date
from hotpress._parse.links import safe_link
from hotpress._parse.text import clean_title
from hotpress._parse.xmlfeed import XML_BASE, Keys, has_xml_base, markup_of, text_of
from hotpress.types import ParsedEntry, ParsedFeed

__all__ = ["RSS_NAMESPACES", "parse_rss"]

# The namespaces RSS core elements appear in (none, RSS 1.0, 0.90, Userland's RSS 2 ones).
RSS_NAMESPACES = frozenset(
    {
        "",
        "http://purl.org/rss/1.0/",
        "http://my.netscape.com/rdf/simple/0.9/",
        "http://channel.netscape.com/rdf/simple/0.9/",
        "http://backend.userland.com/rss2",
        "http://backend.userland.com/rss",
        "http://purl.org/net/rss1.1#",
    }
)
_RDF_ROOT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF"
# Where an item's full HTML body may be: content:encoded, and the xhtml:body / <body> /
# <fullitem> of older RSS 2.0 generators (Radio UserLand, some blog engines) feedparser reads.
_FULL_BODY = frozenset({"content:encoded", "xhtml:body", "body", "fullitem"})
_PUBLISHED = frozenset({"dc:date", "dcterms:issued", "dcterms:created"})  # besides pubDate
# The keys _image reads; no other element can name the entry's image.
_IMAGE_KEYS = frozenset(
    {"enclosure", "media:content", "media:thumbnail", "itunes:image", "media:group"}
)
_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".bmp", ".svg")


def parse_rss(root: etree._Element, *, url: str, tz: str, encoding: str) -> ParsedFeed:
    """Read an ``<rss>`` or ``<rdf:RDF>`` root (``kind`` follows the root)."""
    is_rdf = root.tag == _RDF_ROOT
    # <rss> in an unexpected default namespace still has its core elements in that namespace.
    keys = Keys(RSS_NAMESPACES if is_rdf else RSS_NAMESPACES | {_ns(root)})
    channel = None
    # Each item with whether its parent (the root for RDF, else the channel) or an ancestor
    # carries xml:base: found once per parent instead of walking up from every entry's body.
    items: list[tuple[etree._Element, bool]] = []
    root_based = has_xml_base(root)
    for child in root:
        key = keys(child)
        if key == "channel" and channel is None:
            channel = child
        elif key == "item":  # RDF items are siblings of the channel
            items.append((child, root_based))
    title = link = None
    ttl: int | None = None
    if channel is not None:
        channel_based = root_based or channel.get(XML_BASE) is not None
        for child in channel:
            key = keys(child)
            if key == "item":
                items.append((child, channel_based))
            elif key in ("title", "dc:title") and title is None:
                title = clean_title(text_of(child))
            elif key == "link" and link is None:
                link = safe_link(text_of(child), child.base or url)
            elif key == "ttl":
                ttl = _minutes(text_of(child))
    entries = tuple(_entry(item, keys, url, tz, based) for item, based in items)
    return ParsedFeed(
        kind="rdf" if is_rdf else "rss",
        title=title or "",
        link=link,
        entries=entries,
        ttl_minutes=ttl,
        encoding=encoding,
    )


def _entry(item: etree._Element, keys: Keys, url: str, tz: str, inherits_base: bool) -> ParsedEntry:
    """One ``<item>``; ``inherits_base``: its parent or an ancestor carries xml:base."""
    title: str | None = None
    link: str | None = None
    alternate: str | None = None
    guid: str | None = None
    guid_is_link = False
    guid_base = url
    description = encoded = fallback_description = None
    fallback_title: str | None = None
    published = updated = None
    author: str | None = None
    image: str | None = None
    known = keys.known
    # One pass over the children; each key has one branch, the frequent ones first.
    for child in item:
        key = known(child.tag) or keys(child)
        if key == "title" or key == "dc:title":
            if title is None:
                title = clean_title(text_of(child))
        elif key == "link":
            if link is None:
                link = safe_link(text_of(child), child.base or url)
        elif key == "description" or key == "dc:description":
            if description is None:
                description = child
        elif key == "pubDate" or key in _PUBLISHED:
            if published is None:
                published = parse_date(text_of(child), tz)
        elif key == "guid":
            guid = text_of(child).strip() or None
            guid_is_link = (child.get("isPermaLink") or "true").strip().lower() == "true"
            guid_base = child.base or url
        elif key in _FULL_BODY:
            if encoded is None:
                encoded = child
        elif key in ("author", "dc:creator", "itunes:author"):
            if author is None:
                author = clean_title(text_of(child)) or None
        elif key in ("itunes:summary", "media:description"):  # podcast / media RSS feeds
            if fallback_description is None:
                fallback_description = child
        elif key == "media:title":
            if fallback_title is None:
                fallback_title = clean_title(text_of(child))
        elif key in ("atom:updated", "dcterms:modified"):
            if updated is None:
                updated = parse_date(text_of(child), tz)
        elif key == "atom:link" and alternate is None:
            if (child.get("rel") or "alternate") == "alternate":
                alternate = safe_link(child.get("href"), child.base or url)
        elif image is None and key in _IMAGE_KEYS:
            image = _image(child, key, url)
    if link is None:
        link = alternate
    title = title or fallback_title
    if description is None:
        description = fallback_description
    if link is None and guid and guid_is_link and guid.lower().startswith(("http://", "https://")):
        link = safe_link(guid, guid_base)
    body = encoded if encoded is not None else description
    content = markup_of(body)
    summary = markup_of(description) if encoded is not None else ""
    # has_xml_base(body), knowing body is a child of item.
    in_base = body is not None and (
        inherits_base or item.get(XML_BASE) is not None or body.get(XML_BASE) is not None
    )
    base = (body.base if in_base and body is not None else None) or link or url
    return ParsedEntry(
        title=title or "",
        guid=guid,
        link=link,
        content=content,
        summary=summary,
        base=base,
        published=published,
        updated=updated,
        author=author,
        image=image,
    )


def _image(el: etree._Element, key: str, url: str) -> str | None:
    """An image URL named by an enclosure, media:thumbnail, media:content or itunes:image."""
    if key == "enclosure" or key == "media:content":
        kind = (el.get("type") or el.get("medium") or "").lower()
        href = el.get("url") or ""
        looks_image = href.lower().split("?")[0].endswith(_IMAGE_EXTENSIONS)
        if kind.startswith("image") or (not kind and looks_image):
            return safe_link(href, el.base or url)
    elif key == "media:thumbnail":
        return safe_link(el.get("url"), el.base or url)
    elif key == "itunes:image":
        return safe_link(el.get("href"), el.base or url)
    elif key == "media:group":
        for child in el:
            name = child.tag if isinstance(child.tag, str) else ""
            found = _image(child, "media:" + name.rpartition("}")[2], url)
            if found:
                return found
    return None


def _ns(el: etree._Element) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def _minutes(text: str) -> int | None:
    try:
        value = int(text.strip())
    except ValueError:
        return None
    return value if 0 <= value <= 60 * 24 * 365 else None
