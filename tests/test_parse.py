"""parse_feed on real-world shapes, hostile XML and random bytes; clean_title/html_to_text."""

from __future__ import annotations

import codecs
import contextlib
import http.server
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from hotpress._parse import parse_feed, read_general
from hotpress._parse.encoding import C1_AS_WINDOWS_1252, unchecked_utf8
from hotpress._parse.links import checked_join, simple_join
from hotpress._parse.text import clean_title, html_to_text
from hotpress._parse.xmlfeed import STRICT_PARSE_CHECKS_UTF8, parse_strict
from hotpress.exceptions import ParseError

DATA = Path(__file__).resolve().parent / "data" / "parse"
FIXTURES = sorted(p for p in DATA.iterdir() if not p.name.endswith(".expected.json"))
URL = "https://example.com/feed.xml"


def _as_json(feed: Any) -> dict[str, Any]:
    d = asdict(feed)
    d["entries"] = list(d["entries"])
    for entry in d["entries"]:
        for key in ("published", "updated"):
            entry[key] = entry[key].isoformat() if entry[key] else None
    return d


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixture_feed_parses_to_its_expected_result(path: Path) -> None:
    spec = json.loads((DATA / f"{path.name}.expected.json").read_text(encoding="utf-8"))
    feed = parse_feed(
        path.read_bytes(),
        url=spec["url"],
        content_type=spec["content_type"],
        timezone=spec["timezone"],
    )
    assert _as_json(feed) == spec["expected"]


def _rss(items: str, *, head: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return f'{head}<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


def test_an_html_page_is_not_a_feed() -> None:
    page = b"<!DOCTYPE html><html><head><title>Login</title></head><body>hi</body></html>"
    with pytest.raises(ParseError, match=r"not a feed.*HTML.*Login") as info:
        parse_feed(page, url=URL, content_type="text/html")
    assert info.value.url == URL


def test_a_lowercase_html_page_without_doctype_is_not_a_feed() -> None:
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed(b"\n  <html><body><p>x</body></html>", url=URL)


@pytest.mark.parametrize("body", [b"", b"   \n\t", b"\x00\x00"])
def test_an_empty_body_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError, match="empty"):
        parse_feed(body, url=URL)


def test_truncated_xml_is_refused() -> None:
    whole = _rss("<item><title>A</title><description>long text</description></item>")
    with pytest.raises(ParseError, match="truncated"):
        parse_feed(whole[: whole.index(b"long") + 4], url=URL)


def test_a_feed_missing_only_its_root_end_tag_is_read() -> None:
    whole = _rss("<item><title>A</title></item>")
    feed = parse_feed(whole[:-1], url=URL)
    assert [e.title for e in feed.entries] == ["A"]


def test_other_xml_and_json_documents_are_not_feeds() -> None:
    with pytest.raises(ParseError, match="root element is <opml>"):
        parse_feed(b"<opml><body/></opml>", url=URL)
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed(b'{"ok": true}', url=URL)
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed(b"[1, 2]", url=URL)
    with pytest.raises(ParseError, match="invalid JSON"):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1.1", "items": [', url=URL)


def test_undefined_html_entities_in_rss_are_decoded_not_dropped() -> None:
    feed = parse_feed(_rss("<item><title>a&nbsp;b &hellip; &copy;</title></item>"), url=URL)
    assert feed.entries[0].title == "a b … ©"


def test_bare_ampersands_in_links_are_repaired() -> None:
    feed = parse_feed(_rss("<item><link>http://x.test/get?a=1&b=2</link></item>"), url=URL)
    assert feed.entries[0].link == "http://x.test/get?a=1&b=2"


def test_ill_formed_markup_is_recovered() -> None:
    body = _rss("<item><title>A</title><description><p>unclosed<br></description></item>")
    feed = parse_feed(body, url=URL)
    assert feed.entries[0].title == "A"


def test_javascript_links_are_dropped_and_relative_links_resolved() -> None:
    items = (
        "<item><link> JavaScript:alert(1)</link></item>"
        "<item><link>java\tscript:alert(1)</link></item>"
        "<item><link>/post/1</link></item>"
    )
    feed = parse_feed(_rss(items), url="https://example.com/rss/feed.xml")
    assert [e.link for e in feed.entries] == [None, None, "https://example.com/post/1"]


