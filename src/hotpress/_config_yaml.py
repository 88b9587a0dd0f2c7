"""YAML with line numbers: the config's data and where each key stands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hotpress._config_problems import dotted as _dotted
from hotpress._yamlguard import compose_config
from hotpress.exceptions import ConfigError

# --- YAML with line numbers -------------------------------------------------------------

Loc = tuple[str | int, ...]


def _load_yaml(text: str, path: Path) -> tuple[Any, dict[Loc, int]]:
    try:
        node = compose_config(text, path)  # refuses alias bombs and recursive aliases
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"YAML syntax error: {problem}", path=path, line=line) from exc
    lines: dict[Loc, int] = {}
    if node is None:
        return None, lines
    return _construct(node, (), lines, path), lines


def _construct(node: yaml.Node, loc: Loc, lines: dict[Loc, int], path: Path) -> Any:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in result:
                raise ConfigError(
                    "duplicate key",
                    path=path,
                    line=key_node.start_mark.line + 1,
                    key=_dotted(loc + (key,)),
                )
            result[key] = _construct(value_node, loc + (key,), lines, path)
            lines[loc + (key,)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(child, loc + (i,), lines, path) for i, child in enumerate(node.value)]
    constructor = yaml.SafeLoader("")
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"invalid value: {exc}", path=path, line=node.start_mark.line + 1
        ) from exc
    finally:
        constructor.dispose()
