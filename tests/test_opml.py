"""OPML import and export: the category path travels as nested outlines."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from hotpress import cli
from hotpress._opml import OpmlError, export_opml, parse_opml, to_route
from hotpress.config import load_settings
from hotpress.types import SourceSpec


def spec(key: str, *category: str, url: str | None = None) -> SourceSpec:
    return SourceSpec(
        key=key,
        category=category,
        url=url or "https://rsshub.example" + key,
        author=category[-1],
        timezone="Asia/Shanghai",
    )


SOURCES = [
    spec("/zhihu/hot", "社交媒体", "知乎", "知乎热榜"),
    spec("/zhihu/daily", "社交媒体", "知乎", "知乎日报"),
    spec("/oschina/news", "编程", "开源中国", "资讯"),
    spec("https://example.com/a.xml", "杂项", url="https://example.com/a.xml"),
    spec("/x/y", "甲", "乙"),
]


def test_export_then_import_gives_back_every_category_path() -> None:
    feeds = parse_opml(export_opml(SOURCES, title="t"))
    assert [(f.category, f.url) for f in feeds] == [(s.category, s.url) for s in SOURCES]


def test_export_nests_outlines_by_category_level() -> None:
    root = etree.fromstring(export_opml(SOURCES, title="新闻"))
    assert root.get("version") == "2.0" and root.findtext("head/title") == "新闻"
    social = root.find("body/outline[@text='社交媒体']")
    assert social is not None and social.get("xmlUrl") is None
    zhihu = social.findall("outline")
    assert [o.get("text") for o in zhihu] == ["知乎"]  # one group for both Zhihu channels
    leaves = zhihu[0].findall("outline")
    assert [(o.get("text"), o.get("type")) for o in leaves] == [
        ("知乎热榜", "rss"),
        ("知乎日报", "rss"),
    ]


def test_an_opml_from_another_reader_is_read_with_its_folders() -> None:
    data = b"""<?xml version="1.0"?>
    <opml version="1.0"><head><title>x</title></head><body>
      <outline title="Tech"><outline text="  Hacker   News " type="rss" xmlUrl="https://hn/rss"/>
        <outline text="Sub"><outline text="Deep" xmlUrl="https://deep/rss"/></outline></outline>
      <outline text="Loose" xmlUrl="https://loose/rss" htmlUrl="https://loose/"/>
    </body></opml>"""
    feeds = parse_opml(data)
    assert [(f.category, f.url) for f in feeds] == [
        (("Tech", "Hacker News"), "https://hn/rss"),
        (("Tech", "Sub", "Deep"), "https://deep/rss"),
        (("Loose",), "https://loose/rss"),
    ]
    assert feeds[2].html_url == "https://loose/"


def test_external_entities_are_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<opml version="2.0"><body><outline text="a&x;" xmlUrl="https://a/rss"/></body></opml>'
    ).encode()
    with pytest.raises(OpmlError, match="external entity") as refused:
        parse_opml(data)
    assert "TOP-SECRET" not in str(refused.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"<rss/>", "not <opml>"), (b"<opml/>", "no <body>"), (b"<opml", "not well-formed")],
)
def test_a_file_that_is_not_opml_is_a_clean_error(data: bytes, message: str) -> None:
    with pytest.raises(OpmlError, match=message):
        parse_opml(data)


def test_a_feed_on_the_rsshub_instance_becomes_a_route() -> None:
    assert to_route("https://rsshub.example/zhihu/hot", ["https://rsshub.example/"]) == "/zhihu/hot"
    assert to_route("https://other.example/zhihu/hot", ["https://rsshub.example"]) is None


def test_opml_commands_round_trip_through_the_config(tmp_path: Path) -> None:
    source = tmp_path / "a.yml"
    source.write_text(
        "rsshub: https://rsshub.example\nsources:\n"
        "  - category: [社交媒体, 知乎, 知乎热榜]\n    route: /zhihu/hot\n"
        "  - category: [杂项]\n    url: https://example.com/a.xml\n",
        encoding="utf-8",
    )
    exported = tmp_path / "feeds.opml"
    assert cli.main(["opml", "export", str(exported), "-c", str(source)]) == 0
    target = tmp_path / "b.yml"
    target.write_text("# empty\nrsshub: https://rsshub.example\n", encoding="utf-8")
    assert cli.main(["opml", "import", str(exported), "-q", "-c", str(target)]) == 0
    assert cli.main(["opml", "import", str(exported), "-q", "-c", str(target)]) == 0  # no dupes
    got = [(s.key, s.category) for s in load_settings(target).sources]
    assert got == [
        ("/zhihu/hot", ("社交媒体", "知乎", "知乎热榜")),
        ("https://example.com/a.xml", ("杂项",)),
    ]
    assert "route: /zhihu/hot" in target.read_text(encoding="utf-8")