def test_guid_that_is_a_permalink_becomes_the_link() -> None:
    items = (
        "<item><guid>https://e.test/1</guid></item>"
        '<item><guid isPermaLink="false">https://e.test/2</guid></item>'
        "<item><guid>not-a-url</guid></item>"
    )
    feed = parse_feed(_rss(items), url=URL)
    assert [e.link for e in feed.entries] == ["https://e.test/1", None, None]
    assert [e.guid for e in feed.entries] == ["https://e.test/1", "https://e.test/2", "not-a-url"]


def test_content_encoded_wins_and_description_becomes_the_summary() -> None:
    items = (
        '<item xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        "<description>short</description><content:encoded><![CDATA[<p>long</p>]]>"
        "</content:encoded></item>"
    )
    entry = parse_feed(_rss(items), url=URL).entries[0]
    assert (entry.content, entry.summary) == ("<p>long</p>", "short")


def test_media_thumbnail_is_the_entry_image() -> None:
    items = (
        '<item xmlns:media="http://search.yahoo.com/mrss/">'
        '<enclosure url="https://e.test/a.mp3" type="audio/mpeg"/>'
        '<media:thumbnail url="/t.jpg"/></item>'
    )
    entry = parse_feed(_rss(items), url="https://e.test/feed").entries[0]
    assert entry.image == "https://e.test/t.jpg"


def test_rdf_items_are_read() -> None:
    body = (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b"<channel><title>R</title><link>https://r.test/</link></channel>"
        b"<item><title>One</title><link>https://r.test/1</link>"
        b"<dc:date>2024-01-15T10:30:00+08:00</dc:date><dc:creator>Ann</dc:creator></item>"
        b"</rdf:RDF>"
    )
    feed = parse_feed(body, url=URL)
    assert (feed.kind, feed.title, feed.link) == ("rdf", "R", "https://r.test/")
    entry = feed.entries[0]
    assert (entry.title, entry.link, entry.author) == ("One", "https://r.test/1", "Ann")
    assert (
        entry.published is not None and entry.published.isoformat() == "2024-01-15T02:30:00+00:00"
    )


def test_atom_xml_base_resolves_links_and_sets_the_content_base() -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://a.test/blog/">'
        b'<entry><link href="p/1"/><content type="html" xml:base="/media/">x</content></entry>'
        b'<entry><link href="p/2"/><content type="html">y</content></entry></feed>'
    )
    first, second = parse_feed(body, url="https://elsewhere.test/atom").entries
    assert first.link == "https://a.test/blog/p/1"
    assert first.base == "https://a.test/media/"
    assert second.base == "https://a.test/blog/"


def test_atom_html_title_is_decoded_once_and_text_title_kept_literal() -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom">'
        b'<entry><title type="html">A &amp;amp; B &lt;b&gt;bold&lt;/b&gt;</title></entry>'
        b'<entry><title type="text">History of the &lt;blink&gt; tag</title></entry></feed>'
    )
    titles = [e.title for e in parse_feed(body, url=URL).entries]
    assert titles == ["A & B bold", "History of the <blink> tag"]


def test_atom_03_feed_is_read() -> None:
    body = (
        b'<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old</title>'
        b'<entry><title mode="escaped" type="text/html">&lt;i&gt;Hi&lt;/i&gt;</title>'
        b'<link rel="alternate" type="text/html" href="http://o.test/1"/>'
        b"<issued>2004-01-01T12:00:00Z</issued><modified>2004-01-02T12:00:00Z</modified>"
        b'<content type="text/html" mode="escaped">&lt;p&gt;c&lt;/p&gt;</content></entry></feed>'
    )
    feed = parse_feed(body, url=URL)
    entry = feed.entries[0]
    assert (feed.kind, entry.title, entry.link, entry.content) == (
        "atom",
        "Hi",
        "http://o.test/1",
        "<p>c</p>",
    )
    assert entry.published is not None and entry.published.year == 2004


def test_json_feed_numbers_are_timestamps_and_text_is_escaped() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1",
            "items": [{"id": 1, "content_text": "a<b", "date_published": 1705285800}],
            "author": {"name": "Solo"},
        }
    ).encode()
    entry = parse_feed(body, url=URL).entries[0]
    assert (entry.guid, entry.content, entry.author) == ("1", "a&lt;b", "Solo")
    assert entry.published is not None and entry.published.isoformat().startswith("2024-01-15")


