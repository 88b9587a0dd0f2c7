"""Typed settings, loaded once from the YAML config and passed explicitly.

A config error stops before any work with a message naming the file, the line and the key
(and, for an unknown key, the nearest valid one).
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hotpress._config_problems import ConfigProblems, validation_problems
from hotpress._config_problems import dotted as _dotted
from hotpress._config_problems import line_for as _line_for
from hotpress._filters import parse_filters
from hotpress._hot.ranks import check_heat
from hotpress._hot.similar import DEFAULT_THRESHOLD
from hotpress._notify import NotifyTarget, plugin_limit
from hotpress._yamlguard import compose_config
from hotpress.exceptions import ConfigError
from hotpress.types import ExpandSpec, FulltextSpec, ImageOptions, SourceSpec

DEFAULT_CONFIG = "hotpress.yml"
ENV_CONFIG = "HOTPRESS_CONFIG"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class OutputConfig(_Model):
    hexo: str | None = None
    """Folder for Hexo posts (``blog/source/_posts``); omitted = no Hexo output."""
    site: str | None = None
    """Folder for hotpress's own static site; omitted = no site."""


class SiteConfig(_Model):
    title: str = "hotpress"
    url: str = "http://127.0.0.1:8000"
    per_page: int = Field(default=30, ge=1, le=1000)
    theme: str | None = None
    description: str = ""
    language: str = "zh-CN"
    feeds: tuple[Literal["rss", "atom", "json"], ...] = ("rss", "atom", "json")
    """Feed formats written (``feed.xml``, ``atom.xml``, ``feed.json``); empty: no feeds."""
    list_feeds: bool = True
    """Feeds for every category and month too; false: only the site's own."""
    archives: bool = True
    """Month lists and the ``archives/`` pages."""
    search: bool = True
    """The search page and its index."""
    status: bool = False
    """A public ``status/`` page with the table of ``hotpress sources`` (secrets in URLs
    masked); off by default: it shows every source URL and error."""
    workers: int | None = Field(default=None, ge=1, le=64)
    """Processes for a large build; default: one per core (a small build stays in one)."""

    @field_validator("feeds")
    @classmethod
    def _distinct_feeds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("each feed format once")
        return value


class FetchConfig(_Model):
    concurrency: int = Field(default=10, ge=1, le=500)
    per_host: int = Field(default=4, ge=1, le=100)
    timeout: float = Field(default=30.0, gt=0, le=600)
    """Read timeout in seconds (connect timeout is a third of it, at most 10 s)."""
    max_body_mb: float = Field(default=10.0, gt=0, le=1024)
    retries: int = Field(default=2, ge=0, le=10)
    min_host_interval: float = Field(default=0.2, ge=0, le=60)
    """Seconds between the starts of two requests to one host (one RSSHub serves all routes)."""


# --- full content (issue 14): expand ------------------------------------------------------


class ExpandConfig(_Model):
    """``expand:`` on a source: a second feed per item whose entry becomes the item's body."""

    link: str
    """Regular expression searched in the item's link; named groups fill the template."""
    route: str | None = None
    """RSSHub route template (``/zhihu/question/{qid}``), on the source's RSSHub instance."""
    url: str | None = None
    """Or a full URL template (``https://example.com/q/{qid}.xml``)."""
    entry: Literal["first", "longest"] = "first"
    refresh: int | str = "6h"
    """How long an expanded body stands before it is fetched again: minutes, or ``30m``,
    ``6h``, ``2d``."""


class FulltextConfig(_Model):
    """``fulltext: {shorter_than: 300}``: only items whose feed body is shorter (text)."""

    shorter_than: int | None = Field(default=None, ge=1)


_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
"""C0 and C1 controls but the whitespace ones (which separate words)."""


class StoriesConfig(_Model):
    threshold: float = Field(default=DEFAULT_THRESHOLD, gt=0, le=1)
    """Similarity (0–1, see docs/benchmarks.md) from which two hot-list titles are one story."""
    window_hours: int = Field(default=48, ge=1, le=24 * 30)
    """How far back another list's items are compared with a new one."""


