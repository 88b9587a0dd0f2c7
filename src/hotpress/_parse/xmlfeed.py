"""One safe lxml parse of an XML feed, and the element helpers rss.py and atom.py share.

Safety: entities are never resolved (no XXE, no local file in any field), no DTD is loaded,
no network, no XInclude, ``huge_tree`` off so libxml2's amplification limit stops entity
bombs. Leniency: a strict parse first; if it fails on entities (HTML ``&nbsp;`` in RSS, a bare
``&`` in a URL) the entity references are repaired and the strict parse retried; then libxml2's
recover mode; only then ParseError. A body cut off mid-document is refused rather than
recovered, so a truncated download cannot store half-read items. ``parse_strict`` is the first
step alone, for UTF-8 bodies not yet checked (a strict parse refuses invalid UTF-8).
"""

from __future__ import annotations

import copy
import html.entities
import re

from lxml import etree

from hotpress._xmlsafe import safe_parser
from hotpress.exceptions import ParseError

__all__ = [
    "STRICT_PARSE_CHECKS_UTF8",
    "XML_BASE",
    "Keys",
    "has_xml_base",
    "markup_of",
    "parse_document",
    "parse_strict",
    "text_of",
]

XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"

# Namespaces whose elements the readers look at, by the short prefix the readers use.
_MODULES = {
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://purl.org/dc/terms/": "dcterms",
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://search.yahoo.com/mrss/": "media",
    "http://search.yahoo.com/mrss": "media",
    "http://www.w3.org/2005/Atom": "atom",
    "http://purl.org/atom/ns#": "atom",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
    "http://www.itunes.com/dtds/podcast-1.0.dtd": "itunes",
    "http://www.itunes.com/DTDs/Podcast-1.0.dtd": "itunes",  # Apple's own documents spell it so
    "http://www.w3.org/1999/xhtml": "xhtml",
}
_ENTITY_OR_AMP = re.compile(
    rb"<!\[CDATA\[.*?\]\]>|&(?:([A-Za-z][A-Za-z0-9]{0,31});|(#[0-9]+;|#[xX][0-9A-Fa-f]+;))?",
    re.DOTALL,
)
_CHAR_REF = re.compile(
    rb"<!\[CDATA\[.*?\]\]>|&#(?:[xX]0*([0-9A-Fa-f]{1,8})|0*([0-9]{1,10}));", re.DOTALL
)
_XML_PREDEFINED = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_HTML_START = re.compile(rb"^(?:\s|<!--.*?-->)*<(?:!doctype\s+html|html[\s>])", re.I | re.S)
_HTML_TITLE = re.compile(rb"<title[^>]*>([^<]{1,200})", re.I)
_ROOT_END = re.compile(rb"</(?:[\w.-]+:)?(?:rss|feed|RDF|channel)\s*>?$")


class Keys:
    """Element tag -> short key (``title``, ``dc:creator``, ``?:foo``), cached per document.

    Core elements of the feed's own format (any of ``core`` namespaces) get a bare key, so
    one comparison works for RSS with or without a default namespace.
    """

    __slots__ = ("_cache", "_core", "known")

    def __init__(self, core: frozenset[str]) -> None:
        self._core = core
        self._cache: dict[str, str] = {}
        # ``keys.known(el.tag) or keys(el)``: the inline form of a hit, for per-entry loops.
        self.known = self._cache.get

    def __call__(self, el: etree._Element) -> str:
        tag = el.tag
        if not isinstance(tag, str):
            return ""  # comment, processing instruction or unresolved entity
        key = self._cache.get(tag)
        if key is None:
            key = self._cache[tag] = self._key(tag)
        return key

    def _key(self, tag: str) -> str:
        if tag[0] != "{":
            return tag
        ns, _, local = tag[1:].partition("}")
        if ns in self._core:
            return local
        return f"{_MODULES.get(ns, '?')}:{local}"


def parse_document(data: bytes, url: str) -> etree._Element:
    """Parse UTF-8 bytes into a root element; ParseError when nothing readable is there."""
    sniff = data[:2048]
    if _HTML_START.match(sniff):
        raise ParseError(f"not a feed: looks like an HTML page{_html_title(data)}", url=url)
    try:
        return _parse(data, url, recover=False)
    except etree.XMLSyntaxError as err:
        first = err
    _refuse_if_hostile(first, url)
    if "ntity" in first.msg or "CharRef" in first.msg or b"&#X" in data:
        data = _repair_entities(data)
        try:
            return _parse(data, url, recover=False)
        except etree.XMLSyntaxError as err:
            first = err
        _refuse_if_hostile(first, url)
    if _is_truncated(first, data):
        raise ParseError(f"truncated XML: {first.msg}", url=url) from first
    try:
        root = _parse(_surrogate_refs_replaced(data), url, recover=True)
    except etree.XMLSyntaxError as err:
        raise ParseError(f"not well-formed XML: {err.msg}", url=url) from err
    if root is None:
        raise ParseError(f"not well-formed XML: {first.msg}", url=url) from first
    return root


def parse_strict(data: bytes, url: str) -> etree._Element | None:
    """The root when ``data`` is a well-formed document in valid UTF-8 that does not look like
    an HTML page, else ``None`` (:func:`parse_document` then says why or repairs it).

    libxml2 refuses any byte sequence that is not UTF-8 in a strict parse, so success proves
    the body valid UTF-8 (tests/test_parse.py holds libxml2 to that). Should a libxml2 build
    not refuse them (:data:`STRICT_PARSE_CHECKS_UTF8` false), this always gives ``None``.
    """
    if not STRICT_PARSE_CHECKS_UTF8 or _HTML_START.match(data[:2048]):
        return None
    try:
        return _parse(data, url, recover=False)
    except etree.Error:
        return None


