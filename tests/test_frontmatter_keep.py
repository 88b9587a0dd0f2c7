"""Front-matter keys hotpress does not own survive a rewrite of the post (changed item,
``publish --force``): hexo-abbrlink's ``abbrlink:`` decides the post's URL on the original site
(permalink ``p/:abbrlink.html``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from hotpress._publish.frontmatter import kept_lines
from hotpress._publish.posts import publish_hexo, render_pending
from hotpress._storage import SQLiteStorage
from test_storage import NOW, SPEC, make_item, ok

# What real hexo-abbrlink 2.2.1 (through js-yaml) leaves of the seed post: its own layout, and
# the key at the end (seen with tests/hexo_themes; test_hexo_abbrlink.py runs it for real).
ABBRLINK_REWRITTEN = b"""---
title: \xe6\xa0\x87\xe9\xa2\x98 1
categories:
  - \xe7\xa4\xbe\xe4\xba\xa4\xe5\xaa\x92\xe4\xbd\x93
headimg: 'https://picsum.photos/400/300?random=3375'
author: \xe7\x9f\xa5\xe4\xb9\x8e
comments: false
date: 'Thu, 17 Jun 2021 02:04:43 GMT'
thumbnail: 'https://picsum.photos/400/300?random=3375'
abbrlink: 45688
---

<div>
body
</div>
"""
# Hand-edited on Windows: CRLF, a BOM, comments, a sequence at column 0, a block scalar with a
# blank line, a quoted key, an anchor and its alias, a flow mapping over two lines.
ODD = (
    "\ufeff---\r\n"
    "title: 'old'\r\n"
    "# tags added by hand\r\n"
    "tags:\r\n"
    "- Vue\r\n"
    "- 'a: b'\r\n"
    "description: |\r\n"
    "  line one\r\n"
    "\r\n"
    "  line two\r\n"
    "abbrlink: a1b2c3\r\n"
    '"top": 1\r\n'
    "cover: &c https://example.com/c.png\r\n"
    "comments: true\r\n"
    "banner: *c\r\n"
    "seo: {a: 1,\r\n"
    "  b: 2}\r\n"
    "---\r\n"
    "body\r\n"
).encode()
ODD_KEPT = [
    "tags:",
    "- Vue",
    "- 'a: b'",
    "description: |",
    "  line one",
    "",
    "  line two",
    "abbrlink: a1b2c3",
    '"top": 1',
    "cover: &c https://example.com/c.png",
    "banner: *c",
    "seo: {a: 1,",
    "  b: 2}",
]


def test_the_seed_post_has_nothing_to_keep(seed_post: bytes) -> None:
    assert kept_lines(seed_post) == []


def test_abbrlink_is_kept_from_the_layout_hexo_abbrlink_writes() -> None:
    assert kept_lines(ABBRLINK_REWRITTEN) == ["abbrlink: 45688"]


def test_odd_yaml_is_kept_verbatim_in_its_order() -> None:
    assert kept_lines(ODD) == ODD_KEPT
    assert yaml.safe_load("\n".join(ODD_KEPT))["banner"] == "https://example.com/c.png"


@pytest.mark.parametrize(
    ("front", "kept"),
    [
        # Invalid YAML (Hexo skips such a post): the entries that parse alone are kept.
        ("title: Foo: Bar\nabbrlink: 9f3e\ntags: [a\ncomments: false", ["abbrlink: 9f3e"]),
        # An alias to an anchor in a key hotpress replaces would dangle: dropped.
        ("title: &t T\nabbrlink: 1\nsame: *t", ["abbrlink: 1"]),
        # A duplicate key (js-yaml refuses it): the last one.
        ("abbrlink: 1\ntags: [x]\nabbrlink: 2", ["tags: [x]", "abbrlink: 2"]),
        # Not a mapping, or only hotpress's keys.
        ("- a\n- b", []),
        ("title: x\ncategories:\n - a\ndate: 2024-01-01", []),
        ("'title': x\n\"date\": 1", []),
    ],
)
def test_what_cannot_be_kept_whole_is_kept_in_part(front: str, kept: list[str]) -> None:
    assert kept_lines(f"\n---\n{front}\n---\nbody".encode()) == kept


@pytest.mark.parametrize("data", [b"", b"no front matter", b"---\ntitle: x", b"\xff\xfe\x00"])
def test_a_post_without_front_matter_keeps_nothing(data: bytes) -> None:
    assert kept_lines(data) == []


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[SQLiteStorage]:
    store = SQLiteStorage(tmp_path / "archive.db")
    store.sync_sources([SPEC])
    yield store
    store.close()


def _hand_edit(path: Path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))


def _published(storage: SQLiteStorage, root: Path) -> Path:
    storage.save_fetch(SPEC.key, ok(), [make_item(1)], now=NOW, error=None, next_due=None)
    assert publish_hexo(storage, root).written == 1
    (post,) = root.rglob("*.md")
    return post


def test_publish_force_keeps_a_hand_added_abbrlink_and_tags(
    tmp_path: Path, storage: SQLiteStorage
) -> None:
    root = tmp_path / "hexo"
    post = _published(storage, root)
    fresh = post.read_bytes()
    _hand_edit(post, b"\nthumbnail:", b"\nabbrlink: 1a2b\ntags: [x, y]\nthumbnail:")
    _hand_edit(post, b"comments: false", b"comments: true")  # hotpress's key: replaced

    assert publish_hexo(storage, root, force=True).written == 1
    want = fresh.replace(b"\n---\n\n<div>", b"\nabbrlink: 1a2b\ntags: [x, y]\n---\n\n<div>")
    assert post.read_bytes() == want
    # Once more: nothing to change.
    assert publish_hexo(storage, root, force=True).unchanged == 1


def test_an_edited_item_keeps_the_keys_of_its_post(tmp_path: Path, storage: SQLiteStorage) -> None:
    root = tmp_path / "hexo"
    post = _published(storage, root)
    post.write_bytes(ODD)  # the site owner rewrote it by hand, in an editor on Windows
    edited = make_item(1, title="标题 1 <更正>")
    storage.save_fetch(SPEC.key, ok(), [edited], now=NOW, error=None, next_due=None)

    assert publish_hexo(storage, root).written == 1
    (pending,) = storage.pending("hexo", force=True)
    assert post.read_bytes() == render_pending(pending, ODD_KEPT)
    front = yaml.safe_load(post.read_bytes().split(b"\n---\n")[1])
    assert (front["title"], front["abbrlink"], front["comments"]) == (
        "标题 1 ＜更正＞",
        "a1b2c3",
        False,
    )


def test_a_post_rewritten_by_hexo_abbrlink_is_written_back_in_hotpress_layout(
    tmp_path: Path, storage: SQLiteStorage
) -> None:
    root = tmp_path / "hexo"
    post = _published(storage, root)
    fresh = post.read_bytes()
    post.write_bytes(ABBRLINK_REWRITTEN)
    assert publish_hexo(storage, root, force=True).written == 1
    assert post.read_bytes() == fresh.replace(b"\n---\n\n<div>", b"\nabbrlink: 45688\n---\n\n<div>")


def test_a_post_without_foreign_keys_is_rewritten_byte_for_byte(
    tmp_path: Path, storage: SQLiteStorage
) -> None:
    root = tmp_path / "hexo"
    post = _published(storage, root)
    fresh = post.read_bytes()
    assert publish_hexo(storage, root, force=True).unchanged == 1
    post.unlink()  # gone: written anew
    assert publish_hexo(storage, root, force=True).written == 1
    assert post.read_bytes() == fresh