def test_versionless_json_shaped_like_a_json_feed_is_read() -> None:
    body = b'{"title": "V", "items": [{"id": "1", "title": "one"}]}'
    feed = parse_feed(body, url=URL)
    assert (feed.kind, [e.title for e in feed.entries]) == ("json", ["one"])


def test_xml_base_on_any_ancestor_of_an_rss_body_sets_the_content_base() -> None:
    def base(rss: str, channel: str = "", item: str = "", body: str = "") -> str | None:
        doc = (
            f"<rss{rss}><channel{channel}><item{item}><link>https://l.test/1</link>"
            f"<description{body}>x</description></item></channel></rss>"
        )
        return parse_feed(doc.encode(), url=URL).entries[0].base

    assert base("") == "https://l.test/1"
    assert base(' xml:base="https://r.test/"') == "https://r.test/"
    assert base("", channel=' xml:base="https://c.test/"') == "https://c.test/"
    assert base("", item=' xml:base="https://i.test/a/"', body=' xml:base="b/"') == (
        "https://i.test/a/b/"
    )
    assert base("", body=' xml:base="https://d.test/"') == "https://d.test/"


def test_xml_base_on_an_rdf_root_reaches_its_items() -> None:
    body = (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns="http://purl.org/rss/1.0/" xml:base="https://r.test/x/">'
        b"<channel><title>R</title></channel>"
        b"<item><link>https://r.test/1</link><description>d</description></item></rdf:RDF>"
    )
    assert parse_feed(body, url=URL).entries[0].base == "https://r.test/x/"


def test_atom_xml_base_on_an_entry_and_shared_dates_are_read() -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom">'
        b'<entry xml:base="https://e.test/d/"><link href="p/1"/><content>x</content>'
        b"<published>2024-01-15T10:30:00+08:00</published>"
        b"<updated>2024-01-15T10:30:00+08:00</updated></entry>"
        b'<entry><link href="p/2"/><content>y</content>'
        b"<published>2024-01-15T10:30:00+08:00</published>"
        b"<updated>2024-01-16T10:30:00Z</updated></entry></feed>"
    )
    first, second = parse_feed(body, url="https://f.test/atom").entries
    assert (first.link, first.base) == ("https://e.test/d/p/1", "https://e.test/d/")
    assert (second.link, second.base) == ("https://f.test/p/2", "https://f.test/p/2")
    assert first.published == first.updated == second.published
    assert first.published is not None and first.published.isoformat() == (
        "2024-01-15T02:30:00+00:00"
    )
    assert second.updated is not None and second.updated.isoformat() == (
        "2024-01-16T10:30:00+00:00"
    )


# --- the fast path agrees with the general one ---------------------------------------------


def _outcome(read: Any, body: bytes, **kwargs: Any) -> str:
    """A parse's result or error message, as parse_feed reports it."""
    try:
        return repr(read(body, url=URL, **kwargs))
    except ParseError as err:
        return err.message
    except (ValueError, LookupError, RecursionError, OverflowError, etree.Error) as err:
        return f"unreadable feed: {type(err).__name__}: {err}"  # parse_feed's wrapping


def _corpus_feeds(corpora: Path) -> list[Path]:
    folders = ("feedparser-tests", "rsshub", "miniflux-testdata", "reader-testdata")
    found = [p for f in folders for p in sorted((corpora / f).rglob("*")) if p.is_file()]
    return [p for p in found if p.suffix not in (".txt", ".jsonl", ".md")] + FIXTURES


