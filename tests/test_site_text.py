"""Card and feed excerpts: read from the start of the markup in growing pieces."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from hotpress._site.text import excerpt, plain_text


def whole_text_excerpt(markup: str, width: int) -> str:
    """The definition: the text of the first ``width * 40`` characters, cut at ``width``
    columns (a wide character counts two)."""
    text = plain_text(markup[: width * 40])
    used = 0
    for index, char in enumerate(text):
        used += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
        if used > width:
            return text[:index].rstrip(" ，,。.;；:：") + "…"
    return text


PIECES = [
    "<p>",
    "</p>",
    "<br>",
    "<div>",
    "</div>",
    "中文字符",
    "abc ",
    "  ",
    "\n",
    "，。",
    "&amp;",
    "&lt;",
    "&#12345;",
    "&quot;",
    "😀",
    "x" * 40,
    '<img src="https://e.example/a.jpg?x=1&amp;y=2" alt="图">',
    '<a href="?a=1&amp;b=2">链接</a>',
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), max_size=600).map("".join),
    st.sampled_from([8, 20, 80, 160]),
)
def test_an_excerpt_read_in_pieces_equals_the_whole_text_excerpt(markup: str, width: int) -> None:
    assert excerpt(markup, width) == whole_text_excerpt(markup, width)


def test_a_cut_inside_a_tag_or_a_reference_does_not_leak_into_the_excerpt() -> None:
    # The first piece (480 characters) ends inside the tag, then inside the reference.
    head = "<p>" + "字" * 40 + "</p>"
    for tail in ('<img src="https://e.example/' + "a" * 600 + '.jpg">', "&amp;" * 200):
        markup = head + tail + "<p>" + "后" * 200 + "</p>"
        assert excerpt(markup) == whole_text_excerpt(markup, 160)
        assert "<" not in excerpt(markup) and "&amp" not in excerpt(markup)
