"""Front-matter keys hotpress does not own, read back from a post before it is rewritten.

hexo-abbrlink writes ``abbrlink:`` into every post (the original site's permalink is
``p/:abbrlink.html``), and site owners add ``tags:``, ``top:``, ``description:`` by hand. When
an item changes or ``publish --force`` rewrites its post, those keys are carried over verbatim
(comments, quoting, block scalars and all), in their order, after hotpress's own keys. Only the
keys hotpress writes are replaced.

Hexo reads front matter as js-yaml does; here the old post is read with PyYAML's pure-Python
composer, which gives each key's position so its text can be copied unchanged. A post whose
front matter does not parse (hand-edited into invalid YAML, which Hexo itself skips) keeps the
``key: value`` entries that parse on their own; anything else in it is dropped, since copying
it would leave the rewritten post as unreadable as the old one.
"""

from __future__ import annotations

import re

import yaml

__all__ = ["OWNED", "kept_lines"]

OWNED = frozenset({"title", "categories", "headimg", "author", "comments", "date", "thumbnail"})
"""The keys hotpress writes (see hexo.render_post)."""

_SEPARATOR = re.compile(r"(?:-{3,}|;{3,})[ \t]*")
# A line at column 0 that starts a key of its own (not a comment, a sequence entry, a
# continuation or a document marker).
_TOP_LINE = re.compile(r"^(?![ \t#\-]|\.\.\.)(?P<line>\S.*)$", re.MULTILINE)
_SIMPLE_KEY = re.compile(r"^(?P<key>[^\s:#'\"\[\]{},&*!|>%@`-][^:#]*?)[ \t]*:(?:[ \t]|$)")


def _front_matter(text: str) -> str | None:
    """The YAML between the separators, as Hexo finds it (with or without the first ``---``;
    hotpress's own layout starts with an empty line)."""
    lines = text.split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start < len(lines) and _SEPARATOR.fullmatch(lines[start]):
        start += 1
    for end in range(start, len(lines)):
        if _SEPARATOR.fullmatch(lines[end]):
            return "\n".join(lines[start:end])
    return None


def _only_owned(block: str) -> bool:
    """Every top-level line is one of hotpress's keys: the usual post, read without YAML."""
    for match in _TOP_LINE.finditer(block):
        key = _SIMPLE_KEY.match(match["line"])
        if key is None or key["key"] not in OWNED:
            return False
    return True


def _parses(text: str) -> bool:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return False
    return isinstance(node, yaml.MappingNode)


def _entries(block: str) -> list[tuple[str, str]] | None:
    """(key, verbatim text) of every top-level entry, or None if the block is not a mapping."""
    try:
        node = yaml.compose(block, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if not isinstance(node, yaml.MappingNode):
        return None
    starts = [key.start_mark.index for key, _ in node.value]
    entries = []
    for n, (key, _) in enumerate(node.value):
        end = starts[n + 1] if n + 1 < len(starts) else len(block)
        name = key.value if isinstance(key, yaml.ScalarNode) else ""
        entries.append((name, block[starts[n] : end].rstrip()))
    return entries


def _salvage(block: str) -> list[tuple[str, str]]:
    """From front matter that does not parse: each ``key: ...`` line with the indented lines
    under it, where that entry parses alone."""
    entries: list[tuple[str, str]] = []
    for match in _TOP_LINE.finditer(block):
        key = _SIMPLE_KEY.match(match["line"])
        if key is None:
            continue
        rest = block[match.end() :].split("\n")[1:]
        tail = []
        for line in rest:
            if not line.startswith((" ", "\t")):
                break
            tail.append(line)
        text = "\n".join([match["line"], *tail]).rstrip()
        if _parses(text):
            entries.append((key["key"], text))
    return entries


def kept_lines(data: bytes) -> list[str]:
    """The front-matter lines of ``data`` (a post file) holding keys hotpress does not own,
    verbatim and in their order; none when there are none or no front matter is found."""
    text = data.decode("utf-8", "replace").lstrip("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    block = _front_matter(text)
    if block is None or _only_owned(block):
        return []
    entries = _entries(block)
    foreign = [(k, t) for k, t in entries or () if k not in OWNED]
    if entries is None or (foreign and not _parses("\n".join(t for _, t in foreign))):
        # Unreadable, or what is kept refers to what is not (an alias to a dropped anchor).
        foreign = [(k, t) for k, t in _salvage(block) if k not in OWNED]
    # One entry per key (js-yaml refuses a duplicate key and Hexo would skip the post): the
    # last one, as YAML readers that accept duplicates take it.
    last = {key: n for n, (key, _) in enumerate(foreign)}
    kept = [text for n, (key, text) in enumerate(foreign) if last[key] == n]
    return "\n".join(kept).split("\n") if kept else []
