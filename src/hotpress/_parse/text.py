"""Plain-text titles: whitespace collapsed, control characters gone, markup flattened."""

from __future__ import annotations

import html
import re

from hotpress._parse.encoding import C1_AS_WINDOWS_1252

__all__ = ["clean_title", "html_to_text", "text_to_html"]

# Control characters (C0 without the whitespace ones, DEL, C1 without NEL) are dropped;
# whitespace of every kind (incl. NEL and NBSP) collapses to one plain space.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_SPACE = re.compile(r"[\s\u200b\ufeff]+")
# Anything clean_title must rewrite beyond whitespace runs: C0/C1 controls, DEL, the
# zero-width characters _SPACE also counts as space.
_UNUSUAL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x9f\u200b\ufeff]")
# An unclosed comment runs to the end, as in HTML. A quoted attribute value may hold '>'
# (alt="a<br />b"): it does not end the tag. Possessive
# quantifiers keep hostile input (many quotes, no '>') linear.
_TAG = re.compile(
    r"""<!--.*?(?:-->|\Z)|<![^>]*>|<\?[^>]*>"""
    r"""|</?([A-Za-z][A-Za-z0-9]*)(?:[^>"']++|"[^"]*+"|'[^']*+'|["'])*+>""",
    re.DOTALL,
)
_BLOCK = frozenset(
    [
        "br",
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "tr",
        "td",
        "th",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "blockquote",
        "pre",
    ]
)
_MAX_FRAGMENT = 8192
_DROP_BLOCKS = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.DOTALL | re.IGNORECASE)


def clean_title(raw: str) -> str:
    """Collapse whitespace runs to one space, strip, drop control characters (C1 ones are
    read as Windows-1252 first)."""
    if not raw:
        return ""
    if _UNUSUAL.search(raw) is None:
        # The usual title: str.split() splits on exactly the characters \s matches (both use
        # str.isspace), so this equals the general path below, only faster.
        return " ".join(raw.split())
    # C1 characters are Windows-1252 punctuation read with the wrong table, whatever the
    # format that carried them (a JSON "\u0092" included): see encoding.py.
    return _SPACE.sub(" ", _CONTROL.sub("", raw.translate(C1_AS_WINDOWS_1252))).strip()


def html_to_text(fragment: str) -> str:
    """Text a browser would show for an HTML fragment (an Atom ``type="html"`` title).

    Tags are removed first and entities decoded once afterwards, so an escaped ``&lt;b&gt;``
    stays visible as ``<b>`` text instead of being taken for a tag.
    """
    if "<" not in fragment and "&" not in fragment:
        return clean_title(fragment)
    # Tag matching is quadratic on hostile input ("<a " repeated, no '>'); no real title is
    # this long, so the cut bounds the cost at a few milliseconds.
    fragment = fragment[:_MAX_FRAGMENT]
    text = _TAG.sub(_tag_gap, _DROP_BLOCKS.sub(" ", fragment))
    return clean_title(html.unescape(text))


def text_to_html(text: str) -> str:
    """Plain text (Atom ``type="text"``, JSON ``content_text``) as an HTML body."""
    if not text:
        return ""
    return html.escape(text, quote=False).replace("\n", "<br>\n")


def _tag_gap(m: re.Match[str]) -> str:
    # Inline tags join their text ("foo<b>bar</b>"), block tags separate it.
    return " " if (m[1] or "").lower() in _BLOCK else ""
