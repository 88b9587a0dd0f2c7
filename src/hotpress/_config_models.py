"""The config's shape: pydantic models of the YAML, and the resolved ``Settings``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hotpress._filters import parse_filters
from hotpress._hot.ranks import check_heat
from hotpress._hot.similar import DEFAULT_THRESHOLD
from hotpress._notify import NotifyTarget
from hotpress.types import ImageOptions, SourceSpec

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
    read_workers: int | None = Field(default=None, ge=0, le=64)
    """Worker processes beside this one that parse and sanitize the bodies of a large round,
    then write a share of many Hexo posts (``None``: one per core beyond the first, at most
    4; ``0``: all in this process)."""


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
    broker: str | None = None
    """A Celery broker (``amqp://…`` RabbitMQ, ``redis://…``): refresh on ``hotpress worker``
    processes, ``watch`` schedules (issue 16)."""
    broker_visibility_timeout: int = Field(default=360, ge=1, le=24 * 3600)
    """Redis brokers: seconds a task handed to a worker may stay unacknowledged before Redis
    hands it out again (a worker killed mid-task). Longer than a task runs (5 min at most),
    or a running task is handed out twice (its lease still stores it once). RabbitMQ hands a
    dead worker's task out again at once and ignores this."""
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
    database: Path | str
    """The SQLite file, or a ``postgresql://`` URL (a string) of a server's archive."""
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
    """Where downloaded images are kept (``<database stem>-media`` beside an SQLite archive,
    ``hotpress-media`` beside the config for a PostgreSQL one)."""
    notify: tuple[NotifyTarget, ...] = ()
    stories: StoriesConfig = field(default_factory=StoriesConfig)
    broker: str | None = None
    """Distributed refresh on Celery workers (``None``: in this process)."""
    broker_visibility_timeout: int = 360
    """A Redis broker's redelivery of an unacknowledged task, in seconds."""
