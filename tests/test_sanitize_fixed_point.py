"""The sanitizer's shortcut: a first pass that changed only attributes (or dropped whole
scripts) is returned without the stability pass. Every result must equal what cleaning until
stable gives (the shortcut switched off), over every corpus and generated markup."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotpress._normalize import sanitize
from hotpress._normalize.sanitize import sanitize_html
from hotpress._parse import parse_feed
from hotpress.exceptions import HotpressError
from test_sanitize import _xss_inputs

BASES = (None, "https://example.org/news/item.html", "http://a.example", "http://[bad/")


def _until_stable(html: str, base: str | None, monkeypatch: pytest.MonkeyPatch) -> str:
    """The sanitizer as it was: a second pass whenever the first changed anything."""
    with monkeypatch.context() as patch:
        patch.setattr(sanitize, "_same_markup", lambda *_: False)
        return sanitize_html(html, base)


def _shortcut_taken(html: str, base: str | None) -> bool:
    clean = sanitize._JUNK.sub("", html)
    once = sanitize_html(html, base)
    return once != clean and sanitize._same_markup(clean, once, base)


def _feed_bodies(corpora: Path) -> Iterator[tuple[str, str | None]]:
    for folder in ("feedparser-tests", "rsshub", "miniflux-testdata", "reader-testdata"):
        for path in sorted((corpora / folder).rglob("*")):
            if not path.is_file() or path.suffix not in (".xml", ".json", ".rss", ".atom", ""):
                continue
            try:
                feed = parse_feed(path.read_bytes(), url="https://example.org/feed.xml")
            except HotpressError:  # only the bodies of feeds that parse matter
                continue
            for entry in feed.entries:
                yield entry.content or entry.summary, entry.base or entry.link or feed.link


def test_corpora_come_out_as_cleaning_until_stable(
    corpora: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = [(raw, base) for _, raw in _xss_inputs(corpora) for base in BASES]
    cases += list(_feed_bodies(corpora))
    assert len(cases) > 5000
    differ = [
        (raw, base)
        for raw, base in cases
        if sanitize_html(raw, base) != _until_stable(raw, base, monkeypatch)
    ]
    assert differ == []
    # The comparison means something only if the shortcut is taken often.
    assert sum(_shortcut_taken(raw, base) for raw, base in cases) > 1000


@pytest.mark.parametrize(
    ("raw", "base"),
    [
        # Removing an unknown wrapper nests a heading in a heading: reparsed, they split.
        ("<h1><foo><h2>x</h2></foo></h1>", None),
        # The script kept the newline from being the first thing in the <pre>.
        ("<pre><script>x</script>\n\ny</pre>", None),
        # An implied tbody, a reconstructed <b>, a comment: tags that differ.
        ("<table><tr><td>x</td></tr></table>", None),
        ("<b><p>x</b>y</p>", None),
        # srcset candidates are read again differently on a second pass.
        ('<img srcset="a.jpg, b.jpg 1.5x, c.jpg 2x" src="c.jpg">', BASES[1]),
        # A base URL with a tab: URLs joined onto it change again.
        ('<img src="a.png">', "https://example.org/a\tb/"),
    ],
)
def test_the_shortcut_is_refused_where_a_second_pass_may_change_things(
    raw: str, base: str | None
) -> None:
    assert not _shortcut_taken(raw, base)


@pytest.mark.parametrize(
    ("raw", "base"),
    [
        ('<p><a href="/x" target="_blank">a</a><img src="b.png" class="c"/></p>', BASES[1]),
        ('<p>a</p><script type="text/javascript">track()</script><p>b</p>', None),
        ('<video controls src="https://v.example/a.mp4"></video>', None),
    ],
)
def test_the_shortcut_is_taken_where_only_attributes_changed(
    raw: str, base: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _shortcut_taken(raw, base)
    assert sanitize_html(raw, base) == _until_stable(raw, base, monkeypatch)


_TAGS = ["p", "b", "i", "a", "div", "span", "pre", "table", "tbody", "tr", "td", "ul", "li"]
_TAGS += ["h1", "h2", "img", "br", "script", "style", "code", "em", "blockquote", "iframe"]
_TAGS += ["colgroup", "col", "q", "small", "hr", "details", "summary", "video", "font", "form"]
_ATTR = st.tuples(
    st.sampled_from(["href", "src", "srcset", "alt", "title", "class", "rel", "onclick"]),
    st.sampled_from(
        ["x.png", "/a/b.png", "//cdn.example/x.jpg", "https://a.example/p?q=1&amp;r=2"]
        + ["javascript:alert(1)", "mailto:a@b", "data:image/png;base64,AA", " http://x/ "]
        + ["a.jpg 2x, b.jpg 100w", "https://player.bilibili.com/x", "&#1;x", "a&lt;b", ""]
    ),
)
_TEXT = st.sampled_from(["x", "\n", " ", "&amp;", "中文", "\n\n", "y z", "&nbsp;"])


@st.composite
def _markup(draw: st.DrawFn, depth: int = 0) -> str:
    out = []
    for _ in range(draw(st.integers(0, 4 if depth < 3 else 1))):
        if draw(st.booleans()):
            out.append(draw(_TEXT))
            continue
        tag = draw(st.sampled_from(_TAGS))
        attrs = "".join(f' {n}="{v}"' for n, v in draw(st.lists(_ATTR, max_size=3)))
        out.append(f"<{tag}{attrs}{draw(st.sampled_from(['', '/', ' /']))}>")
        if tag in ("script", "style"):
            out.append(draw(st.sampled_from(["track()", "", "a<b"])))
        elif tag not in ("img", "br", "hr", "col"):
            out.append(draw(_markup(depth + 1)))
        if draw(st.integers(0, 9)):
            out.append(f"</{tag}>")
    return "".join(out)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_markup(), st.sampled_from(BASES))
def test_generated_markup_comes_out_as_cleaning_until_stable(raw: str, base: str | None) -> None:
    with pytest.MonkeyPatch.context() as patch:
        assert sanitize_html(raw, base) == _until_stable(raw, base, patch)
