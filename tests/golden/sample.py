"""A small sample archive for the site tests, built through the real storage API.

Items go through the same normalisation the pipeline applies (identity, sanitize_html,
first_image, content hash), so the site sees exactly what a real run stores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hotpress._normalize.identity import content_hash, item_identity
from hotpress._normalize.sanitize import first_image, sanitize_html
from hotpress._storage.sqlite import SQLiteStorage
from hotpress.config import Settings, SiteConfig, parse_settings
from hotpress.types import FetchResult, Item, SourceSpec, Validators

START = datetime(2024, 1, 30, 8, 0, tzinfo=UTC)

_TZ = "Asia/Shanghai"
SOURCES = (
    SourceSpec("/zhihu/hot", ("社交媒体", "知乎", "知乎热榜"), "https://r.test/zh", "知乎", _TZ),
    SourceSpec(
        "/weibo/search/hot", ("社交媒体", "微博", "微博热搜"), "https://r.test/wb", "微博", _TZ
    ),
    SourceSpec("/github/trending", ("Tech", "GitHub Trending"), "https://r.test/gh", "GitHub", _TZ),
)

BODIES = (
    "<p>人工智能大模型在医疗影像诊断中的应用越来越广泛。</p>"
    '<p><img src="https://pic.test/a.jpg" alt="图"> 研究团队表示准确率显著提升。</p>',
    "<p>今日北京天气晴朗，气温回升，适合户外踏青。</p><p>Weekend <b>travel</b> tips.</p>",
    '<p>A Rust library for fast <a href="https://example.com/x">static sites</a>.</p>',
    "<p>新能源汽车销量连续三个月增长，充电桩建设加速推进。</p>",
)


def make_item(
    spec: SourceSpec,
    n: int,
    *,
    title: str | None = None,
    body: str | None = None,
    published: datetime | None = None,
) -> Item:
    raw = body if body is not None else BODIES[n % len(BODIES)]
    content = sanitize_html(raw, "https://origin.test/")
    title = title if title is not None else f"{spec.category[-1]} 第{n}条：热点新闻"
    link = f"https://origin.test/{spec.key.strip('/').replace('/', '-')}/{n}"
    date = published if published is not None else START + timedelta(hours=7 * n)
    cover = first_image(content)
    return Item(
        source_key=spec.key,
        identity=item_identity(spec.key, guid=link, link=link, title=title, content=content),
        title=title,
        content=content,
        link=link,
        guid=link,
        published=date,
        author=None,
        cover=cover,
        content_hash=content_hash(
            title=title, content=content, link=link, published=date, author=None, cover=cover
        ),
    )


def store(storage: SQLiteStorage, spec: SourceSpec, items: Sequence[Item]) -> None:
    result = FetchResult(spec.key, spec.url, 200, b"", "application/rss+xml", Validators(), 0.1)
    storage.save_fetch(spec.key, result, items, now=START, error=None, next_due=None)


def sample_archive(path: Path) -> SQLiteStorage:
    """3 sources, 3 category levels, 14 items over two months; per_page 4 in the settings."""
    storage = SQLiteStorage(path)
    storage.sync_sources(SOURCES)
    for index, spec in enumerate(SOURCES):
        count = (6, 5, 3)[index]
        store(storage, spec, [make_item(spec, n * 3 + index) for n in range(count)])
    return storage


def sample_settings(folder: Path, **site: object) -> Settings:
    """Settings whose site goes to ``folder/public`` and archive to ``folder/hotpress.db``."""
    text = (
        "database: hotpress.db\noutput:\n  site: public\nsite:\n  title: 小冰 RSSHub\n"
        "  url: https://news.example.com\n  per_page: 4\n"
    )
    settings = parse_settings(text, folder / "hotpress.yml")
    config = settings.site.model_copy(update=site) if site else settings.site
    assert isinstance(config, SiteConfig)
    return replace(settings, site=config, sources=SOURCES)
