"""Front-matter text that every Hexo theme shows the same, whether it escapes it or not.

Hexo hands ``title``, ``author`` and category names to the theme as they are in the front
matter, and themes differ: landscape escapes them (``<%= %>``), Volantis prints them raw
(``<%- post.title %>``) in headings, the sidebar on every page and single-quoted attributes,
and some print the same title both ways on one page. An HTML entity is therefore wrong in one
of the two places (raw: safe; escaped: ``&lt;`` shown as text), and the raw character is a
script in the other. The five characters that mean something to HTML are replaced instead by
characters that look the same and mean nothing to it, in every context (text, attribute of
either quote, ``<title>``, JSON-LD, a JavaScript string, a URL built from the file name):

- ``<`` ``>`` become the fullwidth ``＜`` ``＞`` (common in Chinese titles already);
- ``"`` and ``'`` become curly quotes, opening after a space or an opening bracket and at the
  start, closing elsewhere (``it's`` becomes ``it’s``), as a typesetter would;
- ``&`` becomes the fullwidth ``＆`` only where it starts a character reference (``&lt;``,
  ``&#39;``, ``&amp``): a raw theme would decode it and an escaping one would not. A lone
  ``&`` (``Tom & Jerry``) reads the same either way and stays.

Text holding none of them, the usual title, is returned unchanged (the seed post stays
byte-exact). The archive keeps the title as the feed sent it; only the Hexo output uses this.
"""

from __future__ import annotations

import re

__all__ = ["theme_text"]

_RISKY = re.compile(r"[<>\"']|&(?=[#A-Za-z0-9])")
# After these (or at the start) a quote opens; elsewhere it closes (an apostrophe included).
_OPENS_AFTER = frozenset(" \t\n([{<«‹“‘（【「『〔《〈〖—–-/=:：，、")
_SIMPLE = {"<": "＜", ">": "＞", "&": "＆"}
_QUOTES = {'"': ("“", "”"), "'": ("‘", "’")}


def theme_text(value: str) -> str:
    """``value`` with ``< > " '`` and a reference-starting ``&`` as look-alike characters."""
    if _RISKY.search(value) is None:
        return value

    def swap(match: re.Match[str]) -> str:
        char = match.group()
        simple = _SIMPLE.get(char)
        if simple is not None:
            return simple
        start = match.start()
        opening = start == 0 or value[start - 1] in _OPENS_AFTER
        return _QUOTES[char][0 if opening else 1]

    return _RISKY.sub(swap, value)
