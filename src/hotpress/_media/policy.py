"""Pure decisions about images: which URLs a body holds, which Referer a host wants, which
hosts may be asked at all, and how a body points at local copies or a proxy."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import quote, urlsplit

from hotpress._fetch.hosts import is_private, may_fetch

__all__ = [
    "BUILTIN_REFERERS",
    "best_srcset",
    "image_urls",
    "is_private",
    "may_fetch",
    "proxied",
    "referer_for",
    "rewrite_images",
]

BUILTIN_REFERERS: dict[str, str] = {
    # Chinese image hosts refuse a foreign Referer (hotlink protection); their own site's is
    # accepted (shared/reference/zhihu-routes.md).
    "zhimg.com": "https://www.zhihu.com/",
    "sinaimg.cn": "https://weibo.com/",
    "hdslb.com": "https://www.bilibili.com/",
    "doubanio.com": "https://www.douban.com/",
    "jianshu.io": "https://www.jianshu.com/",
    "byteimg.com": "https://juejin.cn/",
    "36krcdn.com": "https://36kr.com/",
    "cdnjson.com": "https://www.jinse.cn/",
}

_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r'\s([a-zA-Z-]+)="([^"]*)"')
_DESCRIPTOR = re.compile(r"^(\d+(?:\.\d+)?)([wx])$")


def referer_for(url: str, table: Mapping[str, str]) -> str | None:
    """The Referer to send for an image: the longest host suffix of ``table`` that matches
    (``zhimg.com`` matches ``pic1.zhimg.com``); ``None``: send none."""
    host = (urlsplit(url).hostname or "").lower()
    best: tuple[int, str] | None = None
    for suffix, referer in table.items():
        suffix = suffix.lower().lstrip(".")
        if (host == suffix or host.endswith("." + suffix)) and (
            best is None or len(suffix) > best[0]
        ):
            best = (len(suffix), referer)
    return None if best is None else best[1]


def _attrs(tag: str) -> dict[str, str]:
    return {name.lower(): html.unescape(value) for name, value in _ATTR.findall(tag)}


def best_srcset(srcset: str) -> str | None:
    """The largest candidate of a ``srcset`` (by width, else density)."""
    best: tuple[float, str] | None = None
    for candidate in srcset.split(","):
        parts = candidate.split()
        if not parts:
            continue
        score = 1.0
        if len(parts) > 1 and (match := _DESCRIPTOR.match(parts[1])):
            score = float(match.group(1)) * (1.0 if match.group(2) == "w" else 10_000.0)
        if best is None or score > best[0]:
            best = (score, parts[0])
    return None if best is None else best[1]


def _web(url: str | None) -> bool:
    return url is not None and url.startswith(("http://", "https://"))


def image_urls(body: str) -> list[str]:
    """Every image of a sanitized body, in order, once: ``src`` and the best ``srcset``
    candidate (absolute http(s) only: the sanitizer resolved relative ones)."""
    found: dict[str, None] = {}
    for tag in _IMG.findall(body):
        attrs = _attrs(tag)
        for url in (attrs.get("src"), best_srcset(attrs.get("srcset", ""))):
            if _web(url):
                assert url is not None
                found[url] = None
    return list(found)


def rewrite_images(body: str, local: Callable[[str], str | None]) -> str:
    """``body`` with each ``<img>`` pointing at ``local(url)`` when it has one: the best
    ``srcset`` candidate first, else ``src``; a rewritten image loses its ``srcset`` (the
    local copy is the one picture). Images without a local copy are left as they are."""

    def one(match: re.Match[str]) -> str:
        tag = match.group(0)
        attrs = _attrs(tag)
        target = None
        for url in (best_srcset(attrs.get("srcset", "")), attrs.get("src")):
            if url and (target := local(url)) is not None:
                break
        if target is None:
            return tag
        tag = re.sub(r'\ssrcset="[^"]*"', "", tag)
        value = html.escape(target, quote=True)
        if re.search(r'\ssrc="[^"]*"', tag):
            return re.sub(r'\ssrc="[^"]*"', lambda _: f' src="{value}"', tag, count=1)
        return tag[:4] + f' src="{value}"' + tag[4:]

    return _IMG.sub(one, body)


def proxied(url: str, template: str) -> str:
    """A remote ``http://`` image through the user's proxy (``…?url={url}``); https stays."""
    if not url.startswith("http://"):
        return url
    return template.replace("{url}", quote(url, safe=""))


def hosts(urls: Iterable[str]) -> set[str]:
    return {(urlsplit(url).hostname or "").lower() for url in urls}