class NotifyConfig(_Model):
    url: str
    """An Apprise URL (``tgram://BOT_TOKEN/CHAT_ID``, ``ntfy://topic``, ``json://host/path``)."""
    filters: str | None = None
    """Word groups an item must match to be pushed (default: every new item)."""
    sources: list[str] | None = None
    """Keys of the sources whose items are pushed (default: all)."""

    @field_validator("filters")
    @classmethod
    def _filter_groups(cls, value: str | None) -> str | None:
        if value is not None:
            parse_filters(value)
        return value


class SourceConfig(_Model):
    category: list[str]
    route: str | None = None
    url: str | None = None
    rsshub: str | None = None
    author: str | None = None
    timezone: str | None = None
    interval: int | None = Field(default=None, ge=1, le=7 * 24 * 60)
    """Minutes between refreshes (``watch`` / ``run --due``)."""
    keep_days: int | None = Field(default=None, ge=1)
    """Retention: remove this source's posts older than this many days from the outputs."""
    keep_per_channel: int | None = Field(default=None, ge=1)
    """Retention: keep only this source's newest N posts in the outputs."""
    # --- full content (issue 14) ---
    expand: ExpandConfig | None = None
    fulltext: bool | FulltextConfig = False
    """Fetch each item's link and extract the article (trafilatura) as its body."""
    # --- hot lists (issue 15) ---
    hotlist: bool = False
    """A ranked list: record every entry's position at each refresh."""
    heat: str | None = None
    """Regex with a ``value`` group finding an entry's heat figure (value × unit)."""
    digest: Literal["daily"] | None = None
    """``daily``: also write one Hexo post per day with the day's list (needs ``hotlist``)."""
    filters: str | None = None
    """Word groups (TrendRadar's form) an item must match to be published."""

    @field_validator("filters")
    @classmethod
    def _filter_groups(cls, value: str | None) -> str | None:
        if value is not None:
            parse_filters(value)
        return value

    @field_validator("heat")
    @classmethod
    def _heat_pattern(cls, value: str | None) -> str | None:
        return None if value is None else check_heat(value)

    @field_validator("category")
    @classmethod
    def _category_levels(cls, levels: list[str]) -> list[str]:
        if not levels:
            raise ValueError("needs at least one level, e.g. [社交媒体, 知乎, 知乎热榜]")
        cleaned = []
        for level in levels:
            # Control characters (a NUL split a level in two on the site) are dropped.
            text = " ".join(_CONTROLS.sub("", str(level)).split())
            if not text:
                raise ValueError("a category level is empty")
            if text in {".", ".."}:
                raise ValueError(f"a category level cannot be {text!r}")
            cleaned.append(text)
        return cleaned


class ConfigModel(_Model):
    rsshub: str = "https://rsshub.app"
    database: str = "hotpress.db"
    timezone: str = "Asia/Shanghai"
    interval: int = Field(default=60, ge=1, le=7 * 24 * 60)
    output: OutputConfig = OutputConfig()
    site: SiteConfig = SiteConfig()
    fetch: FetchConfig = FetchConfig()
    sources: list[SourceConfig] = Field(default_factory=list)
    keep_days: int | None = Field(default=None, ge=1)
    keep_per_channel: int | None = Field(default=None, ge=1)
    catalog_labels: dict[str, str] = Field(default_factory=dict)
    """Overrides of the Chinese labels of RSSHub categories (``social-media: 社交``)."""
    # --- full content (issue 14): images ---
    images: Literal["remote", "local"] = "remote"
    """``local``: every image and cover downloaded once and served from the outputs."""
    image_referers: dict[str, str] = Field(default_factory=dict)
    """Host suffix -> Referer to send (over the built-in table for zhimg, sinaimg, hdslb…)."""
    image_proxy: str | None = None
    """``https://proxy.example/?url={url}``: remote ``http://`` images through a proxy."""
    image_max_mb: float = Field(default=10.0, gt=0, le=1024)
    item_images_max_mb: float = Field(default=40.0, gt=0, le=10240)
    private_hosts: bool = False
    """Allow image hosts and article links (``fulltext:``) on loopback/private networks
    (always allowed when the source itself is on such a network)."""
    filters: str | None = None
    """Word groups every source's items must match to be published (issue 15)."""
    notify: list[NotifyConfig] = Field(default_factory=list)
    """Apprise targets new items are pushed to (issue 15)."""
    stories: StoriesConfig = StoriesConfig()
    """Grouping of one story's items across hot lists (issue 15)."""

    @field_validator("filters")
    @classmethod
    def _filter_groups(cls, value: str | None) -> str | None:
        if value is not None:
            parse_filters(value)
        return value


