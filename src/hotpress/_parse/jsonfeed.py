"""JSON Feed 1.0 / 1.1 (and version-less documents shaped like one) -> ParsedFeed.

JSON from the wild is untrusted: every field is type-checked, a wrong type reads as absent.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from hotpress._parse.dates import parse_date, parse_timestamp
from hotpress._parse.links import safe_link
from hotpress._parse.text import clean_title, text_to_html
from hotpress.exceptions import ParseError
from hotpress.types import ParsedEntry, ParsedFeed

__all__ = ["parse_json"]

# An escaped backslash, a surrogate pair, or a lone surrogate escape ("\ud800"): JSON allows
# the last, Python decodes it to a str no UTF-8 codec (archive, files) will encode.
_SURROGATE_ESCAPE = re.compile(
    r"\\\\"
    r"|(?P<pair>\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?P<lone>\\u[dD][89a-fA-F][0-9a-fA-F]{2})"
)
_HAS_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _lone_surrogates_replaced(text: str) -> str:
    """The JSON text with each lone surrogate escape read as U+FFFD (as a UTF-8 decoder
    reads an ill-formed sequence): the one place a feed's text can bring a surrogate in."""
    if not _HAS_SURROGATE_ESCAPE.search(text):
        return text
    return _SURROGATE_ESCAPE.sub(lambda m: "\\ufffd" if m["lone"] else m[0], text)


def parse_json(text: str, *, url: str, tz: str, encoding: str) -> ParsedFeed:
    try:
        doc = json.loads(_lone_surrogates_replaced(text))
    except (ValueError, RecursionError) as err:
        raise ParseError(f"not a feed: invalid JSON ({err})", url=url) from err
    if not isinstance(doc, dict):
        raise ParseError(f"not a feed: JSON {type(doc).__name__}, not a JSON Feed", url=url)
    version = doc.get("version")
    is_jsonfeed = isinstance(version, str) and "jsonfeed.org" in version
    items = doc.get("items")
    if not isinstance(items, list) or not (is_jsonfeed or _looks_like_feed(doc)):
        raise ParseError("not a feed: JSON without a JSON Feed version or items list", url=url)
    home = safe_link(_str(doc.get("home_page_url")), url)
    feed_author = _author(doc)
    entries = tuple(
        _entry(item, url=url, tz=tz, feed_author=feed_author)
        for item in items
        if isinstance(item, dict)
    )
    return ParsedFeed(
        kind="json",
        title=clean_title(_str(doc.get("title")) or ""),
        link=home,
        entries=entries,
        encoding=encoding,
    )


def _looks_like_feed(doc: dict[str, Any]) -> bool:
    """Version-less JSON: a JSON Feed if it has a feed field and items that look like items."""
    if not any(isinstance(doc.get(k), str) for k in ("title", "home_page_url", "feed_url")):
        return False
    items = doc["items"]
    return all(isinstance(i, dict) and ("id" in i or "url" in i) for i in items[:5])


def _entry(item: dict[str, Any], *, url: str, tz: str, feed_author: str | None) -> ParsedEntry:
    link = safe_link(_str(item.get("url")) or _str(item.get("external_url")), url)
    html = _str(item.get("content_html"))
    text = _str(item.get("content_text"))
    summary = _str(item.get("summary")) or ""
    content = html or text_to_html(text or "")
    if not content:
        content, summary = text_to_html(summary), ""
    raw_id = item.get("id")
    guid = (
        str(raw_id).strip()
        if isinstance(raw_id, str | int) and not isinstance(raw_id, bool)
        else None
    )
    image = _str(item.get("image")) or _str(item.get("banner_image"))
    return ParsedEntry(
        title=clean_title(_str(item.get("title")) or ""),
        guid=guid or None,
        link=link,
        content=content,
        summary=summary,
        base=link or url,
        published=_date(item.get("date_published"), tz),
        updated=_date(item.get("date_modified"), tz),
        author=_author(item) or feed_author,
        image=safe_link(image, link or url),
    )


def _date(value: object, tz: str) -> datetime | None:
    if isinstance(value, str):
        return parse_date(value, tz)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return parse_timestamp(value)
    return None


def _author(obj: dict[str, Any]) -> str | None:
    authors = obj.get("authors")
    candidates = authors if isinstance(authors, list) else [obj.get("author")]
    for author in candidates:
        if isinstance(author, dict):
            name = _str(author.get("name"))
            if name and name.strip():
                return clean_title(name)
        elif isinstance(author, str) and author.strip():
            return clean_title(author)
    return None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
