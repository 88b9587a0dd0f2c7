"""Atom 0.3 / 1.0 elements -> ParsedFeed."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from lxml import etree

from hotpress._parse.dates import parse_date
from hotpress._parse.links import safe_link
from hotpress._parse.text import clean_title, html_to_text, text_to_html
from hotpress._parse.xmlfeed import XML_BASE, Keys, inner_xml, text_of
from hotpress.types import ParsedEntry, ParsedFeed

__all__ = ["parse_atom"]

_XHTML_DIV = "{http://www.w3.org/1999/xhtml}div"
_HTML_TYPES = frozenset({"html", "text/html", "escaped"})
_XHTML_TYPES = frozenset({"xhtml", "application/xhtml+xml", "xml"})


def parse_atom(root: etree._Element, *, url: str, tz: str, encoding: str) -> ParsedFeed:
    tag = root.tag if isinstance(root.tag, str) else ""
    core = tag[1:].partition("}")[0] if tag.startswith("{") else ""
    keys = Keys(frozenset({core, ""}))
    title = ""
    link: str | None = None
    author: str | None = None
    entry_elements: list[etree._Element] = []
    for child in root:
        key = keys(child)
        if key == "entry":
            entry_elements.append(child)
        elif key == "title":
            title = _title(child)
        elif key == "link" and link is None:
            link = _alternate(child, url)
        elif key == "author" and author is None:
            author = _person(child, keys)
    # xml:base on the root reaches every entry's body: looked up once, not per entry.
    root_based = root.get(XML_BASE) is not None
    entries = tuple(_entry(el, keys, url, tz, author, root_based) for el in entry_elements)
    return ParsedFeed(kind="atom", title=title, link=link, entries=entries, encoding=encoding)


def _entry(
    entry: etree._Element,
    keys: Keys,
    url: str,
    tz: str,
    feed_author: str | None,
    root_based: bool,
) -> ParsedEntry:
    title = ""
    guid = link = first_link = author = image = None
    content_el = summary_el = None
    published = updated = None
    source_author: str | None = None
    has_published = False
    dates: dict[str, datetime | None] = {}  # published and updated are often the same text
    known = keys.known
    for child in entry:
        key = known(child.tag) or keys(child)
        if key == "title":
            title = _title(child)
        elif key == "id":
            guid = text_of(child).strip() or None
        elif key == "link":
            rel = child.get("rel") or "alternate"
            href = safe_link(child.get("href"), child.base or url)
            if rel == "alternate" and link is None:
                link = href
            elif rel == "enclosure" and image is None and _is_image(child.get("type")):
                image = href
            if first_link is None:
                first_link = href
        elif key == "content" and content_el is None:
            content_el = child
        elif key == "summary" and summary_el is None:
            summary_el = child
        elif key == "published":  # Atom 1.0's element wins over Atom 0.3's issued/created
            published = _date(dates, text_of(child), tz) or published
            has_published = True
        elif key in ("issued", "created") and not has_published:
            published = published or _date(dates, text_of(child), tz)
        elif key in ("updated", "modified"):
            updated = updated or _date(dates, text_of(child), tz)
        elif key in ("author", "dc:creator") and author is None:
            author = _person(child, keys) if key == "author" else clean_title(text_of(child))
        elif key == "source":
            source_author = _source_author(child, keys)
        elif key in ("media:thumbnail", "media:content") and image is None:
            kind = (child.get("type") or child.get("medium") or "image").lower()
            if kind.startswith("image"):
                image = safe_link(child.get("url"), child.base or url)
    link = link or first_link
    content = _html(content_el) if content_el is not None else ""
    summary = _html(summary_el) if summary_el is not None else ""
    if not content:
        content, summary = summary, ""
    body = content_el if content_el is not None else summary_el
    # has_xml_base(body), knowing body is a child of entry and entry a child of the root.
    in_base = body is not None and (
        root_based or entry.get(XML_BASE) is not None or body.get(XML_BASE) is not None
    )
    base = body.base if in_base and body is not None else None
    return ParsedEntry(
        title=title,
        guid=guid,
        link=link,
        content=content,
        summary=summary,
        base=base or link or url,
        published=published,
        updated=updated,
        author=author or source_author or feed_author,
        image=image,
    )


def _date(seen: dict[str, datetime | None], text: str, tz: str) -> datetime | None:
    """parse_date, remembering the entry's earlier answers."""
    if text in seen:
        return seen[text]
    found = seen[text] = parse_date(text, tz)
    return found


def _construct(el: etree._Element) -> tuple[bool, str]:
    """An Atom text construct as (is_html, value)."""
    kind = el.get("type")
    kind = kind.strip().lower() if kind else "text"
    mode = el.get("mode")  # Atom 0.3
    mode = mode.strip().lower() if mode else ""
    has_children = len(el) > 0 and any(isinstance(child.tag, str) for child in el)
    if has_children or kind in _XHTML_TYPES or mode == "xml":
        children = [c for c in el if isinstance(c.tag, str)]
        wrapped = kind == "xhtml" and len(children) == 1 and children[0].tag == _XHTML_DIV
        if wrapped and not (el.text or "").strip():
            return True, inner_xml(children[0])  # Atom 1.0's xhtml wrapper div is not content
        return True, inner_xml(el)
    value = text_of(el)
    binary = _is_binary(kind)
    if mode == "base64" or binary:
        try:
            value = base64.b64decode(value).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            value = ""
    return kind in _HTML_TYPES or mode == "escaped" or "html" in kind or binary, value


def _is_binary(kind: str) -> bool:
    """RFC 4287 4.1.3.3: a media type that is neither text nor XML means base64 content
    (read as HTML here: it is sanitized like any other body)."""
    if "/" not in kind or kind.startswith("text/"):
        return False
    return not (kind.endswith(("+xml", "/xml")) or kind.startswith("xml"))


def _title(el: etree._Element) -> str:
    is_html, value = _construct(el)
    return html_to_text(value) if is_html else clean_title(value)


def _html(el: etree._Element) -> str:
    is_html, value = _construct(el)
    return value if is_html else text_to_html(value)


def _alternate(el: etree._Element, url: str) -> str | None:
    if (el.get("rel") or "alternate") != "alternate":
        return None
    return safe_link(el.get("href"), el.base or url)


def _person(el: etree._Element, keys: Keys) -> str | None:
    for child in el:
        if keys(child) == "name":
            return clean_title(text_of(child)) or None
    return clean_title(text_of(el)) or None


def _source_author(source: etree._Element, keys: Keys) -> str | None:
    for child in source:
        if keys(child) == "author":
            return _person(child, keys)
    return None


def _is_image(mime: str | None) -> bool:
    return (mime or "").lower().startswith("image/")