@dataclass(frozen=True, slots=True)
class Retention:
    """How long a source's posts stay in the outputs (the archive keeps them)."""

    keep_days: int | None = None
    keep_per_channel: int | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a run needs, resolved: absolute paths, validated sources."""

    path: Path
    database: Path
    timezone: str
    hexo_dir: Path | None
    site_dir: Path | None
    site: SiteConfig
    fetch: FetchConfig
    sources: tuple[SourceSpec, ...]
    rsshub: str = "https://rsshub.app"
    retention: dict[str, Retention] = field(default_factory=dict)
    """Per source key; only sources with a limit (their own or the global one) appear."""
    catalog_labels: dict[str, str] = field(default_factory=dict)
    images: ImageOptions = field(default_factory=ImageOptions)
    media_dir: Path | None = None
    """Where downloaded images are kept (``<database stem>-media`` beside the archive)."""
    notify: tuple[NotifyTarget, ...] = ()
    stories: StoriesConfig = field(default_factory=StoriesConfig)


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


# --- resolution -------------------------------------------------------------------------


def _check_zone(name: str, path: Path, line: int | None, key: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown timezone {name!r} (use an IANA name such as Asia/Shanghai)",
            path=path,
            line=line,
            key=key,
        ) from None
    return name


def _check_base(url: str, path: Path, line: int | None, key: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(
            f"expected an http(s) URL such as https://rsshub.app (got {url!r})",
            path=path,
            line=line,
            key=key,
        )
    return url.rstrip("/")


# Archives hotpress can open, by URL scheme; a plain path is an SQLite file.
ARCHIVE_SCHEMES: tuple[str, ...] = ()
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+)://")


def _check_database(value: str, path: Path, line: int | None) -> str:
    """Refuse an archive URL (``postgresql://…``) rather than make a file of that name."""
    match = _URL_SCHEME.match(value)
    if match and match.group(1).lower() not in ARCHIVE_SCHEMES:
        known = ", ".join(f"{s}://" for s in ARCHIVE_SCHEMES) or "none yet"
        raise ConfigError(
            f"cannot open an archive at a {match.group(1)}:// URL: database takes the path of"
            f" an SQLite file such as hotpress.db (known URL schemes: {known})",
            path=path,
            line=line,
            key="database",
        )
    return value


def _iter_sources(model: ConfigModel) -> Iterator[tuple[int, SourceConfig]]:
    yield from enumerate(model.sources)


def _resolve(model: ConfigModel, path: Path, lines: dict[Loc, int]) -> Settings:
    folder = path.resolve().parent
    problems: list[ConfigError] = []
    tz, rsshub = model.timezone, model.rsshub.rstrip("/")
    try:
        tz = _check_zone(model.timezone, path, lines.get(("timezone",)), "timezone")
    except ConfigError as exc:
        problems.append(exc)
    try:
        rsshub = _check_base(model.rsshub, path, lines.get(("rsshub",)), "rsshub")
    except ConfigError as exc:
        problems.append(exc)
    try:
        _check_database(model.database, path, lines.get(("database",)))
    except ConfigError as exc:
        problems.append(exc)
    specs: list[SourceSpec] = []
    seen: dict[str, int] = {}
    retention: dict[str, Retention] = {}
    for i, src in _iter_sources(model):
        try:
            spec = _resolve_source(i, src, model, path, lines, folder, tz, rsshub, seen)
        except ConfigError as exc:
            problems.append(exc)
            continue
        specs.append(spec)
        keep = Retention(
            keep_days=src.keep_days or model.keep_days,
            keep_per_channel=src.keep_per_channel or model.keep_per_channel,
        )
        if keep != Retention():
            retention[spec.key] = keep
    images: ImageOptions | None = None
    try:
        images = _image_options(model, path, lines)
    except ConfigError as exc:
        problems.append(exc)
    notify: tuple[NotifyTarget, ...] = ()
    try:
        notify = _notify_targets(model, path, lines, seen)
    except ConfigError as exc:
        problems.append(exc)
    if problems:
        raise ConfigProblems(problems)
    assert images is not None
    database = folder / model.database
    return Settings(
        notify=notify,
        stories=model.stories,
        path=path,
        database=database,
        timezone=tz,
        hexo_dir=folder / model.output.hexo if model.output.hexo else None,
        site_dir=folder / model.output.site if model.output.site else None,
        site=model.site,
        fetch=model.fetch,
        sources=tuple(specs),
        rsshub=rsshub,
        retention=retention,
        catalog_labels=dict(model.catalog_labels),
        images=images,
        media_dir=database.parent / f"{database.stem}-media",
    )


def _image_options(model: ConfigModel, path: Path, lines: dict[Loc, int]) -> ImageOptions:
    proxy = model.image_proxy
    if proxy is not None and (
        "{url}" not in proxy or urlsplit(proxy).scheme not in {"http", "https"}
    ):
        raise ConfigError(
            f"expected an http(s) URL holding {{url}}, e.g. https://proxy.example/?url={{url}}"
            f" (got {proxy!r})",
            path=path,
            line=lines.get(("image_proxy",)),
            key="image_proxy",
        )
    return ImageOptions(
        mode=model.images,
        referers=tuple(model.image_referers.items()),
        proxy=proxy,
        max_image_bytes=int(model.image_max_mb * 1024 * 1024),
        max_item_bytes=int(model.item_images_max_mb * 1024 * 1024),
        allow_private=model.private_hosts,
    )


def base_url(url: str, source_key: str) -> str | None:
    """The RSSHub instance a route source is fetched from (``None`` for a ``url:`` source)."""
    if source_key.startswith("/") and url.endswith(source_key):
        return url[: -len(source_key)]
    return None


_DURATION = re.compile(r"(\d+)\s*([mhd]?)")
_UNIT_MINUTES = {"": 1, "m": 1, "h": 60, "d": 24 * 60}


def parse_minutes(value: int | str) -> int | None:
    """``90``, ``"90"``, ``"30m"``, ``"6h"``, ``"2d"`` as minutes; ``None`` if unreadable."""
    if isinstance(value, int):
        return value if value > 0 else None
    match = _DURATION.fullmatch(value.strip().lower())
    if match is None or int(match.group(1)) <= 0:
        return None
    return int(match.group(1)) * _UNIT_MINUTES[match.group(2)]


def _fulltext_spec(value: bool | FulltextConfig) -> FulltextSpec | None:
    if value is True:
        return FulltextSpec()
    if isinstance(value, FulltextConfig):
        return FulltextSpec(shorter_than=value.shorter_than)
    return None


def _expand_spec(
    conf: ExpandConfig, rsshub: str | None, path: Path, loc: Loc, lines: dict[Loc, int]
) -> ExpandSpec:
    key = _dotted(loc + ("expand",))

    def fail(message: str, field: str) -> ConfigError:
        return ConfigError(
            message,
            path=path,
            line=_line_for(loc + ("expand", field), lines),
            key=f"{key}.{field}",
        )

    try:
        pattern = re.compile(conf.link)
    except re.error as exc:
        raise fail(f"not a valid regular expression: {exc}", "link") from None
    if (conf.route is None) == (conf.url is None):
        raise fail("expand needs exactly one of `route:` or `url:` (a template)", "link")
    if conf.route is not None:
        if rsshub is None:
            raise fail("`route:` needs a route source (use `url:` for a url source)", "route")
        route = conf.route if conf.route.startswith("/") else "/" + conf.route
        field, template = "route", rsshub + route
    else:
        assert conf.url is not None
        field, template = "url", conf.url
    if urlsplit(template).scheme not in {"http", "https"}:
        raise fail(f"expected an http(s) URL template (got {template!r})", field)
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise fail(f"bad template: {exc}", field) from None
    missing = sorted(names - set(pattern.groupindex))
    if missing:
        raise fail(
            f"the template uses {{{missing[0]}}}, which is not a named group of `link:`"
            " (write (?P<name>...))",
            field,
        )
    minutes = parse_minutes(conf.refresh)
    if minutes is None:
        raise fail(f"expected minutes or a duration such as 6h (got {conf.refresh!r})", "refresh")
    return ExpandSpec(link=conf.link, url=template, entry=conf.entry, refresh_minutes=minutes)


def _resolve_source(
    i: int,
    src: SourceConfig,
    model: ConfigModel,
    path: Path,
    lines: dict[Loc, int],
    folder: Path,
    tz: str,
    rsshub: str,
    seen: dict[str, int],
) -> SourceSpec:
    """One source as a SourceSpec; a ConfigError naming its line when it is wrong."""
    loc: Loc = ("sources", i)
    line = _line_for(loc, lines)
    key = _dotted(loc)
    if (src.route is None) == (src.url is None):
        raise ConfigError(
            "a source needs exactly one of `route:` (an RSSHub route) or `url:`",
            path=path,
            line=line,
            key=key,
        )
    if src.route is not None:
        route = src.route if src.route.startswith("/") else "/" + src.route
        base = (
            _check_base(src.rsshub, path, _line_for(loc + ("rsshub",), lines), key + ".rsshub")
            if src.rsshub
            else rsshub
        )
        url, source_key = base + route, route
    else:
        assert src.url is not None
        url = _resolve_url(src.url, folder)
        source_key = src.url
    if source_key in seen:
        raise ConfigError(
            f"duplicate source {source_key!r} (already at sources[{seen[source_key]}])",
            path=path,
            line=line,
            key=key,
        )
    seen[source_key] = i
    if (src.digest or src.heat) and not src.hotlist:
        raise ConfigError(
            "`digest:` and `heat:` need `hotlist: true` on the source",
            path=path,
            line=line,
            key=key,
        )
    zone = (
        _check_zone(src.timezone, path, _line_for(loc + ("timezone",), lines), key + ".timezone")
        if src.timezone
        else tz
    )
    author = src.author or (src.category[1] if len(src.category) > 1 else src.category[0])
    expand = (
        _expand_spec(src.expand, base_url(url, source_key), path, loc, lines)
        if src.expand is not None
        else None
    )
    fulltext = _fulltext_spec(src.fulltext)
    if fulltext is not None and expand is not None:
        raise ConfigError(
            "use either `expand:` (a second feed) or `fulltext:` (the article), not both",
            path=path,
            line=_line_for(loc + ("fulltext",), lines),
            key=key + ".fulltext",
        )
    return SourceSpec(
        key=source_key,
        category=tuple(src.category),
        url=url,
        author=author,
        timezone=zone,
        interval_minutes=src.interval or model.interval,
        expand=expand,
        fulltext=fulltext,
        hotlist=src.hotlist,
        heat=src.heat,
        digest=src.digest,
        filters=tuple(f for f in (model.filters, src.filters) if f),
    )


def _notify_targets(
    model: ConfigModel, path: Path, lines: dict[Loc, int], keys: dict[str, int]
) -> tuple[NotifyTarget, ...]:
    targets = []
    for i, target in enumerate(model.notify):
        loc: Loc = ("notify", i)
        if plugin_limit(target.url) is None:
            raise ConfigError(
                "not an Apprise URL this installation knows (see Apprise's list of services)",
                path=path,
                line=_line_for(loc + ("url",), lines),
                key=_dotted(loc + ("url",)),
            )
        unknown = [key for key in target.sources or () if key not in keys]
        if unknown:
            raise ConfigError(
                f"no such source {unknown[0]!r} (a source's `route:` or `url:`)",
                path=path,
                line=_line_for(loc + ("sources",), lines),
                key=_dotted(loc + ("sources",)),
            )
        sources = tuple(target.sources) if target.sources is not None else None
        targets.append(NotifyTarget(target.url, target.filters, sources))
    return tuple(targets)


def _resolve_url(url: str, folder: Path) -> str:
    """An http(s) URL stays; anything else is a local file relative to the config's folder."""
    scheme = urlsplit(url).scheme
    if scheme in {"http", "https"}:
        return url
    if scheme == "file":
        return url
    return str((folder / url).resolve())