def test_the_fast_path_reads_every_corpus_feed_as_the_general_path_does(corpora: Path) -> None:
    fast = 0
    differ: list[str] = []
    for path in _corpus_feeds(corpora):
        data = path.read_bytes()
        if not data.strip():
            continue
        half = len(data) // 2
        variants = [
            (data, None),
            (data, "text/xml; charset=iso-8859-1"),  # a stale legacy label
            (codecs.BOM_UTF8 + data, None),
            (data[:half] + b"\xe4\xb8" + data[half:], None),  # invalid UTF-8 mid-body
        ]
        for body, content_type in variants:
            got = _outcome(parse_feed, body, content_type=content_type)
            want = _outcome(read_general, body, content_type=content_type, tz="UTC")
            if got != want:
                differ.append(f"{path.name} {content_type}: {got[:200]} != {want[:200]}")
            decoded = unchecked_utf8(body, content_type)
            fast += decoded is not None and parse_strict(decoded.utf8, URL) is not None
    assert differ == []
    assert fast > 2500  # the comparison did exercise the fast path


def test_this_libxml2_refuses_invalid_utf8_in_a_strict_parse() -> None:
    assert STRICT_PARSE_CHECKS_UTF8


_PLACES = [
    b'<?xml version="1.0"?><rss><channel><title>@</title></channel></rss>',
    b'<rss><channel><title a="x@">t</title></channel></rss>',
    b"<rss><channel><title><![CDATA[@]]></title></channel></rss>",
    b"<rss><channel><!-- @ --><?pi @?><title>t</title></channel></rss>",
    b'<!DOCTYPE rss [<!ENTITY e "@">]><rss><channel><title>&e;</title></channel></rss>',
    b"<rss><channel><title>" + "中".encode() * 3000 + b"@</title></channel></rss>",
]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(_PLACES),
    st.binary(min_size=1, max_size=6).filter(lambda b: not b.isascii()),
)
def test_a_strict_parse_succeeds_only_on_valid_utf8(place: bytes, junk: bytes) -> None:
    doc = place.replace(b"@", junk)
    assert parse_strict(place.replace(b"@", "é".encode()), URL) is not None
    try:
        doc.decode("utf-8")
    except UnicodeDecodeError:
        assert parse_strict(doc, URL) is None


def test_relative_links_join_by_concatenation_when_the_shape_is_plain() -> None:
    assert simple_join("https://a.test/blog/x.html", "p/1") == "https://a.test/blog/p/1"
    assert simple_join("https://a.test", "p/1?q=1#f") == "https://a.test/p/1?q=1#f"
    assert simple_join("http://a.test/x/", "/root") == "http://a.test/root"
    for base, href in [
        ("https://a.test/x/", "../up"),
        ("https://a.test/x/", "./here"),
        ("https://a.test/x//y", "z"),
        ("https://a.test:8080/", "z"),
        ("https://a.test/x", "//other.test/z"),
        ("https://a.test/x", "mailto:z"),
        ("https://a.test/x;p", "z"),
        ("ftp://a.test/x", "z"),
    ]:
        assert simple_join(base, href) is None, (base, href)


_URL_CHARS = "aZ09_.~!$&'()*+,;=:@%/?#-"


@settings(max_examples=2000, deadline=None)
@given(
    st.sampled_from(["https://h.test", "http://a", "https://x.y-z.test", "HTTPS://h", "https://."]),
    st.text(_URL_CHARS, max_size=14).map(lambda p: "/" + p),
    st.text(_URL_CHARS, max_size=14),
)
def test_a_plain_join_equals_urljoin_and_its_checks(origin: str, path: str, href: str) -> None:
    joined = simple_join(origin + path, href)
    if joined is not None:
        assert joined == checked_join(href, origin + path)


# --- hostile XML ---------------------------------------------------------------------------


SAMPLE_HOST = b"127.0.0.1:8765"
"""Where the xml-attacks samples point their external DTDs and entities."""


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits = 0
    port = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"NETWORK-LEAK")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[type[_CountingHandler]]:
    """The loopback port the attack samples point at, counting any request made to it."""
    _CountingHandler.hits = 0
    # A free port (never skip because a fixed one is busy); the samples' URLs are pointed at it.
    server = http.server.HTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _CountingHandler.port = server.server_address[1]
    yield _CountingHandler
    server.shutdown()
    server.server_close()


