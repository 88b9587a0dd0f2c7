"""The decision step's body digest: where the entries start, and what the digest covers."""

from __future__ import annotations

import random

from hotpress._reading import _FIRST_ENTRY, _digest, _entries_start


def _each_marker_alone(content: bytes) -> int:
    """The rule as first written: the first place of each marker, if not at offset 0."""
    starts = [at for marker in _FIRST_ENTRY if (at := content.find(marker)) > 0]
    return min(starts, default=-1)


def test_the_entries_start_where_a_find_per_marker_says() -> None:
    pieces = [b"<item", b"<entry", b'"items"', b"<it", b"x", b"<?xml ?>", b"\n", b"<i", b'"item']
    rng = random.Random(16)
    bodies = [b"", b"<item>", b"<entry><item>", b'"items"<entry', b"<rss><channel><item>"]
    bodies += [b"".join(rng.choices(pieces, k=rng.randint(0, 12))) for _ in range(5000)]
    for body in bodies:
        assert _entries_start(body) == _each_marker_alone(body), body


def test_a_new_build_date_keeps_the_digest_and_a_new_entry_changes_it() -> None:
    def rss(build: str, title: str) -> bytes:
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss><channel><title>t</title>'
            f"<lastBuildDate>{build}</lastBuildDate><item><title>{title}</title></item>"
            "</channel></rss>"
        ).encode()

    first = _digest(rss("Sat, 02 Mar 2024 10:00:00 +0800", "a"), "application/rss+xml")
    assert first == _digest(rss("Sat, 02 Mar 2024 11:00:00 +0800", "a"), "application/rss+xml")
    assert first != _digest(rss("Sat, 02 Mar 2024 10:00:00 +0800", "b"), "application/rss+xml")
    assert first != _digest(rss("Sat, 02 Mar 2024 10:00:00 +0800", "a"), "text/xml")


def test_a_body_with_no_entry_marker_is_digested_whole() -> None:
    assert _digest(b"<rss><channel>a</channel></rss>", None) != _digest(
        b"<rss><channel>b</channel></rss>", None
    )
