"""Encoding detection: BOM, HTTP charset, XML declaration, UTF-8, then GB18030."""

from __future__ import annotations

import codecs

import pytest

from hotpress._parse import parse_feed
from hotpress._parse.encoding import charset_from_content_type, decode_body, unchecked_utf8

TITLE = "开源中国：鸿蒙发布“新版本”"
URL = "https://example.com/feed"


def _rss(declared: str | None) -> str:
    decl = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    return f"{decl}<rss><channel><item><title>{TITLE}</title></item></channel></rss>"


def _title(content: bytes, content_type: str | None = None) -> tuple[str, str | None]:
    feed = parse_feed(content, url=URL, content_type=content_type)
    return feed.entries[0].title, feed.encoding


def test_gbk_feed_is_decoded() -> None:
    assert _title(_rss("gbk").encode("gbk")) == (TITLE, "gb18030")


def test_gb2312_declared_feed_is_read_as_gb18030() -> None:
    assert _title(_rss("GB2312").encode("gb18030")) == (TITLE, "gb18030")


def test_gbk_bytes_without_any_label_fall_back_to_gb18030() -> None:
    assert _title(_rss(None).encode("gbk")) == (TITLE, "gb18030")


def test_utf8_bom_is_honoured_and_removed() -> None:
    assert _title(codecs.BOM_UTF8 + _rss("gbk").encode("utf-8")) == (TITLE, "utf-8")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom_is_read(codec: str) -> None:
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    assert _title(bom + _rss("utf-16").encode(codec))[0] == TITLE


def test_utf16_without_bom_is_detected_from_the_first_bytes() -> None:
    assert _title(_rss("utf-16").encode("utf-16-le")) == (TITLE, "utf-16le")


def test_http_charset_overrides_the_xml_declaration() -> None:
    body = _rss("iso-8859-1").encode("gbk")
    assert _title(body, "application/rss+xml; charset='GBK'") == (TITLE, "gb18030")


def test_a_wrong_http_charset_falls_through_to_the_declaration() -> None:
    body = _rss("gbk").encode("gbk")
    assert _title(body, "text/xml; charset=utf-8") == (TITLE, "gb18030")


def test_a_missing_or_bogus_http_charset_is_ignored() -> None:
    body = _rss("gbk").encode("gbk")
    assert _title(body, "text/xml") == (TITLE, "gb18030")
    assert _title(body, "text/xml; charset=x-no-such-codec") == (TITLE, "gb18030")


def test_utf8_body_under_a_stale_legacy_declaration_is_read_as_utf8() -> None:
    assert _title(_rss("iso-8859-1").encode("utf-8")) == (TITLE, "utf-8")


def test_latin1_declared_feed_is_read_as_declared() -> None:
    body = '<?xml version="1.0" encoding="iso-8859-1"?>'
    body += "<rss><channel><title>Café</title></channel></rss>"
    feed = parse_feed(body.encode("latin-1"), url=URL)
    assert (feed.title, feed.encoding) == ("Café", "iso-8859-1")


def test_charset_parameter_is_parsed_leniently() -> None:
    assert charset_from_content_type("text/xml;charset = 'us-ascii'") == "us-ascii"
    assert charset_from_content_type('application/xml; charset="GB2312"') == "gb18030"
    assert charset_from_content_type("text/xml") is None
    assert charset_from_content_type(None) is None


def test_undecodable_bytes_still_give_utf8_for_the_parser() -> None:
    decoded = decode_body(b"\xff\xfe\xfa<rss/>" * 3, "text/xml; charset=us-ascii")
    decoded.utf8.decode("utf-8")  # does not raise


_LABELS = [None, "utf-8", "gbk", "iso-8859-1", "utf-16", "x-no-such-codec"]


@pytest.mark.parametrize("http", _LABELS)
@pytest.mark.parametrize("declared", _LABELS)
@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
@pytest.mark.parametrize("text", [TITLE, "plain ascii", "C1 \x92 and &#150;"])
def test_the_unchecked_utf8_reading_is_decode_bodys_own(
    http: str | None, declared: str | None, bom: bytes, text: str
) -> None:
    body = bom + _rss(declared).replace(TITLE, text).encode("utf-8")
    content_type = f"text/xml; charset={http}" if http else None
    fast = unchecked_utf8(body, content_type)
    full = decode_body(body, content_type)
    if fast is not None:
        assert (fast.utf8, fast.encoding) == (full.utf8, full.encoding)
    if full.encoding == "utf-8" and not body.isascii():
        assert fast is not None  # the fast path is taken wherever it applies to non-ASCII


def test_bodies_decode_body_reads_otherwise_get_no_unchecked_reading() -> None:
    assert unchecked_utf8(_rss("gbk").encode("gbk")) is None
    assert unchecked_utf8(_rss(None).encode("gbk"), "text/xml; charset=utf-8") is None
    assert unchecked_utf8(codecs.BOM_UTF16_LE + _rss(None).encode("utf-16-le")) is None
    assert unchecked_utf8(_rss("utf-16").encode("utf-16-le")) is None
    assert unchecked_utf8(_rss("iso-8859-1").replace(TITLE, "x").encode()) is None


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        (b"#" * 100 + b"&#150;", b"#" * 100 + b"&#8211;"),  # past the memchr scan's patience
        (b"#&#x92;#", b"#&#8217;#"),
        (b"&#150;", b"&#8211;"),
        (b"# &#65; &#200;", b"# &#65; &#200;"),
        (b"&lt;" * 50 + b"&#146;", b"&lt;" * 50 + b"&#8217;"),
    ],
)
def test_numeric_c1_references_are_found_wherever_they_are(raw: bytes, want: bytes) -> None:
    assert decode_body(raw, "text/xml; charset=utf-8").utf8 == want
