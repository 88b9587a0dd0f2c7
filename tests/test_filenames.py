"""File and folder names made from feed titles and category names."""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hotpress._publish.filenames import MAX_NAME_BYTES, category_dir, post_filename
from hotpress._publish.writer import Writer
from hotpress.exceptions import PublishError

IDENTITY = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
_RESERVED = re.compile(r"(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]|CONIN\$|CONOUT\$)", re.I)


def _free(name: str) -> bool:
    return False


def _check_segment(name: str) -> None:
    """Every rule a file or folder name must obey."""
    assert name
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert not re.search(r'[\\/:*?"<>|\x00-\x1f\x7f]', name), name
    assert not name.startswith((".", "_", " ")), name
    assert not name.endswith((".", " ")), name
    assert name not in (".", "..")
    assert not _RESERVED.fullmatch(name.split(".", 1)[0].rstrip(" ")), name


def test_a_chinese_title_stays_readable() -> None:
    title = "6 月 16 日拜登与普京在日内瓦会晤，两人谈了什么？"
    assert (
        post_filename(title, IDENTITY, _free)
        == "6 月 16 日拜登与普京在日内瓦会晤，两人谈了什么？.md"
    )


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ('a/b\\c:d*e?f"g<h>i|j', "a_b_c_d_e_f_g_h_i_j.md"),
        ("Issue #42: 100% done", "Issue _42_ 100_ done.md"),
        ("../../etc/passwd", "etc_passwd.md"),
        ("...hidden", "hidden.md"),
        ("_draft title", "draft title.md"),
        ("trailing dots...", "trailing dots.md"),
        ("  spaced \t\n out  ", "spaced out.md"),
        ("bell\x07\x00char\u2028", "bellchar.md"),
        ("CON", "CON_.md"),
        ("nul.txt", "nul_.txt.md"),
        ("Com1", "Com1_.md"),
        ("CONSOLE", "CONSOLE.md"),
        ("", "9f86d081.md"),
        ("...", "9f86d081.md"),
        ("\u200b\ufeff", "9f86d081.md"),
    ],
)
def test_unsafe_titles_become_safe_names(title: str, name: str) -> None:
    assert post_filename(title, IDENTITY, _free) == name
    _check_segment(name)


def test_long_titles_are_cut_to_150_bytes_on_a_character_boundary() -> None:
    name = post_filename("热" * 200, IDENTITY, _free)
    assert name == "热" * 49 + ".md"
    assert len(name.encode()) == 150
    assert len(post_filename("x" * 300, IDENTITY, _free).encode()) == 150


def test_a_taken_name_gets_the_identity_prefix_within_150_bytes() -> None:
    taken = {"Same title.md"}
    assert post_filename("Same title", IDENTITY, taken.__contains__) == "Same title-9f86d081.md"
    long_title = "热" * 200
    taken = {post_filename(long_title, IDENTITY, _free)}
    name = post_filename(long_title, IDENTITY, taken.__contains__)
    assert name.endswith("-9f86d081.md")
    assert len(name.encode()) <= 150


def test_longer_prefixes_are_tried_and_then_it_gives_up() -> None:
    taken = {"t.md", "t-9f86d081.md"}
    assert post_filename("t", IDENTITY, taken.__contains__) == "t-9f86d081884c7d65.md"
    with pytest.raises(PublishError, match="no free file name"):
        post_filename("t", IDENTITY, lambda name: True)


def test_category_levels_become_safe_folders() -> None:
    assert category_dir(["社交媒体", "知乎", "知乎热榜"]) == PurePosixPath("社交媒体/知乎/知乎热榜")
    assert category_dir(["..", ".", "/etc", "a/b", "", "_x"]) == PurePosixPath(
        "unnamed/unnamed/etc/a_b/unnamed/x"
    )
    assert category_dir([]) == PurePosixPath(".")


@settings(max_examples=300)
@given(st.text(), st.text(alphabet="0123456789abcdef", min_size=8, max_size=64))
def test_any_title_gives_a_name_that_obeys_every_rule(title: str, identity: str) -> None:
    name = post_filename(title, identity, _free)
    assert name.endswith(".md")
    _check_segment(name)
    again = post_filename(title, identity, {name}.__contains__)
    assert again != name
    assert again.endswith(f"-{identity[:8]}.md")
    _check_segment(again)


@settings(max_examples=300)
@given(st.lists(st.text(), max_size=4), st.text())
def test_any_category_path_stays_inside_the_root(levels: list[str], title: str) -> None:
    folder = category_dir(levels)
    assert not folder.is_absolute()
    assert len(folder.parts) == len(levels)
    for part in folder.parts:
        _check_segment(part)
    path = folder / post_filename(title, IDENTITY, _free)
    root = "/srv/out"
    assert os.path.normpath(os.path.join(root, path)).startswith(root + "/")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(min_size=1), min_size=1, max_size=3), st.text())
def test_any_category_path_can_be_written_by_the_writer(
    tmp_path_factory: pytest.TempPathFactory, levels: list[str], title: str
) -> None:
    root = tmp_path_factory.mktemp("out")
    path = category_dir(levels) / post_filename(title, IDENTITY, _free)
    assert Writer(root).write(path, b"x")
    written = [p for p in root.rglob("*") if p.is_file()]
    assert written == [root / path]
    assert Path(os.path.realpath(written[0])).is_relative_to(os.path.realpath(root))


def test_an_untitled_post_whose_name_is_taken_gets_the_identity_prefix_too() -> None:
    assert post_filename("", IDENTITY, _free) == "9f86d081.md"
    taken = {"9f86d081.md"}
    assert post_filename("\u200b", IDENTITY, taken.__contains__) == "9f86d081-9f86d081.md"
    assert post_filename("", "..", {"post.md"}.__contains__) == "post-post.md"


_TIDY_CHARS = st.sampled_from(
    ["a", "中", " ", "  ", ".", "_", "-", "\t", "\n", "\u3000", "\xa0", "#", "%", "/", "\\"]
    + [":", '"', "\x00", "\x85", "\u200b", "\ufeff", "\ud800", "CON", "com1", "nul.", "𠀀"]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_TIDY_CHARS, max_size=40).map("".join) | st.text(max_size=60))
@example("a  b")
@example("a\u3000b")
@example("a\tb")
@example(".a")
@example("a.")
@example("Com1.txt")
@example("a#b")
@example("a\u200bb")
@example("中" * 40)
def test_the_tidy_fast_path_gives_what_the_full_rules_give(text: str) -> None:
    from hotpress._publish import filenames

    for room in (filenames.MAX_NAME_BYTES - 3, 12):
        assert filenames._tidy(text, room) == filenames._tidy_all(text, room)
