"""The validated model checked further (routes, paths, zones, URLs) into ``Settings``."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hotpress._config_models import (
    ConfigModel,
    ExpandConfig,
    FulltextConfig,
    Retention,
    Settings,
    SourceConfig,
)
from hotpress._config_problems import ConfigProblems
from hotpress._config_problems import dotted as _dotted
from hotpress._config_problems import line_for as _line_for
from hotpress._config_yaml import Loc
from hotpress._notify import NotifyTarget, plugin_limit
from hotpress.exceptions import ConfigError
from hotpress.types import ExpandSpec, FulltextSpec, ImageOptions, SourceSpec

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
ARCHIVE_SCHEMES: tuple[str, ...] = ("postgresql", "postgres")
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+)://")


def _check_database(value: str, path: Path, line: int | None) -> str:
    """Refuse an archive URL hotpress cannot open (``mysql://…``) rather than make a file of
    that name; ``postgresql://`` (and ``postgres://``) name a PostgreSQL archive."""
    match = _URL_SCHEME.match(value)
    if match and match.group(1).lower() not in ARCHIVE_SCHEMES:
        known = ", ".join(f"{s}://" for s in ARCHIVE_SCHEMES) or "none yet"
        raise ConfigError(
            f"cannot open an archive at a {match.group(1)}:// URL: database takes the path of"
            f" an SQLite file such as hotpress.db or a URL of a known scheme ({known})",
            path=path,
            line=line,
            key="database",
        )
    return value


BROKER_SCHEMES = ("amqp", "amqps", "pyamqp", "redis", "rediss")


def _check_broker(value: str, path: Path, line: int | None) -> str:
    """A broker URL Celery can use: RabbitMQ (``amqp://``) or Redis (``redis://``)."""
    parts = urlsplit(value)
    problem = None
    if parts.scheme.lower() not in BROKER_SCHEMES:
        problem = f"unknown scheme {parts.scheme or value!r} (amqp or redis)"
    elif not parts.hostname:
        problem = "it names no host"
    else:
        try:
            parts.port  # noqa: B018 - urlsplit checks the port only when asked
        except ValueError:
            problem = "its port is not a number"
    if problem is not None:
        raise ConfigError(
            f"expected a broker URL such as amqp://guest:guest@127.0.0.1:5672// (RabbitMQ) or"
            f" redis://127.0.0.1:6379/0 (got {value!r}: {problem})",
            path=path,
            line=line,
            key="broker",
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
    if model.broker is not None:
        try:
            _check_broker(model.broker, path, lines.get(("broker",)))
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
    database: Path | str
    if _URL_SCHEME.match(model.database):
        # A server's archive: the images it keeps locally go beside the config.
        database, media_dir = model.database, folder / "hotpress-media"
    else:
        database = folder / model.database
        media_dir = database.parent / f"{database.stem}-media"
    return Settings(
        notify=notify,
        stories=model.stories,
        broker=model.broker,
        broker_visibility_timeout=model.broker_visibility_timeout,
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
        media_dir=media_dir,
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
