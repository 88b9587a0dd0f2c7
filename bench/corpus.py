"""A generated corpus shaped like examples/feeds: Chinese HTML bodies (~4 KB) with images,
RSS 2.0 (CDATA and escaped), Atom (xml:base, relative links), JSON Feed, every tenth feed GBK.

Deterministic (seeded), written once under the bench cache and reused.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

from bench.common import CACHE

# Common characters (all in GBK) so GBK feeds encode without loss.
_HANZI = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过"
    "子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制"
    "机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正"
    "心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党"
    "程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角"
    "期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压"
    "志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万"
    "每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林"
)
_PUNCT = "，。、；：“”！？"
_TITLE_WORDS = ["发布", "融资", "新品", "政策", "报告", "市场", "科技", "数据", "热议", "回应"]


@dataclass(frozen=True)
class FeedFile:
    name: str
    kind: str
    """rss, atom or json."""
    content_type: str
    encoding: str


def _sentence(rng: random.Random, length: int) -> str:
    chars = [rng.choice(_HANZI) for _ in range(length)]
    for pos in range(rng.randint(6, 14), length, rng.randint(8, 16)):
        chars[pos] = rng.choice(_PUNCT)
    return "".join(chars) + "。"


def _body(rng: random.Random, feed: int, item: int) -> str:
    """About 4 KB of HTML: paragraphs, bold, a link, two images (one relative)."""
    parts = [f"<h2>{_sentence(rng, 14)}</h2>"]
    size = 0
    while size < 3600:
        text = _sentence(rng, rng.randint(60, 140))
        size += len(text.encode()) + 7
        parts.append(f"<p>{text}</p>")
    parts.insert(
        2, f'<p><img src="https://pic{feed % 7}.example.com/{feed}/{item}.jpg" alt="图"></p>'
    )
    parts.insert(4, f'<p><b>{_sentence(rng, 10)}</b><a href="/news/{item}">阅读原文</a></p>')
    parts.insert(6, f'<p><img src="/img/{feed}-{item}.png"></p>')
    if item % 5 == 0:  # things the sanitizer must remove
        parts.append('<script>track()</script><p style="color:red" onclick="x()">广告</p>')
    return "".join(parts)


def _title(rng: random.Random, feed: int, item: int) -> str:
    return f"{_sentence(rng, rng.randint(10, 24))[:-1]}{rng.choice(_TITLE_WORDS)} {feed}-{item}"


def _rss(rng: random.Random, feed: int, items: int, start: datetime, encoding: str) -> str:
    site = f"https://news{feed}.example.cn"
    out = [
        f'<?xml version="1.0" encoding="{encoding}"?>',
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>',
        f"<title>测试源 {feed}</title><link>{site}/</link><description>生成的测试源</description>",
        "<ttl>5</ttl>",
    ]
    for i in range(items):
        date = format_datetime((start - timedelta(minutes=7 * i)).astimezone(_CST))
        body = _body(rng, feed, i)
        # Half the feeds escape their HTML (RSSHub style), half wrap it in CDATA.
        desc = escape(body, quote=False) if feed % 2 else f"<![CDATA[{body}]]>"
        out.append(
            f"<item><title>{escape(_title(rng, feed, i))}</title><link>{site}/a/{i}</link>"
            f"<description>{desc}</description><pubDate>{date}</pubDate>"
            f'<guid isPermaLink="false">{site}/a/{i}</guid></item>'
        )
    out.append("</channel></rss>")
    return "\n".join(out)


def _atom(rng: random.Random, feed: int, items: int, start: datetime) -> str:
    site = f"https://blog{feed}.example.cn/"
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{site}">',
        f'<title>博客 {feed}</title><link href="{site}" rel="alternate"/><id>{site}</id>',
        f"<updated>{start.isoformat()}</updated>",
    ]
    for i in range(items):
        when = (start - timedelta(minutes=11 * i)).astimezone(_CST).isoformat()
        out.append(
            f'<entry><title type="html">{escape(_title(rng, feed, i))}</title>'
            f'<link href="post/{i}" rel="alternate"/><id>{site}post/{i}</id>'
            f"<published>{when}</published><updated>{when}</updated>"
            f"<author><name>作者{i % 9}</name></author>"
            f'<content type="html">{escape(_body(rng, feed, i))}</content></entry>'
        )
    out.append("</feed>")
    return "\n".join(out)


def _json(rng: random.Random, feed: int, items: int, start: datetime) -> str:
    site = f"https://flash{feed}.example.cn"
    entries = [
        {
            "id": f"{site}/n/{i}",
            "url": f"{site}/n/{i}",
            "title": _title(rng, feed, i),
            "content_html": _body(rng, feed, i),
            "date_published": (start - timedelta(minutes=5 * i)).astimezone(_CST).isoformat(),
            "authors": [{"name": f"快讯{feed}"}],
        }
        for i in range(items)
    ]
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": f"快讯 {feed}",
        "home_page_url": site,
        "items": entries,
    }
    return json.dumps(doc, ensure_ascii=False, indent=1)


_CST = __import__("zoneinfo").ZoneInfo("Asia/Shanghai")
_START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def render_feed(feed: int, items: int, *, salt: int = 0) -> tuple[FeedFile, bytes]:
    """Feed number ``feed`` (its format follows its number); ``salt`` makes other items."""
    rng = random.Random(feed * 1_000_003 + salt)
    start = _START - timedelta(hours=feed) + timedelta(days=salt)
    kind = ("rss", "rss", "rss", "rss", "rss", "rss", "atom", "atom", "json", "json")[feed % 10]
    if kind == "rss":
        encoding = "GBK" if feed % 10 == 5 else "UTF-8"
        text = _rss(rng, feed, items, start, encoding)
        data = text.encode("gbk" if encoding == "GBK" else "utf-8")
        ctype = "application/rss+xml" + ("" if encoding == "GBK" else "; charset=utf-8")
        return FeedFile(f"feed-{feed:04d}.xml", kind, ctype, encoding), data
    if kind == "atom":
        text = _atom(rng, feed, items, start)
        return FeedFile(f"feed-{feed:04d}.atom", kind, "application/atom+xml", "utf-8"), (
            text.encode()
        )
    text = _json(rng, feed, items, start)
    return FeedFile(f"feed-{feed:04d}.json", kind, "application/feed+json", "utf-8"), (
        text.encode()
    )


def corpus(feeds: int, items: int) -> tuple[Path, list[FeedFile]]:
    """The corpus folder and its files, generated on first use."""
    folder = CACHE / f"corpus-{feeds}x{items}"
    manifest = folder / "manifest.json"
    if manifest.is_file():
        rows = json.loads(manifest.read_text())
        return folder, [FeedFile(**row) for row in rows]
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for feed in range(feeds):
        info, data = render_feed(feed, items)
        (folder / info.name).write_bytes(data)
        files.append(info)
    manifest.write_text(json.dumps([f.__dict__ for f in files]))
    return folder, files


def describe(folder: Path, files: list[FeedFile], items: int) -> str:
    size = sum((folder / f.name).stat().st_size for f in files)
    kinds = {k: sum(1 for f in files if f.kind == k) for k in ("rss", "atom", "json")}
    gbk = sum(1 for f in files if f.encoding == "GBK")
    return (
        f"{len(files)} feeds × {items} items = {len(files) * items:,} items, "
        f"{size / 1e6:.1f} MB ({kinds['rss']} RSS of which {gbk} GBK, {kinds['atom']} Atom, "
        f"{kinds['json']} JSON Feed; ~{size / max(1, len(files) * items) / 1000:.1f} KB per item)"
    )
