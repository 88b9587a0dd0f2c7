"""Hexo post rendering: the seed's bytes, scalars that read back exactly, Nunjucks-safe bodies."""

from __future__ import annotations

import html
import io
import json
import re
import time
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import jinja2
import lxml.html
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from hotpress._publish.hexo import (
    cover_url,
    escape_nunjucks,
    format_date,
    keep_html_block,
    render_post,
    yaml_scalar,
)
from hotpress._publish.theme_text import theme_text

SEED_DATE = "Thu, 17 Jun 2021 02:04:43 GMT"
SEED_CATEGORIES = ("社交媒体", "知乎", "知乎热榜")
HOSTILE_NAMES = [
    *("a: b", "#x", "- y", "'q'", '"dq"', "x #y", "? k", "[l]", "{m}", "&a", "*b", "!t", "|"),
    *(">", "%d", "@u", "`c`", "---", "...", "yes", "No", "ON", "null", "~", "", " ", "1e3"),
    *("0o17", "0x1F", "12:30", "2024-01-15", ".inf", ".5", "<<", "=", "y", "True", "a\nb"),
    *("tab\there", "bell\x07", "nul\x00", "line\u2028sep", "\ufeffbom", "back\\slash"),
    *(" lead", "trail ", "社交媒体", "B 站每周必看", "Hacker News", "36kr", "it's", "a - b"),
    *("知乎: 热榜", "C#", "emoji 👨\u200d👩\u200d👧", "\x85nel", "x\x7f", "é́"),
]


def _yaml12(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(io.StringIO(text))


def _front_matter(post: bytes) -> str:
    text = post.decode("utf-8")
    assert text.startswith("\n---\n")
    return text[len("\n---\n") : text.index("\n---\n", 5)]


def _render(**overrides: Any) -> bytes:
    fields: dict[str, Any] = {
        "title": "Hello",
        "categories": SEED_CATEGORIES,
        "author": "知乎",
        "date": parsedate_to_datetime(SEED_DATE),
        "cover": None,
        "identity": "0123456789abcdef" * 4,
        "body_html": "<p>MARK</p>",
    }
    fields.update(overrides)
    return render_post(**fields)


def _seed_parts(seed_post: bytes) -> tuple[str, str]:
    text = seed_post.decode("utf-8")
    title = re.search(r"^title: '(.*)'$", text, re.MULTILINE)
    assert title is not None
    start = text.index("<div>   \n") + len("<div>   \n")
    return title.group(1).replace("''", "'"), text[start : text.rindex("  \n</div>")]


def test_seed_item_renders_to_the_seed_bytes_except_the_picture_number(seed_post: bytes) -> None:
    title, body = _seed_parts(seed_post)
    post = _render(title=title, body_html=body)
    assert re.sub(rb"random=\d+", b"random=N", post) == re.sub(
        rb"random=\d+", b"random=N", seed_post
    )
    assert post.endswith(b"</div>\n" + b" " * 12)


def test_placeholder_number_is_stable_per_identity_and_in_range() -> None:
    identity = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    first = _render(identity=identity)
    assert _render(identity=identity) == first
    number = int(re.findall(rb"random=(\d+)", first)[0])
    assert number == int(identity[:8], 16) % 10001
    assert re.findall(rb"random=(\d+)", first) == [str(number).encode()] * 2


@given(st.text(min_size=1))
def test_placeholder_number_is_in_range_for_any_identity(identity: str) -> None:
    url = cover_url(None, identity)
    assert url == cover_url(None, identity)
    assert 0 <= int(url.rsplit("=", 1)[1]) <= 10000


def test_a_cover_is_used_for_both_image_fields() -> None:
    cover = "https://pic1.zhimg.com/v2-x_1440w.jpg?a=1&b='2'"
    meta = _yaml12(_front_matter(_render(cover=cover)))
    assert meta["headimg"] == meta["thumbnail"] == cover


def test_every_hostile_title_reads_back_exactly(corpora: Path) -> None:
    cases = json.loads((corpora / "hexo" / "cases.json").read_text("utf-8"))["titles"]
    assert len(cases) == 49
    for case in cases:
        front = _front_matter(_render(title=case["title"]))
        # Exactly the title with look-alikes for what HTML reads (see test_theme_text.py).
        shown = theme_text(case["title"])
        assert _yaml12(front)["title"] == shown, case["id"]
        assert yaml.safe_load(front)["title"] == shown, case["id"]


def test_hostile_categories_and_authors_read_back_exactly() -> None:
    for name in HOSTILE_NAMES:
        front = _front_matter(_render(categories=["ok", name, name], author=name))
        for meta in (_yaml12(front), yaml.safe_load(front)):
            shown = theme_text(name)
            assert meta["categories"] == ["ok", shown, shown], repr(name)
            assert meta["author"] == shown, repr(name)


@settings(max_examples=300)
@given(st.text(), st.text(), st.lists(st.text(), min_size=1, max_size=3))
def test_any_text_reads_back_exactly_in_yaml_1_1_and_1_2(
    title: str, author: str, categories: list[str]
) -> None:
    front = _front_matter(_render(title=title, author=author, categories=categories))
    for meta in (_yaml12(front), yaml.safe_load(front)):
        shown = [theme_text(level) for level in categories]
        assert (meta["title"], meta["author"], meta["categories"]) == (
            theme_text(title),
            theme_text(author),
            shown,
        )


@pytest.mark.parametrize("name", ["知乎", "社交媒体", "Hacker News", "B 站每周必看", "cnBeta"])
def test_ordinary_names_stay_plain_like_the_seed(name: str) -> None:
    assert yaml_scalar(name) == name


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("yes", "'yes'"),
        ("36kr", "'36kr'"),
        ("it's", "'it''s'"),
        ("a: b", "'a: b'"),
        ("a\nb", '"a\\nb"'),
        ("\ufeffx", '"\\uFEFFx"'),
        ("", "''"),
    ],
)
def test_unsafe_names_are_quoted(value: str, written: str) -> None:
    assert yaml_scalar(value) == written


