"""Compose the config's YAML refusing alias bombs, recursive aliases and absurd nesting.

YAML aliases share one node: ``b: [*a, *a, *a]`` repeats ``a`` without copying it, so nine
levels of nine aliases ("billion laughs") are a few hundred bytes of text that expand to
9^9 values when the config is built from them (minutes and gigabytes), and an alias inside
its own anchor (``a: &a [*a]``) expands forever. The composed node graph is small, so the
expanded size is counted on it first, once per distinct node, before anything is built;
a config whose expansion passes :data:`MAX_VALUES` or that contains itself is a config
error naming the line of the value that grew too large or contains itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from hotpress.exceptions import ConfigError

__all__ = ["MAX_DEPTH", "MAX_VALUES", "compose_config"]

MAX_VALUES = 1_000_000
"""Most values (scalars, lists, mappings, keys) a config may expand to: a config of 10,000
sources is ~100,000."""
MAX_DEPTH = 200
"""Deepest nesting of lists and mappings (a real config nests 4 deep)."""


def compose_config(text: str, path: Path) -> yaml.Node | None:
    """``yaml.compose(text)`` (SafeLoader), checked; YAML syntax errors propagate as usual."""
    _flow_depth(text, path)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except RecursionError:
        mark = loader.get_mark()
        raise ConfigError(
            f"nested too deeply (more than {MAX_DEPTH} levels of lists or mappings)",
            path=path,
            line=mark.line + 1,
        ) from None
    finally:
        loader.dispose()
    if node is not None:
        _check(node, path)
    return node


_FLOW = re.compile(r"""[\[\]{}'"#\n]""")
_QUOTED = {"'": re.compile(r"'(?:[^']|'')*'"), '"': re.compile(r'"(?:[^"\\]|\\.)*"', re.S)}
_SCALAR_START = frozenset(":-[{,?\n")


def _flow_depth(text: str, path: Path) -> None:
    """Refuse brackets nested past MAX_DEPTH before PyYAML sees them: its scanner takes time
    quadratic in the nesting (1 s at 1,000 levels) and its composer recurses. Quoted scalars
    and comments are skipped; brackets inside a plain scalar count too, which only matters
    for a text holding hundreds of unclosed ``[``."""
    depth, pos = 0, 0
    while match := _FLOW.search(text, pos):
        char, pos = match.group(), match.end()
        if char in _QUOTED and _after_scalar_start(text, match.start()):
            quoted = _QUOTED[char].match(text, match.start())
            pos = quoted.end() if quoted else len(text)
        elif char == "#" and (match.start() == 0 or text[match.start() - 1] in " \t\n"):
            newline = text.find("\n", pos)
            pos = len(text) if newline < 0 else newline
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ConfigError(
                    f"nested too deeply (more than {MAX_DEPTH} levels of lists or mappings)",
                    path=path,
                    line=text.count("\n", 0, match.start()) + 1,
                )
        elif char in "]}":
            depth = max(0, depth - 1)


def _after_scalar_start(text: str, at: int) -> bool:
    """Whether a quote at ``at`` opens a quoted scalar (a quote inside ``it's`` does not)."""
    at -= 1
    while at >= 0 and text[at] in " \t":
        at -= 1
    return at < 0 or text[at] in _SCALAR_START


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check(root: yaml.Node, path: Path) -> None:
    """Expanded size of every node, bottom-up without recursion; refuse a cycle, a size
    past MAX_VALUES or nesting past MAX_DEPTH."""
    size: dict[int, int] = {}
    open_nodes: set[int] = set()
    # (node, depth, children pushed yet)
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, expanded = stack.pop()
        key = id(node)
        if expanded:
            open_nodes.discard(key)
            total = 1 + sum(size[id(child)] for child in _children(node))
            if total > MAX_VALUES:
                raise ConfigError(
                    f"this value expands to more than {MAX_VALUES:,} values through YAML "
                    "aliases (an alias bomb?); refusing to build it",
                    path=path,
                    line=_line(node),
                )
            size[key] = total
            continue
        if key in size:
            continue
        if depth > MAX_DEPTH:
            raise ConfigError(
                f"nested too deeply (more than {MAX_DEPTH} levels of lists or mappings)",
                path=path,
                line=_line(node),
            )
        open_nodes.add(key)
        stack.append((node, depth, True))
        for child in _children(node):
            if id(child) in open_nodes:
                raise ConfigError(
                    "a YAML alias refers to a value that contains it (a recursive alias): "
                    "it would never end",
                    path=path,
                    line=_line(child),
                )
            if id(child) not in size:
                stack.append((child, depth + 1, False))
