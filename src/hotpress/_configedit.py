"""Edit the config file in place: add and remove sources, keeping comments and order.

ruamel.yaml's round-trip mode keeps the owner's comments, blank lines, key order and quoting.
Every edit is validated by loading the result with the normal config loader before the file
is replaced (atomically), so ``add``/``remove`` can never leave a config ``run`` rejects.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from hotpress._publish.files import replace_file
from hotpress.config import parse_settings, read_config_text
from hotpress.exceptions import ConfigError


@dataclass(frozen=True, slots=True)
class NewSource:
    category: tuple[str, ...]
    route: str | None = None
    url: str | None = None
    interval: int | None = None

    def key(self) -> str:
        if self.route is not None:
            return self.route if self.route.startswith("/") else "/" + self.route
        assert self.url is not None
        return self.url


def _yaml() -> YAML:
    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never re-wrap the owner's long lines
    return yaml


def _load(path: Path) -> tuple[YAML, Any, str]:
    text = read_config_text(path)
    parse_settings(text, path)  # refuse to edit a config that is already broken
    yaml = _yaml()
    try:
        data = yaml.load(text)
    except YAMLError as exc:
        raise ConfigError(f"YAML syntax error: {exc}", path=path) from exc
    if data is None:
        data = CommentedMap()
    return yaml, data, text


def _source_key(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return None
    if entry.get("route"):
        route = str(entry["route"])
        return route if route.startswith("/") else "/" + route
    return str(entry["url"]) if entry.get("url") else None


def _save(path: Path, yaml: YAML, data: Any) -> None:
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    text = buffer.getvalue()
    parse_settings(text, path)  # the edit must leave a config that loads
    replace_file(path, text.encode("utf-8"), mode=path.stat().st_mode & 0o7777, suffix=".tmp")


def _entry(source: NewSource) -> CommentedMap:
    entry = CommentedMap()
    category = CommentedSeq(source.category)
    category.fa.set_flow_style()  # `[社交媒体, 知乎, 知乎热榜]`, as the starter config writes it
    entry["category"] = category
    if source.route is not None:
        entry["route"] = source.key()
    else:
        entry["url"] = source.url
    if source.interval is not None:
        entry["interval"] = source.interval
    return entry


def add_sources(path: Path, sources: Sequence[NewSource]) -> list[str]:
    """Append the sources not yet in the config; returns the keys added (in order)."""
    yaml, data, _ = _load(path)
    listed = data.get("sources")
    if listed is None:
        listed = CommentedSeq()
        data["sources"] = listed
    if not isinstance(listed, list):
        raise ConfigError("`sources:` is not a list", path=path, key="sources")
    known = {_source_key(e) for e in listed}
    added: list[str] = []
    for source in sources:
        if source.key() in known:
            continue
        listed.append(_entry(source))
        known.add(source.key())
        added.append(source.key())
    if added:
        _save(path, yaml, data)
    return added


def remove_source(path: Path, key: str) -> bool:
    """Remove the source whose route or URL is ``key``; False when there is none.

    The archive keeps the source's items; only the config changes.
    """
    yaml, data, _ = _load(path)
    listed = data.get("sources")
    if not isinstance(listed, list):
        return False
    wanted = {key, "/" + key.lstrip("/")} if not key.startswith(("http:", "https:")) else {key}
    for i, entry in enumerate(listed):
        found = _source_key(entry)
        if found is not None and found in wanted:
            _keep_following_comment(listed, i)
            del listed[i]
            _save(path, yaml, data)
            return True
    return False


def _keep_following_comment(listed: Any, i: int) -> None:
    """ruamel hangs a comment line that introduces the *next* source (``# 编程``) on the
    last key of the source before it; move it to the previous source so it survives."""
    entry = listed[i]
    if not isinstance(entry, CommentedMap) or not entry or i == 0:
        return
    last = list(entry)[-1]
    slot = entry.ca.items.get(last)
    token = slot[2] if slot and len(slot) > 2 else None
    if token is None or "\n" not in token.value:
        return
    block = token.value.split("\n", 1)[1]
    if not block.strip():
        return
    prev = listed[i - 1]
    if not isinstance(prev, CommentedMap) or not prev:
        return
    prev_last = list(prev)[-1]
    prev_slot = prev.ca.items.get(prev_last)
    prev_token = prev_slot[2] if prev_slot and len(prev_slot) > 2 else None
    if prev_token is not None:
        prev_token.value = prev_token.value + block
    else:
        token.value = "\n" + block
        prev.ca.items[prev_last] = [None, None, token, None]
