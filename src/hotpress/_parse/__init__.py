"""PARSE stage: response bytes -> :class:`~hotpress.types.ParsedFeed`.

One entry point, :func:`parse_feed`. The body decides the format (JSON when it starts with
``{``, else XML by its root element); the Content-Type only contributes its charset. Any input
that is not a readable feed raises :class:`~hotpress.exceptions.ParseError` and nothing else.
"""

from __future__ import annotations

from lxml import etree

from hotpress._parse.atom import parse_atom
from hotpress._parse.encoding import decode_body
from hotpress._parse.jsonfeed import parse_json
from hotpress._parse.rss import parse_rss
from hotpress._parse.xmlfeed import parse_document
from hotpress.exceptions import ParseError
from hotpress.types import ParsedFeed

__all__ = ["parse_feed"]

_WHITESPACE = b" \t\r\n\x0c\x00"


def parse_feed(
    content: bytes,
    *,
    url: str,
    content_type: str | None = None,
    timezone: str = "UTC",
) -> ParsedFeed:
    """Parse RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed bytes fetched from ``url``.

    ``url`` is the base for relative links; ``timezone`` is the zone of dates written
    without an offset. Raises ParseError for anything that is not a readable feed.
    """
    try:
        return _parse(content, url=url, content_type=content_type, tz=timezone)
    except ParseError:
        raise
    except (ValueError, LookupError, RecursionError, OverflowError, etree.Error) as err:
        # lxml, codecs and datetime failures on hostile or broken input, not hotpress bugs.
        raise ParseError(f"unreadable feed: {type(err).__name__}: {err}", url=url) from err


def _parse(content: bytes, *, url: str, content_type: str | None, tz: str) -> ParsedFeed:
    if not content or not content.strip(_WHITESPACE):
        raise ParseError("empty response: no feed in it", url=url)
    decoded = decode_body(content, content_type)
    body = decoded.utf8.lstrip(_WHITESPACE)
    if body[:1] in (b"{", b"["):
        text = body.decode("utf-8")
        return parse_json(text, url=url, tz=tz, encoding=decoded.encoding)
    root = parse_document(decoded.utf8, url)
    tag = root.tag if isinstance(root.tag, str) else ""
    local = tag.rpartition("}")[2]
    if local in ("rss", "RDF"):
        return parse_rss(root, url=url, tz=tz, encoding=decoded.encoding)
    if local == "feed":
        return parse_atom(root, url=url, tz=tz, encoding=decoded.encoding)
    if local.lower() == "html":
        raise ParseError("not a feed: looks like an HTML page", url=url)
    raise ParseError(f"not a feed: the document's root element is <{local}>", url=url)
