"""Look-alike characters for what HTML reads in the titles, authors and categories Hexo gets."""

from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotpress._publish.posts import publish_hexo
from hotpress._publish.theme_text import theme_text
from hotpress._storage import SQLiteStorage
from test_storage import NOW, SPEC, make_item, ok

# A theme that prints the value raw, and one that escapes it: the same text must show.
LOOKS = str.maketrans("＜＞＆“”‘’", "<>&\"\"''")


def _shown_raw(value: str) -> str:
    return html.unescape(value)


def _shown_escaped(value: str) -> str:
    return html.unescape(html.escape(value))


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        (
            "Vue 3.4 新特性：<script setup> 的 defineModel",
            "Vue 3.4 新特性：＜script setup＞ 的 defineModel",
        ),
        ("<img src=x onerror=alert(1)>", "＜img src=x onerror=alert(1)＞"),
        ("悬停' onmouseover='alert(1)' x='", "悬停’ onmouseover=‘alert(1)’ x=‘"),
        ('He said "hi" and it\'s fine', "He said “hi” and it’s fine"),
        ("'Single' start", "‘Single’ start"),
        ('("a") [‘b’]', "(“a”) [‘b’]"),
        ("Tom & Jerry", "Tom & Jerry"),
        ("AT&T &lt;b&gt; &#39; &amp", "AT＆T ＆lt;b＆gt; ＆#39; ＆amp"),
        ("a && b &", "a && b &"),
    ],
)
def test_each_character_html_reads_has_a_look_alike(title: str, shown: str) -> None:
    assert theme_text(title) == shown


@pytest.mark.parametrize(
    "title",
    [
        "6 月 16 日拜登与普京在日内瓦会晤，两人谈了什么？俄美峰会有哪些信息值得关注？",
        "C# tips {{ x }} 100% \\path `code`",
        "",
    ],
)
def test_a_title_without_them_is_the_same_object(title: str) -> None:
    assert theme_text(title) is title


@given(st.text())
def test_nothing_html_reads_is_left_and_nothing_else_changes(value: str) -> None:
    shown = theme_text(value)
    assert not set(shown) & set("<>\"'")
    assert len(shown) == len(value)
    assert _shown_raw(shown) == _shown_escaped(shown) == shown
    # Only the five characters change, each to its look-alike.
    assert shown.translate(LOOKS) == value.translate(LOOKS)
    assert theme_text(shown) == shown


@given(st.text(alphabet=st.sampled_from("&#;ab1 x<>'\"")))
def test_raw_and_escaped_themes_show_the_same_text(value: str) -> None:
    shown = theme_text(value)
    assert _shown_raw(shown) == _shown_escaped(shown) == shown


def test_file_names_and_folders_carry_the_shown_text(tmp_path: Path) -> None:
    # Hexo's default permalink is made of them, and Volantis prints it in href='...'.
    title = "悬停' onmouseover='alert(1)' x='"
    spec = replace(SPEC, category=("测试", "it's &amp; <b>", "标题"))
    with SQLiteStorage(tmp_path / "archive.db") as storage:
        storage.sync_sources([spec])
        storage.save_fetch(
            spec.key, ok(), [make_item(1, title=title)], now=NOW, error=None, next_due=None
        )
        assert publish_hexo(storage, tmp_path / "hexo").written == 1
    (post,) = (tmp_path / "hexo").rglob("*.md")
    rel = post.relative_to(tmp_path / "hexo").as_posix()
    assert rel == "测试/it’s ＆amp; ＜b＞/标题/悬停’ onmouseover=‘alert(1)’ x=‘.md"
