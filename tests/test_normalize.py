from __future__ import annotations

from datetime import UTC, datetime

from hotpress._normalize import entry_key, normalize_entry
from hotpress._reading import read_result
from hotpress._storage import SQLiteStorage
from hotpress.types import FetchResult, ParsedEntry, SourceSpec, Validators

SPEC = SourceSpec(
    key="/jinse/lives",
    category=("新媒体", "金色财经", "快讯"),
    url="x",
    author="金色财经",
    timezone="Asia/Shanghai",
)


def test_relative_images_are_resolved_and_become_the_cover() -> None:
    entry = ParsedEntry(
        title="t",
        link="https://a.example/news/1",
        content='<p><img src="/i/1.png"></p>',
        base="https://a.example/news/1",
    )
    item = normalize_entry(SPEC, entry, None)
    assert item.cover == "https://a.example/i/1.png"
    assert 'referrerpolicy="no-referrer"' in item.content


def test_the_feeds_own_image_is_the_cover_when_the_body_has_none() -> None:
    entry = ParsedEntry(title="t", guid="1", content="<p>x</p>", image="https://img.example/c.jpg")
    assert normalize_entry(SPEC, entry, None).cover == "https://img.example/c.jpg"
    entry = ParsedEntry(title="t", guid="1", content="<p>x</p>", image="javascript:alert(1)")
    assert normalize_entry(SPEC, entry, None).cover is None


def test_an_untitled_flash_item_takes_the_start_of_its_text_as_title() -> None:
    text = "金色财经报道，" + "链上数据" * 30
    item = normalize_entry(SPEC, ParsedEntry(title="", guid="9", content=f"<p>{text}</p>"), None)
    assert item.title.startswith("金色财经报道，链上数据")
    assert item.title.endswith("…")
    assert len(item.title) == 61


def test_an_edit_changes_the_digest_but_not_the_identity() -> None:
    a = normalize_entry(SPEC, ParsedEntry(title="旧", guid="1", content="<p>1</p>"), None)
    b = normalize_entry(SPEC, ParsedEntry(title="新", guid="1", content="<p>1</p>"), None)
    assert a.identity == b.identity
    assert a.content_hash != b.content_hash


def test_the_updated_date_stands_in_for_a_missing_published_date() -> None:
    when = datetime(2024, 1, 15, 2, 30, tzinfo=UTC)
    item = normalize_entry(SPEC, ParsedEntry(title="t", guid="1", updated=when), None)
    assert item.published == when


def test_repeated_identities_in_one_feed_keep_the_first() -> None:
    body = (
        "<rss version='2.0'><channel><title>f</title>"
        "<item><title>一</title><guid>1</guid></item>"
        "<item><title>二</title><guid>1</guid></item></channel></rss>"
    ).encode()
    result = FetchResult(
        source_key=SPEC.key,
        url="https://a.example/feed",
        status=200,
        content=body,
        content_type="application/rss+xml",
        validators=Validators(),
        duration=0.0,
    )
    with SQLiteStorage(":memory:") as storage:
        storage.sync_sources([SPEC])
        reading = read_result(SPEC, result, storage)
    assert reading.error is None and reading.items is not None
    (item,) = reading.items
    assert item.title == "一"


def test_windows_1252_punctuation_sent_as_c1_controls_is_repaired_in_bodies() -> None:
    item = normalize_entry(SPEC, ParsedEntry(title="t", guid="1", content="<p>don\x92t</p>"), None)
    assert item.content == "<p>don\u2019t</p>"


def test_root_relative_urls_resolve_exactly_as_urljoin_does() -> None:
    from urllib.parse import urljoin

    from hotpress._normalize.sanitize import sanitize_html

    base = "https://www.oschina.net/news/281234?x=1#f"
    for path in ("/img/a.png", "/img/../b.png", "/./x", "/a?b=1#c", "a/b.png", "//cdn.x/y"):
        expected = urljoin(base, path)
        assert sanitize_html(f'<img src="{path}">', base) == (
            f'<img src="{expected}" referrerpolicy="no-referrer">'
        )


def test_one_scan_finds_every_character_either_check_would() -> None:
    from hotpress import _normalize
    from hotpress._normalize import sanitize

    every = [chr(n) for n in range(0x110000)]
    either = {c for c in every if sanitize._JUNK.match(c) or _normalize._C1.match(c)}
    assert {c for c in every if _normalize._C1_OR_JUNK.match(c)} == either
    assert len(either) > 2000  # the surrogates are in it


def test_bodies_with_c1_or_control_characters_take_the_scanned_path() -> None:
    body = "<p>a\x96b\x01cd</p>"
    entry = ParsedEntry(title="t", guid="1", content=body)
    item = normalize_entry(SPEC, entry, None)
    assert item.content == "<p>a–bcd</p>"


def test_the_identity_entry_key_gives_is_the_one_normalizing_finds() -> None:
    entries = [
        ParsedEntry(title="t", guid="g1", content="<p>x</p>"),
        ParsedEntry(title="t", link="https://a.example/n/1?utm_source=x#top", content="<p>x</p>"),
        ParsedEntry(title="t", guid="g2", link="https://a.example/n/2", content="<p>y</p>"),
        ParsedEntry(title="", content="<p>no guid, no link</p>"),
    ]
    for entry in entries:
        key = entry_key(SPEC, entry)
        assert normalize_entry(SPEC, entry, None, key=key) == normalize_entry(SPEC, entry, None)
        assert key is None or key == normalize_entry(SPEC, entry, None).identity
