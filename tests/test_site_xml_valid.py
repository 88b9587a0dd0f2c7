"""Issue 11 §3: every XML file the site writes parses with lxml in strict mode, whatever
characters the feeds (or the config) bring: all of XML 1.0's forbidden ranges are tried."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from feedserver import FeedServer, Reply
from hotpress import cli
from hotpress._opml import export_opml
from hotpress._site.extra import sitemaps
from hotpress._site.feeds import FeedEntry, FeedMeta, atom, rss
from hotpress._site.store import SitemapRow
from hotpress._site.xmltext import NOT_XML
from hotpress.types import SourceSpec
from test_properties import PROFILE

# Every character XML 1.0 forbids, range by range (a str holds nothing above U+10FFFF).
FORBIDDEN = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))] + [
    "\ud800",
    "\udbff",
    "\udc00",
    "\udfff",
    "\ufffe",
    "\uffff",
]
# Their neighbours XML allows (some only "discouraged"): they must come through unchanged.
ALLOWED_EDGES = "\t\n\x20\x7f\x80\x9f\ud7ff\ue000\ufdd0\ufffd\U00010000\U0001fffe\U0010ffff"


def strict(data: bytes) -> etree._Element:
    parser = etree.XMLParser(recover=False, resolve_entities=False, no_network=True)
    return etree.fromstring(data, parser)


def entry(text: str) -> FeedEntry:
    when = datetime(2024, 1, 15, tzinfo=UTC)
    return FeedEntry(
        title=f"T{text}T",
        url=f"https://example.org/items/{text}.html",
        id=f"id{text}",
        date=when,
        updated=when,
        content=f"<p>B{text}B</p>",
        categories=(f"C{text}C",),
        author=f"A{text}A",
        image=None,
        original=None,
    )


def meta(text: str) -> FeedMeta:
    return FeedMeta(
        title=f"S{text}S",
        home="https://example.org/",
        base=f"https://example.org/{text}/",
        description=f"D{text}D",
        language=f"zh{text}",
    )


def test_the_forbidden_set_is_exactly_xml_1_0_s() -> None:
    for code in range(0x110000):
        char = chr(code)
        allowed = (
            code in (0x9, 0xA, 0xD)
            or 0x20 <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFFFD
            or code >= 0x10000
        )
        assert bool(NOT_XML.match(char)) is not allowed, hex(code)


@pytest.mark.parametrize("char", FORBIDDEN, ids=[f"U+{ord(c):04X}" for c in FORBIDDEN])
@pytest.mark.parametrize("write", [rss, atom], ids=["rss", "atom"])
def test_a_forbidden_character_anywhere_leaves_the_feed_valid(write: object, char: str) -> None:
    assert callable(write)
    data = write(meta(char), [entry(char)])
    strict(data)
    text = data.decode()
    for kept in (">TT<", ">AA<", "CC", "BB", ">SS<", "DD"):
        assert kept in text  # the character dropped, its neighbours kept


@pytest.mark.parametrize("write", [rss, atom], ids=["rss", "atom"])
def test_characters_xml_allows_come_through_unchanged(write: object) -> None:
    assert callable(write)
    root = strict(write(meta(ALLOWED_EDGES), [entry(ALLOWED_EDGES)]))
    titles = [el.text for el in root.iter("{*}title", "title")]
    assert f"T{ALLOWED_EDGES}T" in titles


@pytest.mark.parametrize("char", FORBIDDEN, ids=[f"U+{ord(c):04X}" for c in FORBIDDEN])
def test_sitemaps_stay_valid(char: str) -> None:
    rows = [SitemapRow(id=1, identity="ab" * 16, path=f"items/x{char}.html", lastmod=0)]
    for _name, data in sitemaps(f"https://example.org/{char}", rows, [f"c/{char}/index.html"]):
        strict(data)


@PROFILE
@given(st.text(), st.text(), st.text())
def test_any_text_gives_feeds_that_parse_strictly(title: str, body: str, name: str) -> None:
    item = FeedEntry(
        title=title,
        url="https://example.org/i.html",
        id="i",
        date=datetime(2024, 1, 15, tzinfo=UTC),
        updated=datetime(2024, 1, 15, tzinfo=UTC),
        content=body,
        categories=(name,),
        author=name,
        image=None,
        original=None,
    )
    site = FeedMeta(
        title=name,
        home="https://example.org/",
        base="https://example.org/",
        description=name,
        language="zh",
    )
    for write in (rss, atom):
        root = strict(write(site, [item]))
        got = next(
            el.text or ""
            for el in root.iter("{*}entry", "item")
            for el in el.iter("{*}title", "title")
        )
        # What a parser reads back: the title without forbidden characters, line ends as \n.
        assert got == NOT_XML.sub("", title).replace("\r\n", "\n").replace("\r", "\n")


def test_forbidden_characters_from_feeds_never_reach_the_site_s_xml(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    hostile = "".join(c for c in FORBIDDEN if not "\ud800" <= c <= "\udfff")
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "j",
        "items": [
            {
                "id": "1",
                "title": f"JSON{hostile}TITLE",
                "content_html": f"<p>JSON{hostile}BODY</p>",
                "authors": [{"name": f"A{hostile}"}],
                "date_published": "2024-01-15T00:00:00Z",
            }
        ],
    }
    feed_server.route(
        "/j",
        Reply(body=json.dumps(doc).encode(), headers={"Content-Type": "application/feed+json"}),
    )
    # U+FFFE/U+FFFF as raw UTF-8 and as references in an RSS feed (read in recover mode).
    rss_body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>r</title><item>'
        "<title>RSS\ufffe\uffff&#xFFFE;&#1;TITLE</title><guid>r1</guid>"
        "<description>RSS&#xFFFF;BODY\ufffe</description>"
        "<pubDate>Mon, 15 Jan 2024 02:30:00 GMT</pubDate></item></channel></rss>"
    ).encode()
    feed_server.route("/r", Reply(body=rss_body, headers={"Content-Type": "application/rss+xml"}))
    config = tmp_path / "hotpress.yml"
    config.write_text(
        "database: a.db\noutput:\n  site: public\n"
        'site:\n  title: "SITE\\x01\\uFFFE"\n  url: https://example.org\n'
        "  feeds: [rss, atom, json]\n"
        "fetch:\n  retries: 0\n  min_host_interval: 0\nsources:\n"
        f'  - category: ["CAT\\x02", "\\uFFFF"]\n    url: {feed_server.url("/j")}\n'
        f"  - category: [r]\n    url: {feed_server.url('/r')}\n",
        encoding="utf-8",
    )
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    xml_files = sorted((tmp_path / "public").rglob("*.xml"))
    assert len(xml_files) >= 4
    seen = ""
    for path in xml_files:
        root = strict(path.read_bytes())
        seen += "".join(root.itertext())
    # Controls that Python counts as white space became a space when the title was cleaned.
    assert re.search("JSON ?TITLE", seen) and "RSSTITLE" in seen
    assert re.search("RSS ?BODY", seen)


@pytest.mark.parametrize("char", FORBIDDEN, ids=[f"U+{ord(c):04X}" for c in FORBIDDEN])
def test_opml_export_stays_valid(char: str) -> None:
    spec = SourceSpec(
        key="k",
        category=(f"G{char}", f"S{char}"),
        url=f"https://e.example/{char}",
        author="a",
        timezone="UTC",
    )
    root = strict(export_opml([spec], title=f"T{char}"))
    assert [o.get("text") for o in root.iter("outline")] == ["G", "S"]