@settings(max_examples=200)
@given(st.datetimes(timezones=st.timezones()))
def test_dates_are_written_in_utc_like_the_seed(date: datetime) -> None:
    assert format_date(date) == format_datetime(date.astimezone(UTC), usegmt=True)


def test_seed_date_round_trips_and_offsets_become_utc() -> None:
    assert format_date(parsedate_to_datetime(SEED_DATE)) == SEED_DATE
    beijing = datetime(2021, 6, 17, 10, 4, 43, tzinfo=timezone(timedelta(hours=8)))
    assert format_date(beijing) == SEED_DATE


def test_a_naive_date_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        format_date(datetime(2021, 6, 17, 2, 4, 43))


def test_every_hostile_body_survives_a_template_pass_verbatim(corpora: Path) -> None:
    # Jinja2 shares Nunjucks' delimiters: after escaping, a template pass must find nothing
    # to evaluate, and decoding the two entities must give the text a browser shows back.
    cases = json.loads((corpora / "hexo" / "cases.json").read_text("utf-8"))["bodies"]
    assert len(cases) == 21
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    for case in cases:
        safe = escape_nunjucks(case["body"])
        assert env.from_string(safe).render() == safe, case["id"]
        assert html.unescape(safe) == html.unescape(case["body"]), case["id"]
        assert not re.search(r"\{[{%#]|[}%#]\}", safe), case["id"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<style>.a{color:red}</style>", "<style>.a{color:red}</style>"),
        ("x = {a: 1}; y = {b}", "x = {a: 1}; y = {b}"),
        ("{{ x }}", "&#123;&#123; x &#125;&#125;"),
        ("{% raw %}", "&#123;% raw %&#125;"),
        ("{# c #}", "&#123;# c #&#125;"),
        ("{{{x}}}", "&#123;&#123;&#123;x&#125;&#125;&#125;"),
        ("{%}", "&#123;%&#125;"),
        ("{}", "{}"),
        ("{#}", "&#123;#&#125;"),
        ("中文{{ 用户名 }}", "中文&#123;&#123; 用户名 &#125;&#125;"),
    ],
)
def test_only_template_delimiters_are_escaped(body: str, expected: str) -> None:
    assert escape_nunjucks(body) == expected
    assert escape_nunjucks(expected) == expected


@given(st.text(alphabet="{}%# ab", max_size=40))
def test_escaped_bodies_hold_no_delimiter_and_decode_back(body: str) -> None:
    safe = escape_nunjucks(body)
    assert not re.search(r"\{[{%#]|[}%#]\}", safe)
    assert html.unescape(safe) == body


def test_body_html_is_escaped_in_the_post() -> None:
    post = _render(body_html="<p>{{ foo bar }} {% if %} MARK</p>").decode()
    assert (
        "<div>   \n<p>&#123;&#123; foo bar &#125;&#125; &#123;% if %&#125; MARK</p>  \n</div>"
        in post
    )


@pytest.mark.parametrize(
    "body",
    [
        "<pre><code>line1\n\n    indented *em*\n# head\n</code></pre>",
        "\n\n<p>starts blank</p>\n \t\n\n<p>x</p>",
        "<p>a\r\n\r\nb\r\rc</p>",
        '<img alt="a\n\nb" src="https://x/y.png">',
    ],
)
def test_blank_lines_are_kept_as_the_same_text_without_ending_the_html_block(body: str) -> None:
    kept = keep_html_block(body)
    assert not re.search(r"(^|\n)[ \t]*(\n|$)", kept.rstrip("\n") + "x")
    assert "\r" not in kept
    original = lxml.html.fragment_fromstring(body, create_parent="div")
    escaped = lxml.html.fragment_fromstring(kept, create_parent="div")
    assert lxml.html.tostring(escaped, encoding="unicode") == lxml.html.tostring(
        original, encoding="unicode"
    ).replace("\r\n", "\n").replace("\r", "\n")
    assert keep_html_block(kept) == kept


@given(st.text(alphabet="\n \tab<>", max_size=30))
def test_no_blank_line_survives_and_newlines_are_kept(body: str) -> None:
    kept = keep_html_block(body)
    lines = kept.split("\n")
    assert all(line.strip(" \t") for line in lines[:-1])
    assert kept.replace("&#10;", "\n") == body


def test_rendering_is_fast_enough_for_a_hundred_thousand_posts(seed_post: bytes) -> None:
    title, body = _seed_parts(seed_post)
    date = parsedate_to_datetime(SEED_DATE)
    start = time.perf_counter()
    for n in range(5000):
        render_post(
            title=title,
            categories=SEED_CATEGORIES,
            author="知乎",
            date=date,
            cover=None,
            identity=f"{n:064x}",
            body_html=body,
        )
    # ~10 µs a post on a laptop; the bound leaves room for a busy CI machine.
    assert time.perf_counter() - start < 2.5
