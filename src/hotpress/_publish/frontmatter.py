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

# A separator line (``---`` or ``;;;``), found in the bytes so that a body is never decoded.
_SEPARATOR = re.compile(rb"^(?:-{3,}|;{3,})[ \t]*\r?$", re.MULTILINE)
# A line at column 0 that starts a key of its own (not a comment, a sequence entry, a
# continuation or a document marker).
_TOP_LINE = re.compile(r"^(?![ \t#\-]|\.\.\.)(?P<line>\S.*)$", re.MULTILINE)
_SIMPLE_KEY = re.compile(r"^(?P<key>[^\s:#'\"\[\]{},&*!|>%@`-][^:#]*?)[ \t]*:(?:[ \t]|$)")
# ``abbrlink: 4a17b156``: one line that is YAML on its own, whatever surrounds it.
_SIMPLE_ENTRY = re.compile(r"[A-Za-z_][\w-]*:[ \t]+\w[\w.\-/]*[ \t]*")
_BOM = "\ufeff".encode()


def _front_matter(data: bytes) -> str | None:
    """The YAML between the separators, as Hexo finds it (with or without the first ``---``;
    hotpress's own layout starts with an empty line)."""
    data = data.removeprefix(_BOM)
    first = _SEPARATOR.search(data)
    if first is None:
        return None
    if data[: first.start()].strip():
        block = data[: first.start()]  # no opening separator: all up to the first one
    else:
        closing = _SEPARATOR.search(data, first.end())
        if closing is None:
            return None
        block = data[first.end() : closing.start()]
    text = block.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    return text.removeprefix("\n").rstrip("\n")


def _simple(block: str) -> list[tuple[str, str]] | None:
    """The foreign entries when each is a one-line ``key: word`` (or there are none): the usual
    post, and hexo-abbrlink's, read without YAML. None when anything needs a YAML reader."""
    lines = block.split("\n")
    entries = []
    for n, line in enumerate(lines):
        if not line or line[0] in " \t#-":
            continue  # under the key before it, or a comment
        key = _SIMPLE_KEY.match(line)
        if key is None:
            return None
        if key["key"] in OWNED:
            continue
        after = lines[n + 1] if n + 1 < len(lines) else ""
        if not _SIMPLE_ENTRY.fullmatch(line) or (after[:1] in " \t-" and after.strip()):
            return None
        entries.append((key["key"], line))
    return entries


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
    block = _front_matter(data)
    if block is None:
        return []
    foreign = _simple(block)
    if foreign is None:
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
