"""Property tests and a bounded fuzz over the parser, dates, identity, sanitizer and Hexo writer.

Profiles: ``ci`` (default, ~200 examples per test, the whole file well under a minute) and
``long`` (``HYPOTHESIS_PROFILE=long pytest tests/test_properties.py``, 20,000 examples each).
"""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path, PurePosixPath
from typing import Any
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from hotpress._normalize import normalize_entry
from hotpress._normalize.identity import item_identity
from hotpress._normalize.sanitize import sanitize_html
from hotpress._parse import parse_feed
from hotpress._parse.dates import parse_date
from hotpress._parse.encoding import C1_AS_WINDOWS_1252
from hotpress._parse.text import clean_title
from hotpress._publish.filenames import category_dir, post_filename
from hotpress._publish.hexo import render_post
from hotpress._publish.theme_text import theme_text
from hotpress._publish.writer import Writer
from hotpress.exceptions import ParseError
from hotpress.types import ParsedFeed, SourceSpec
from test_sanitize import _active_content

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "long", max_examples=20_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
PROFILE = settings(settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci")))

URL = "https://example.org/feed.xml"
SPEC = SourceSpec(key="src", category=("a", "b"), url=URL, author="a", timezone="UTC")

# Characters XML 1.0 can carry (no C0 controls but tab/newline, no surrogates, no U+FFFE/F).
_XML_TEXT = st.text(
    st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="\ufffe\uffff",
        min_codepoint=0x09,
    ).filter(lambda c: c in "\t\n\r" or ord(c) >= 0x20),
    max_size=60,
)


def _normalised(title: str) -> str:
    """What hotpress makes of a plain-text title: C1 characters read as Windows-1252 (see
    _parse/encoding.py), then whitespace collapsed and controls dropped."""
    return clean_title(title.translate(C1_AS_WINDOWS_1252))


# --- parser ---------------------------------------------------------------------------------

_XMLISH = st.lists(
    st.one_of(
        st.sampled_from(
            [
                *("<?xml version='1.0'?>", "<rss>", "</rss>", "<channel>", "<item>", "</item>"),
                *("<feed xmlns='http://www.w3.org/2005/Atom'>", "<entry>", "<title>", "</title>"),
                *("<![CDATA[", "]]>", "&amp;", "&nbsp;", "&#X41;", "&#0;", "<!DOCTYPE x [", "]>"),
                *("<!ENTITY a 'aaaa'>", "&a;", "<description>", "<link>", "<pubDate>", "{", "}"),
                *('"items": [', '"title":', "<?xml version='1.0' encoding='gbk'?>", "\xef\xbb\xbf"),
            ]
        ),
        st.text(max_size=10),
    ),
    max_size=25,
).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass"))


@PROFILE
@given(st.one_of(st.binary(max_size=400), _XMLISH))
def test_the_parser_returns_a_feed_or_raises_parse_error_for_any_bytes(data: bytes) -> None:
    try:
        feed = parse_feed(data, url=URL)
    except ParseError:
        return
    assert isinstance(feed, ParsedFeed)
    for entry in feed.entries:
        item = normalize_entry(SPEC, entry, feed.link)
        assert _active_content(item.content) == []


@PROFILE
@given(_XML_TEXT, st.sampled_from(["rss", "atom", "json"]))
def test_any_title_survives_a_well_formed_feed_as_hotpress_normalises_it(
    title: str, kind: str
) -> None:
    if kind == "rss":
        body = (
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>c</title>"
            f"<item><title>{escape(title)}</title><guid>1</guid></item></channel></rss>"
        )
    elif kind == "atom":
        body = (
            "<feed xmlns='http://www.w3.org/2005/Atom'><title>c</title><entry><id>1</id>"
            f"<title type='text'>{escape(title)}</title></entry></feed>"
        )
    else:
        body = json.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": "c",
                "items": [{"id": "1", "title": title}],
            }
        )
    feed = parse_feed(body.encode("utf-8"), url=URL)
    assert [e.title for e in feed.entries] == [_normalised(title)]
    [item] = [normalize_entry(SPEC, entry, feed.link) for entry in feed.entries]
    assert item.title == (_normalised(title) or item.title)


# --- dates ----------------------------------------------------------------------------------


@PROFILE
@given(st.text(max_size=60), st.sampled_from(["UTC", "Asia/Shanghai", "America/Chicago", "x/y"]))
def test_any_date_string_gives_utc_or_none_and_never_raises(text: str, tz: str) -> None:
    got = parse_date(text, tz)
    assert got is None or (isinstance(got, datetime) and got.tzinfo is UTC)


@PROFILE
@given(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)),
    st.integers(min_value=-12 * 60, max_value=14 * 60),
)
def test_rfc_822_and_iso_dates_give_their_exact_instant(when: datetime, minutes: int) -> None:
    aware = when.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=minutes)))
    want = aware.astimezone(UTC)
    assert parse_date(format_datetime(aware), "Asia/Shanghai") == want
    assert parse_date(aware.isoformat(), "Asia/Shanghai") == want


# --- identity -------------------------------------------------------------------------------

_OPT = st.none() | st.text(max_size=30)


@PROFILE
@given(st.text(max_size=20), st.text(max_size=20), _OPT, _OPT, st.text(max_size=30))
def test_identity_is_stable_hex_and_scoped_to_its_source(
    source: str, other: str, guid: str | None, link: str | None, title: str
) -> None:
    def ident(key: str) -> str:
        return item_identity(key, guid=guid, link=link, title=title, content="<p>x</p>")

    first = ident(source)
    assert first == ident(source)
    assert len(first) == 32 and int(first, 16) >= 0
    if other != source:
        assert ident(other) != first


# --- sanitizer ------------------------------------------------------------------------------

_BASES = st.sampled_from([None, URL, "http://[bad/", "javascript:alert(1)", "file:///etc/"])


@PROFILE
@given(st.text(max_size=200), _BASES)
def test_sanitizing_any_text_is_idempotent_and_inert(raw: str, base: str | None) -> None:
    once = sanitize_html(raw, base)
    assert sanitize_html(once, base) == once
    assert _active_content(once) == []


# --- Hexo writer ----------------------------------------------------------------------------

_NAME = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)


def _yaml12(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(io.StringIO(text))


@settings(
    PROFILE, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(_NAME, st.lists(_NAME, min_size=1, max_size=4), st.text(max_size=40))
def test_a_written_post_reads_back_exactly_and_stays_inside_the_root(
    tmp_path: Path, title: str, categories: list[str], identity: str
) -> None:
    data = render_post(
        title=title,
        categories=categories,
        author=categories[-1],
        date=datetime(2024, 1, 15, 2, 30, tzinfo=UTC),
        cover=None,
        identity=identity,
        body_html="<p>x</p>",
    )
    text = data.decode("utf-8")
    front = _yaml12(text[len("\n---\n") : text.index("\n---\n", 5)])
    # Exactly, with look-alikes for the characters HTML reads (see test_theme_text.py).
    assert front["title"] == theme_text(title) and isinstance(front["title"], str)
    assert front["categories"] == [theme_text(level) for level in categories]
    assert all(isinstance(level, str) for level in front["categories"])
    root = tmp_path / "out"
    root.mkdir(exist_ok=True)
    writer = Writer(root)
    rel = PurePosixPath(category_dir(categories), post_filename(title, identity, lambda _: False))
    if rel in writer.paths:
        return
    writer.write(rel, data)
    written = (root / rel).resolve()
    assert written.is_relative_to(root.resolve())
    assert written.read_bytes() == data
