"""OPML import and export of the source list, the category path as nested outlines.

``[社交媒体, 知乎, 知乎热榜]`` is written as an outline ``社交媒体`` holding ``知乎`` holding
the feed outline ``知乎热榜`` (its ``xmlUrl`` the feed). Reading does the reverse: the texts
of the enclosing outlines plus the feed's own text are the category path. Parsing is safe:
no entities resolved, no DTD, no network.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from lxml import etree

from hotpress._site.xmltext import NOT_XML
from hotpress._xmlsafe import safe_parser
from hotpress.exceptions import OpmlError
from hotpress.types import SourceSpec


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    category: tuple[str, ...]
    url: str
    html_url: str | None = None


def _text(outline: etree._Element) -> str:
    raw = outline.get("text") or outline.get("title") or ""
    return " ".join(raw.split())


def parse_opml(data: bytes) -> list[OpmlFeed]:
    """Every feed outline (one with ``xmlUrl``) with its category path, in document order."""
    parser = safe_parser(internal_entities=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise OpmlError(f"not well-formed XML: {exc}") from exc
    if root.tag != "opml":
        raise OpmlError(f"the root element is <{root.tag}>, not <opml>")
    body = root.find("body")
    if body is None:
        raise OpmlError("no <body> in the OPML file")
    feeds: list[OpmlFeed] = []

    def walk(node: etree._Element, path: tuple[str, ...]) -> None:
        for outline in node.iterchildren("outline"):
            text = _text(outline)
            url = (outline.get("xmlUrl") or "").strip()
            if url:
                leaf = text or url
                feeds.append(OpmlFeed((*path, leaf), url, outline.get("htmlUrl") or None))
            walk(outline, (*path, text) if text and not url else path)

    walk(body, ())
    return feeds


def _xml(text: str) -> str:
    # lxml refuses (ValueError) what XML 1.0 forbids; a config may hold it ("\x01" in YAML).
    return NOT_XML.sub("", text)


def _sub(parent: etree._Element, text: str) -> etree._Element:
    return etree.SubElement(parent, "outline", text=_xml(text), title=_xml(text))


def export_opml(sources: Sequence[SourceSpec], *, title: str, now: datetime | None = None) -> bytes:
    """The sources as OPML 2.0, grouped by every level of their category path but the last."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = _xml(title)
    etree.SubElement(head, "dateCreated").text = format_datetime(now or datetime.now(UTC))
    body = etree.SubElement(root, "body")
    groups: dict[tuple[str, ...], etree._Element] = {(): body}
    for spec in sources:
        parent = body
        for depth in range(1, len(spec.category)):
            prefix = spec.category[:depth]
            if prefix not in groups:
                groups[prefix] = _sub(parent, prefix[-1])
            parent = groups[prefix]
        leaf = _sub(parent, spec.category[-1])
        leaf.set("type", "rss")
        leaf.set("xmlUrl", _xml(spec.url))
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data


def to_route(url: str, rsshub_bases: Iterable[str]) -> str | None:
    """The RSSHub route of a feed URL served by one of ``rsshub_bases``, else None."""
    for base in rsshub_bases:
        prefix = base.rstrip("/") + "/"
        if url.startswith(prefix):
            return "/" + url[len(prefix) :]
    return None