def _parse(data: bytes, url: str, *, recover: bool) -> etree._Element:
    # Entities the document declares itself are expanded (libxml2's amplification limit
    # stops bombs); external ones (files, URLs) never are.
    parser = safe_parser(internal_entities=True, recover=recover, encoding="utf-8")
    if url:
        return etree.fromstring(data, parser, base_url=url)
    return etree.fromstring(data, parser)


# Invalid UTF-8 of each kind (stray continuation byte, overlong form, surrogate, beyond
# U+10FFFF, cut sequence) in each place the parser reads text from.
_BAD_UTF8 = (b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe4\xb8")
_BAD_UTF8_PLACES = (
    b"<r>@</r>",
    b'<r a="@"/>',
    b"<r><![CDATA[@]]></r>",
    b"<r><!--@--></r>",
    b"<r><?p @?></r>",
    b'<!DOCTYPE r [<!ENTITY e "@">]><r/>',
)


def _strict_parse_checks_utf8() -> bool:
    """Whether this libxml2 refuses every sample of invalid UTF-8 in a strict parse."""
    for place in _BAD_UTF8_PLACES:
        for bad in _BAD_UTF8:
            try:
                _parse(place.replace(b"@", bad), "", recover=False)
            except etree.XMLSyntaxError:
                continue
            return False
    return True


STRICT_PARSE_CHECKS_UTF8 = _strict_parse_checks_utf8()


def _refuse_if_hostile(err: etree.XMLSyntaxError, url: str) -> None:
    msg = err.msg.lower()
    if "amplification" in msg or "entity reference loop" in msg or "entity loop" in msg:
        raise ParseError(f"refused hostile XML (entity expansion): {err.msg}", url=url) from err


def _is_truncated(err: etree.XMLSyntaxError, data: bytes) -> bool:
    """The first error sits at the very end of the body: the document was cut off."""
    stripped = data.rstrip()
    if _ROOT_END.search(stripped[-24:]):
        return False  # only the root's end tag is cut: every item is complete
    if getattr(err, "code", None) == 77:  # XML_ERR_TAG_NOT_FINISHED: "Premature end of data in tag"
        return True
    last_line = stripped.rsplit(b"\n", 1)[-1]
    line, column = err.position
    return line == stripped.count(b"\n") + 1 and column >= len(last_line) and len(stripped) > 0


def _repair_entities(data: bytes) -> bytes:
    """HTML named entities -> character references; a bare ``&`` or an unknown entity ->
    ``&amp;`` (the text shows as written); ``&#X41;`` -> ``&#x41;``."""

    def fix(m: re.Match[bytes]) -> bytes:
        name, numeric = m[1], m[2]
        if m[0][:1] == b"<":  # CDATA: literal text
            return m[0]
        if numeric:  # XML spells hex references "&#x"; HTML (and feeds) also "&#X"
            return m[0].replace(b"&#X", b"&#x", 1)
        if name is None:
            return b"&amp;"
        if name in _XML_PREDEFINED:
            return m[0]
        chars = html.entities.html5.get(name.decode("ascii") + ";")
        if chars is None:
            return b"&amp;" + m[0][1:]  # unknown: shown as written, as a browser does
        return b"".join(b"&#%d;" % ord(c) for c in chars)

    return _surrogate_refs_replaced(_ENTITY_OR_AMP.sub(fix, data))


def _surrogate_refs_replaced(data: bytes) -> bytes:
    """``&#xD800;`` (any reference to a surrogate) -> ``&#xFFFD;``. libxml2's recover mode
    keeps such a reference as the bytes of the surrogate, which lxml then cannot decode: one
    item would fail the whole feed. Other references XML forbids are left to the parser."""
    if b"&#" not in data:
        return data

    def fix(m: re.Match[bytes]) -> bytes:
        if m[1] is None and m[2] is None:  # CDATA: literal text
            return m[0]
        value = int(m[1], 16) if m[1] is not None else int(m[2])
        return b"&#xFFFD;" if 0xD800 <= value <= 0xDFFF else m[0]

    return _CHAR_REF.sub(fix, data)


def _html_title(data: bytes) -> str:
    m = _HTML_TITLE.search(data[:8192])
    if not m:
        return ""
    title = " ".join(m[1].decode("utf-8", errors="replace").split())
    return f" (title {title!r})" if title else ""


def text_of(el: etree._Element | None) -> str:
    """The text inside ``el`` (children's text included), ``""`` for ``None``."""
    if el is None:
        return ""
    if len(el) == 0:
        return el.text or ""
    return "".join(t for t in el.itertext() if isinstance(t, str))


def markup_of(el: etree._Element | None) -> str:
    """HTML inside ``el``: its text when escaped, else its children serialized (xhtml)."""
    if el is None:
        return ""
    if len(el) == 0:
        return el.text or ""
    if not any(isinstance(child.tag, str) for child in el):
        return text_of(el)
    return inner_xml(el)


def inner_xml(el: etree._Element) -> str:
    """Serialize the children of ``el`` as HTML-ish markup without namespace noise."""
    clone = copy.deepcopy(el)
    for node in clone.iter():
        if isinstance(node.tag, str) and node.tag[0] == "{":
            node.tag = node.tag.rpartition("}")[2]
    etree.cleanup_namespaces(clone)
    parts = [_escape(clone.text or "")]
    for child in clone:
        parts.append(etree.tostring(child, encoding="unicode", with_tail=True))
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def has_xml_base(el: etree._Element | None) -> bool:
    """Whether ``el`` or an ancestor carries ``xml:base``."""
    while el is not None:
        if el.get(XML_BASE) is not None:
            return True
        el = el.getparent()
    return False
