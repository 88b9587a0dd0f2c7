"""Issue 11 §2 as a property: whatever one source's server sends (any JSON values, any XML
text and dates, any header values, any status), ``hotpress run`` finishes, the other source
is stored and published to the Hexo posts and the site, and every XML file the site writes
parses strictly. Each example is a whole run: a real local server, the CLI, a fresh archive.

Profiles as in test_properties.py; each example costs a whole run (~0.3 s), so the ``ci``
profile runs 25 examples per property and ``long`` 2,000.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from feedserver import FeedServer, Reply
from hotpress import cli

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
RUNS = settings(
    max_examples=2000 if LONG else 25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
RSS_TYPE = {"Content-Type": "application/rss+xml"}
GOOD = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>g</title>'
    b"<item><title>GOOD-ITEM</title><guid>g1</guid><link>https://example.com/g1</link>"
    b"<description>fine</description><pubDate>Mon, 15 Jan 2024 02:30:00 GMT</pubDate>"
    b"</item></channel></rss>"
)

# Any str, lone surrogates and every control character included, the nastiest often.
NASTY = "\ud800\udbff\udc00\udfff\x00\x01\x08\x0b\x1f\x7f\x85\ufffe\uffff\ufeff\u2028&<>'\"\\"
ANY_TEXT = st.text(
    st.one_of(st.characters(codec=None, exclude_categories=()), st.sampled_from(NASTY)),
    max_size=40,
)
# What a header value can carry on the wire (latin-1 without line breaks).
HEADER_TEXT = st.text(st.characters(max_codepoint=0xFF, exclude_characters="\r\n"), max_size=60)
EDGE_DATES = st.sampled_from(
    [
        "Fri, 31 Dec 9999 23:59:59 +1400",
        "Mon, 01 Jan 0001 00:00:00 -1200",
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00-14:00",
        "0000-00-00 00:00:00",
        "Invalid Date",
        "253402300799999",
        "-62135596800",
        "2024-02-30T25:61:61+99:99",
    ]
)
DATES = st.one_of(EDGE_DATES, ANY_TEXT)
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),
    ANY_TEXT,
    DATES,
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["name", "url"]), inner)
    ),
    max_leaves=6,
)
ENTRY_FIELDS = (
    "id",
    "url",
    "external_url",
    "title",
    "content_html",
    "content_text",
    "summary",
    "image",
    "banner_image",
    "date_published",
    "date_modified",
    "author",
    "authors",
    "tags",
)


@st.composite
def json_feeds(draw: st.DrawFn) -> bytes:
    entries = [
        {
            name: draw(st.one_of(ANY_TEXT, JSON_VALUES))
            for name in draw(st.lists(st.sampled_from(ENTRY_FIELDS), max_size=8, unique=True))
        }
        for _ in range(draw(st.integers(1, 3)))
    ]
    doc: dict[str, Any] = {"version": "https://jsonfeed.org/version/1.1", "items": entries}
    doc["title"] = draw(ANY_TEXT)
    # json.dumps writes lone surrogates as \ud800 escapes, as a hostile server would.
    return json.dumps(doc, allow_nan=True).encode()


@st.composite
def xml_text(draw: st.DrawFn) -> bytes:
    """Text as a feed might carry it: escaped, with characters XML forbids written either as
    character references or raw (a raw surrogate as the bytes UTF-8 would give it)."""
    out = []
    for char in draw(ANY_TEXT):
        code = ord(char)
        legal = code in (9, 10, 13) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
        legal = legal or code > 0xFFFF
        if char in "&<>":
            out.append({"&": b"&amp;", "<": b"&lt;", ">": b"&gt;"}[char])
        elif legal or draw(st.booleans()):
            out.append(char.encode("utf-8", "surrogatepass"))
        else:
            out.append(b"&#x%X;" % code)
    return b"".join(out)


@st.composite
def xml_feeds(draw: st.DrawFn) -> bytes:
    atom = draw(st.booleans())
    entries = []
    for _ in range(draw(st.integers(1, 3))):
        title, body, link, guid = (draw(xml_text()) for _ in range(4))
        date = draw(DATES).encode("utf-8", "surrogatepass").replace(b"&", b"&amp;")
        date = date.replace(b"<", b"&lt;")
        if atom:
            entries.append(
                b"<entry><title>%s</title><id>%s</id><link href='%s'/><updated>%s</updated>"
                b"<content type='html'>%s</content><author><name>%s</name></author></entry>"
                % (title, guid, link.replace(b"'", b"&apos;"), date, body, draw(xml_text()))
            )
        else:
            entries.append(
                b"<item><title>%s</title><guid>%s</guid><link>%s</link><pubDate>%s</pubDate>"
                b"<description>%s</description><author>%s</author></item>"
                % (title, guid, link, date, body, draw(xml_text()))
            )
    if atom:
        head = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>%s</title>'
        return head % draw(xml_text()) + b"".join(entries) + b"</feed>"
    head = b'<?xml version="1.0"?><rss version="2.0"><channel><title>%s</title><ttl>%s</ttl>'
    ttl = draw(st.one_of(st.integers(-(10**30), 10**30).map(str), HEADER_TEXT)).encode("latin-1")
    return (
        head % (draw(xml_text()), ttl.replace(b"&", b"&amp;").replace(b"<", b"&lt;"))
        + b"".join(entries)
        + b"</channel></rss>"
    )


HEADER_NAMES = (
    "Content-Type",
    "Retry-After",
    "Cache-Control",
    "Expires",
    "Date",
    "ETag",
    "Last-Modified",
    "Content-Encoding",
    "Location",
)


@st.composite
def replies(draw: st.DrawFn, port: int) -> Reply:
    body = draw(st.one_of(json_feeds(), xml_feeds()))
    status = draw(st.sampled_from([200, 200, 200, 301, 302, 304, 404, 410, 429, 500, 503]))
    headers: dict[str, str] = {}
    for name in draw(st.lists(st.sampled_from(HEADER_NAMES), max_size=5, unique=True)):
        headers[name] = draw(
            st.one_of(
                HEADER_TEXT,
                st.sampled_from(
                    [
                        "9" * 25,
                        "Fri, 31 Dec 9999 23:59:59 GMT",
                        "max-age=" + "9" * 25,
                        "application/feed+json; charset=" + "x" * 40,
                        "text/xml; charset=utf-16",
                        "gzip",
                        "br, gzip",
                    ]
                ),
            )
        )
    if status in (301, 302) or "Location" in headers:
        # Redirects stay on this machine: to another port (nothing there, or out of range)
        # or to a path of this server.
        headers["Location"] = draw(
            st.one_of(
                st.integers(-5, 200_000).map(lambda p: f"http://127.0.0.1:{p}/x"),
                st.sampled_from(["/good", "/hostile", "/nowhere", "?a=1", ""]),
                HEADER_TEXT.map(lambda t: f"http://127.0.0.1:{port}/{t}"),
            )
        )
    return Reply(status=status, body=body, headers=headers)


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    with FeedServer() as feed_server:
        feed_server.route("/good", Reply(body=GOOD, headers=RSS_TYPE))
        yield feed_server


def stays_local(url: str, location: str) -> bool:
    try:
        target = httpx.URL(url).join(location)
    except (httpx.InvalidURL, ValueError):
        return True  # hotpress refuses it too: no request
    return target.host in ("127.0.0.1", "")


def run_once(server: FeedServer, reply: Reply) -> None:
    server.route("/hostile", reply)
    with tempfile.TemporaryDirectory(prefix="hotpress-prop-") as scratch:
        root = Path(scratch)
        config = root / "hotpress.yml"
        config.write_text(
            "database: a.db\ntimezone: Pacific/Kiritimati\n"
            "output:\n  hexo: posts\n  site: public\n"
            "site:\n  title: t\n  url: https://example.org\n  status: true\n"
            "fetch:\n  retries: 0\n  timeout: 2\n  min_host_interval: 0\n"
            f"sources:\n  - category: [good]\n    url: {server.url('/good')}\n"
            f"  - category: [hostile]\n    url: {server.url('/hostile')}\n",
            encoding="utf-8",
        )
        assert cli.main(["run", "-q", "-c", str(config)]) == 0
        with sqlite3.connect(root / "a.db") as db:
            errors = dict(db.execute("SELECT key, last_error FROM sources"))
        assert errors[server.url("/good")] is None
        posts = [p.read_text(encoding="utf-8") for p in (root / "posts").rglob("*.md")]
        assert any("GOOD-ITEM" in p for p in posts)
        assert "GOOD-ITEM" in (root / "public/index.html").read_text(encoding="utf-8")
        strict = etree.XMLParser(recover=False, resolve_entities=False, no_network=True)
        for path in (root / "public").rglob("*.xml"):
            etree.fromstring(path.read_bytes(), strict)
        for path in (root / "public").rglob("*.json"):
            json.loads(path.read_bytes())


@RUNS
@given(data=st.data())
def test_any_reply_from_one_source_leaves_the_run_whole(
    server: FeedServer, data: st.DataObject
) -> None:
    reply = data.draw(replies(server.port))
    location = reply.headers.get("Location")
    if location is not None and not stays_local(server.url("/hostile"), location):
        reply = Reply(status=reply.status, body=reply.body)  # never leave this machine
    run_once(server, reply)
    assert not server.errors, server.errors
