"""Typed settings, loaded once from the YAML config and passed explicitly.

A config error stops before any work with a message naming the file, the line and the key
(and, for an unknown key, the nearest valid one).
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from hotpress._config_models import (
    DEFAULT_CONFIG,
    ENV_CONFIG,
    ConfigModel,
    ExpandConfig,
    FetchConfig,
    FulltextConfig,
    NotifyConfig,
    OutputConfig,
    Retention,
    Settings,
    SiteConfig,
    SourceConfig,
    StoriesConfig,
)
from hotpress._config_problems import validation_problems
from hotpress._config_resolve import ARCHIVE_SCHEMES, _resolve, base_url, parse_minutes
from hotpress._config_yaml import _load_yaml
from hotpress.exceptions import ConfigError


def config_path(explicit: str | None) -> Path:
    """``-c FILE``, else ``$HOTPRESS_CONFIG``, else ``./hotpress.yml``."""
    return Path(explicit or os.environ.get(ENV_CONFIG) or DEFAULT_CONFIG)


def load_settings(path: Path) -> Settings:
    return parse_settings(read_config_text(path), path)


def read_config_text(path: Path) -> str:
    """The config file's text; a ConfigError naming the file when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            "config file not found (create one with `hotpress init`)", path=path
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config: {exc}", path=path) from exc


def parse_settings(text: str, path: Path) -> Settings:
    data, lines = _load_yaml(text, path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            "the config must be a mapping of keys (rsshub:, sources:, ...)", path=path, line=1
        )
    try:
        model = ConfigModel.model_validate(data)
    except ValidationError as exc:
        raise validation_problems(exc, ConfigModel, path, lines) from None
    return _resolve(model, path, lines)


__all__ = [
    "ARCHIVE_SCHEMES",
    "DEFAULT_CONFIG",
    "ENV_CONFIG",
    "ConfigModel",
    "ExpandConfig",
    "FetchConfig",
    "FulltextConfig",
    "NotifyConfig",
    "OutputConfig",
    "Retention",
    "Settings",
    "SiteConfig",
    "SourceConfig",
    "StoriesConfig",
    "base_url",
    "config_path",
    "load_settings",
    "parse_minutes",
    "parse_settings",
    "read_config_text",
]
