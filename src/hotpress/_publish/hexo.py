"""One Hexo post, byte for byte in the layout of the old RSSHUB-PAGE generator.

The layout (see the seed post): an empty line, front matter between ``---`` lines, an empty
line, then ``<div>   `` / body + two spaces / ``</div>`` / twelve spaces, no final newline.

Scalars are written by hand instead of through a YAML library: this runs once per post and a
site has 100,000 of them. A string is written plain only when a strict pattern proves every
YAML reader (js-yaml as Hexo uses it, YAML 1.1 and 1.2) reads it back unchanged; otherwise it
is single-quoted, and double-quoted with escapes when it holds a character a single-quoted
scalar cannot carry (line breaks, controls, BOM, ...). ``tests/test_hexo.py`` reads every
hostile case back through ruamel.yaml; ``tests/test_hexo_real.py`` through real Hexo.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime

from hotpress._publish.theme_text import theme_text

__all__ = [
    "cover_url",
    "escape_nunjucks",
    "format_date",
    "keep_html_block",
    "render_post",
    "yaml_scalar",
]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# A plain scalar starting with a letter and holding only word characters, '-' and inner
# spaces cannot be a number, date, null, alias, tag, comment or mapping in any YAML version;
# only the boolean/null words remain, checked separately.
_PLAIN = re.compile(r"[^\W\d_](?:[\w\- ]*[\w\-])?")
_RESERVED_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
# Characters a single-quoted scalar cannot hold verbatim: non-printable characters, YAML 1.1
# line breaks (NEL, LS, PS) that would be folded, tab (kept escaped for old readers), a BOM,
# and surrogates.
_NEEDS_ESCAPES = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]")
_ESCAPES = {
    "\x00": "\\0",
    "\x07": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\x0b": "\\v",
    "\x0c": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    '"': '\\"',
    "\\": "\\\\",
    "\x85": "\\N",
    "\u2028": "\\L",
    "\u2029": "\\P",
}
_DOUBLE_QUOTED_SPECIAL = re.compile(
    '["\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]'
)
# Only the braces of a Nunjucks delimiter ({{ {% {# and }} %} #}), judged on the original text
# so overlapping ones ("{%}") are all caught; a lone '{' in CSS or code is left alone (the old
# system replaced every brace in the file).
_NUNJUCKS = re.compile(r"\{(?=[{%#])|(?<=\{)\{|(?<=[}%#])\}|\}(?=\})")
# A blank line ends the HTML block that <div> opened, and Markdown then rewrites what follows
# ("# x" becomes a heading, "*x*" emphasis, indented lines code), even inside <pre>.
_BLANK_LINE = re.compile(r"^([ \t]*)\n", re.MULTILINE)
_PICSUM = "https://picsum.photos/400/300?random="
_PICSUM_RANGE = 10001


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    escaped = _ESCAPES.get(char)
    if escaped is not None:
        return escaped
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        # A lone surrogate cannot be written as UTF-8 nor read by js-yaml: replace it.
        return "\\uFFFD"
    return f"\\x{code:02X}" if code <= 0xFF else f"\\u{code:04X}"


def _double_quoted(value: str) -> str:
    return '"' + _DOUBLE_QUOTED_SPECIAL.sub(_escape_char, value) + '"'


def _quoted(value: str) -> str:
    if _NEEDS_ESCAPES.search(value):
        return _double_quoted(value)
    return "'" + value.replace("'", "''") + "'"


def yaml_scalar(value: str) -> str:
    """``value`` as a YAML scalar: plain when provably safe, quoted otherwise."""
    if _PLAIN.fullmatch(value) and value.lower() not in _RESERVED_WORDS:
        return value
    return _quoted(value)


def format_date(date: datetime) -> str:
    """``Thu, 17 Jun 2021 02:04:43 GMT``: UTC, English names whatever the locale."""
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError(f"post date must carry a time zone, got naive {date.isoformat()}")
    utc = date.astimezone(UTC)
    return (
        f"{_DAYS[utc.weekday()]}, {utc.day:02d} {_MONTHS[utc.month - 1]} {utc.year:04d} "
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d} GMT"
    )


def cover_url(cover: str | None, identity: str) -> str:
    """The item's cover, or a placeholder whose number depends only on the identity, so a
    re-run writes the same bytes (the old system drew it at random every run)."""
    if cover:
        return cover
    try:
        seed = int(identity[:8], 16)
    except ValueError:
        seed = int(hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:8], 16)
    return f"{_PICSUM}{seed % _PICSUM_RANGE}"


def escape_nunjucks(body: str) -> str:
    """Make Hexo's Nunjucks pass leave ``body`` verbatim (it aborts the whole build on a bad
    tag): only the braces of ``{{ {% {# }} %} #}`` become entities."""
    if "{" not in body and "}" not in body:
        return body
    return _NUNJUCKS.sub(_brace_entity, body)


def keep_html_block(body: str) -> str:
    """Make Hexo's Markdown pass leave ``body`` verbatim: the newline ending a blank line
    becomes ``&#10;``, which HTML reads as the same newline (also inside ``<pre>``)."""
    if "\r" in body:
        # What every HTML parser does first; a lone CR would otherwise end a Markdown line.
        body = body.replace("\r\n", "\n").replace("\r", "\n")
    if "\n" not in body:
        return body
    return _BLANK_LINE.sub(r"\1&#10;", body)


def _brace_entity(match: re.Match[str]) -> str:
    return "&#123;" if match.group() == "{" else "&#125;"


@functools.lru_cache(maxsize=4096)
def _category_lines(categories: tuple[str, ...]) -> tuple[str, ...]:
    """The ``categories:`` list items (the same for every post of a source)."""
    return tuple(f" - {yaml_scalar(theme_text(level))}" for level in categories)


@functools.lru_cache(maxsize=4096)
def _author_line(author: str) -> str:
    return f"author: {yaml_scalar(theme_text(author))}"


def render_post(
    *,
    title: str,
    categories: Sequence[str],
    author: str,
    date: datetime,
    cover: str | None,
    identity: str,
    body_html: str,
    kept: Sequence[str] = (),
) -> bytes:
    """The post file's bytes. ``body_html`` must already be sanitized; only what Hexo would
    otherwise change is escaped (Nunjucks delimiters, blank lines). Title, author and
    categories are written with look-alikes for the characters HTML reads (see theme_text).
    ``kept`` are front-matter lines of keys hotpress does not own, written after its own."""
    image = _quoted(cover_url(cover, identity))
    lines = ["", "---", f"title: {_quoted(theme_text(title))}", "categories: "]
    lines.extend(_category_lines(tuple(categories)))
    lines += [
        f"headimg: {image}",
        _author_line(author),
        "comments: false",
        f"date: {format_date(date)}",
        f"thumbnail: {image}",
        *kept,
        "---",
        "",
        "<div>   ",
        keep_html_block(escape_nunjucks(body_html)) + "  ",
        "</div>",
        " " * 12,
    ]
    # Scalars never hold a lone surrogate (escaped above); a body from outside the pipeline
    # might, and one bad character must not stop the post.
    return "\n".join(lines).encode("utf-8", "replace")
