from __future__ import annotations

from hotpress._normalize.identity import item_identity, normalize_link


def test_a_guid_decides_identity_whatever_the_title() -> None:
    a = item_identity("/s", guid="42", link="https://a/1", title="x", content="c")
    b = item_identity("/s", guid="42", link="https://a/2", title="y", content="d")
    assert a == b


def test_the_same_guid_in_two_sources_is_two_items() -> None:
    a = item_identity("/s1", guid="42", link=None, title="x", content="")
    b = item_identity("/s2", guid="42", link=None, title="x", content="")
    assert a != b


def test_without_guid_the_normalised_link_decides() -> None:
    a = item_identity(
        "/s",
        guid=None,
        link="HTTPS://Example.com:443/a?utm_source=rss&id=3#top",
        title="x",
        content="",
    )
    b = item_identity("/s", guid=None, link="https://example.com/a?id=3", title="y", content="")
    assert a == b


def test_without_guid_or_link_title_and_content_decide() -> None:
    a = item_identity("/s", guid=None, link=None, title="快讯", content="<p>1</p>")
    b = item_identity("/s", guid=None, link=None, title="快讯", content="<p>2</p>")
    assert a != b
    assert a == item_identity("/s", guid=None, link=None, title="快讯", content="<p>1</p>")


def test_normalize_link_keeps_meaningful_query_order_and_drops_fragments() -> None:
    assert normalize_link("http://x.org:80/p?b=2&a=1#f") == "http://x.org/p?b=2&a=1"
    assert normalize_link("http://x.org") == "http://x.org/"
    assert normalize_link("http://[bad") == "http://[bad"
