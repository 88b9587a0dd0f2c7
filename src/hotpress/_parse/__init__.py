"""PARSE stage: response bytes -> :class:`~hotpress.types.ParsedFeed`.

One entry point, :func:`parse_feed`. The body decides the format (JSON when it starts with
``{``, else XML by its root element); the Content-Type only contributes its charset. Any input
that is not a readable feed raises :class:`~hotpress.exceptions.ParseError` and nothing else.
"""

from __future__ import annotations

from lxml import etree

from hotpress._parse.atom import parse_atom
from hotpress._parse.encoding import Decoded, decode_body, unchecked_utf8
from hotpress._parse.jsonfeed import parse_json
from hotpress._parse.rss import parse_rss
from hotpress._parse.xmlfeed import parse_document, parse_strict
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
    fast = _fast_path(content, url=url, content_type=content_type, tz=tz)
    if fast is not None:
        return fast
    return read_general(content, url=url, content_type=content_type, tz=tz)


def read_general(content: bytes, *, url: str, content_type: str | None, tz: str) -> ParsedFeed:
    """The general path parse_feed takes when the fast one declines: decode_body's full
    encoding choice, then parse_document's repairs. Kept callable on its own so tests can hold
    the fast path to it."""
    decoded = decode_body(content, content_type)
    body = decoded.utf8.lstrip(_WHITESPACE)
    if body[:1] in (b"{", b"["):
        text = body.decode("utf-8")
        return parse_json(text, url=url, tz=tz, encoding=decoded.encoding)
    return _read_xml(parse_document(decoded.utf8, url), decoded, url=url, tz=tz)


def _fast_path(content: bytes, *, url: str, content_type: str | None, tz: str) -> ParsedFeed | None:
    """The common case in one pass: a body decode_body would read as UTF-8 goes to the parser
    unchecked, because the parser's own strict reading rejects invalid UTF-8. ``None`` when
    that does not hold or the strict parse fails: the general path then decides, so a feed
    in a legacy encoding or in need of repair reads exactly as it always did."""
    decoded = unchecked_utf8(content, content_type)
    if decoded is None:
        return None
    body = decoded.utf8.lstrip(_WHITESPACE)
    if body[:1] in (b"{", b"["):
        try:
            text = body.decode("utf-8")  # the check decode_body would have made, done once
        except UnicodeDecodeError:
            return None
        return parse_json(text, url=url, tz=tz, encoding=decoded.encoding)
    root = parse_strict(decoded.utf8, url)
    if root is None:
        return None
    return _read_xml(root, decoded, url=url, tz=tz)


def _read_xml(root: etree._Element, decoded: Decoded, *, url: str, tz: str) -> ParsedFeed:
    tag = root.tag if isinstance(root.tag, str) else ""
    local = tag.rpartition("}")[2]
    if local in ("rss", "RDF"):
        return parse_rss(root, url=url, tz=tz, encoding=decoded.encoding)
    if local == "feed":
        return parse_atom(root, url=url, tz=tz, encoding=decoded.encoding)
    if local.lower() == "html":
        raise ParseError("not a feed: looks like an HTML page", url=url)
    raise ParseError(f"not a feed: the document's root element is <{local}>", url=url)