def test_xml_attacks_are_fast_leak_nothing_and_touch_no_network(
    corpora: Path, listener: type[_CountingHandler]
) -> None:
    attacks = corpora / "xml-attacks"
    secrets = [
        (attacks / "canary" / "secret.txt").read_text().strip(),
        "root:x:0:0",
        "NETWORK-LEAK",
        Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else "",
    ]
    samples = sorted((attacks / "samples").iterdir()) + sorted(
        p for p in (attacks / "defusedxml").iterdir() if p.suffix in (".xml", ".xsd", ".xsl")
    )
    assert len(samples) >= 25
    outcomes = {}
    pointed = 0
    for sample in samples:
        start = time.perf_counter()
        pointed += SAMPLE_HOST in sample.read_bytes()
        try:
            # The corpus points its DTDs and entities at 127.0.0.1:8765: here, the listener.
            data = sample.read_bytes().replace(SAMPLE_HOST, b"127.0.0.1:%d" % listener.port)
            feed = parse_feed(data, url=sample.resolve().as_uri())
            dumped = json.dumps(_as_json(feed), ensure_ascii=False)
            outcomes[sample.name] = "parsed"
            for secret in filter(None, secrets):
                assert secret not in dumped, (sample.name, secret)
        except ParseError:
            outcomes[sample.name] = "refused"
        assert time.perf_counter() - start < 2, sample.name
    assert listener.hits == 0
    assert pointed >= 4  # the network samples were aimed at the listener
    for bomb in ("billion_laughs.rss", "billion_laughs_utf16.rss", "quadratic_blowup.rss"):
        assert outcomes[bomb] == "refused"
    assert outcomes["xxe_local_file.rss"] == "parsed"


# --- never anything but ParseError -----------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_raise_nothing_but_parse_error(data: bytes) -> None:
    with contextlib.suppress(ParseError):
        parse_feed(data, url=URL, content_type="text/xml; charset=gbk")


_SEEDS = [
    _rss(
        "<item><title>A &amp; B</title><link>/x</link><pubDate>Mon, 15 Jan 2024 10:30:00 CST"
        "</pubDate><guid>g</guid><description><![CDATA[<p>x</p>]]></description></item>"
    ),
    (DATA / "juejin.atom").read_bytes(),
    (DATA / "feed.json").read_bytes(),
    (DATA / "oschina-gbk.rss").read_bytes(),
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_SEEDS),
    st.lists(
        st.tuples(st.integers(0, 5000), st.integers(0, 40), st.binary(max_size=8)), max_size=4
    ),
)
def test_mutated_feeds_raise_nothing_but_parse_error(
    seed: bytes, edits: list[tuple[int, int, bytes]]
) -> None:
    data = seed
    for at, cut, insert in edits:
        at %= len(data) + 1
        data = data[:at] + insert + data[at + cut :]
    with contextlib.suppress(ParseError):
        parse_feed(data, url=URL)


# --- text --------------------------------------------------------------------------------


def test_clean_title_collapses_whitespace_and_drops_control_characters() -> None:
    assert clean_title("  a\n\n b\t\u3000c\r\n") == "a b c"
    # C1 characters are Windows-1252 read with the wrong table: NEL is "…", U+009F is "Ÿ".
    assert clean_title("x\x00y\x07z\x85w\x9f!") == "xyz…wŸ!"
    assert clean_title("") == ""


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + "\u200b\ufeff"


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from(_SPACES + "ab中\x00\x07\x85\x92\x9d"), max_size=20))
def test_clean_title_is_its_definition_for_any_text(raw: str) -> None:
    # The definition the fast path for plain titles must keep.
    want = re.sub(
        r"[\s\u200b\ufeff]+", " ", _CONTROL.sub("", raw.translate(C1_AS_WINDOWS_1252))
    ).strip()
    assert clean_title(raw) == want


def test_html_to_text_strips_tags_and_decodes_entities_once() -> None:
    assert html_to_text("Example <b>Atom</b>") == "Example Atom"
    assert html_to_text("&amp;amp; &lt;b&gt;") == "&amp; <b>"
    assert html_to_text("<p>one</p><p>two</p><script>x()</script>") == "one two"
    assert html_to_text("plain") == "plain"


def test_a_link_that_is_no_valid_url_is_dropped() -> None:
    from hotpress._parse.links import safe_link

    assert safe_link("//javascript:alert(1)", "https://example.com/feed") is None
    assert safe_link("http://", None) is None
    assert safe_link("/a/b", "https://example.com/feed") == "https://example.com/a/b"
    assert safe_link("https://example.com:8443/x", None) == "https://example.com:8443/x"
