"""The catalog of RSSHub routes: ``/api/namespace`` -> routes with a category path.

A category path is ``<category label> / <namespace name> / <route name>``, the same three
levels the old system took from RSSHub's documentation headings: ``/zhihu/hot`` becomes
``社交媒体 / 知乎 / 知乎热榜``. The labels are the Chinese group names of RSSHub's own docs
(their sidebar); the config's ``catalog_labels:`` may override any of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from hotpress._fetch.errors import describe_network_error
from hotpress._fetch.headers import status_message
from hotpress.exceptions import CatalogError

# The Chinese names RSSHub's documentation gives its route groups (docs sidebar, zh locale).
CATEGORY_LABELS: Mapping[str, str] = {
    "popular": "热门",
    "social-media": "社交媒体",
    "new-media": "新媒体",
    "traditional-media": "传统媒体",
    "bbs": "论坛",
    "blog": "博客",
    "programming": "编程",
    "design": "设计",
    "live": "直播",
    "multimedia": "音视频",
    "picture": "图片",
    "anime": "二次元",
    "program-update": "程序更新",
    "university": "大学通知",
    "forecast": "预报预警",
    "travel": "出行旅游",
    "shopping": "购物",
    "game": "游戏",
    "reading": "阅读",
    "government": "政务消息",
    "study": "学习",
    "journal": "科学期刊",
    "finance": "金融",
    "sport": "体育",
    "other": "其他",
}
FALLBACK_CATEGORY = "other"


@dataclass(frozen=True, slots=True)
class CatalogRoute:
    """One RSSHub route, ready to become a source."""

    route: str
    """A concrete route to subscribe to: the route's ``example`` (``/zhihu/hot``)."""
    pattern: str
    """The route's path pattern with its namespace (``/zhihu/hot/:category?``)."""
    namespace: str
    category_key: str
    category: tuple[str, str, str]
    """Label / namespace name / route name."""
    needs_config: tuple[str, ...] = ()
    """Environment variables the RSSHub instance needs for this route (cookies, keys)."""

    @property
    def category_path(self) -> str:
        return " / ".join(self.category)


def _category_key(route: Mapping[str, Any], namespace: Mapping[str, Any]) -> str:
    # "popular" is a cross-cutting tag, not a home: prefer the route's own group.
    for source in (route.get("categories"), namespace.get("categories")):
        keys = [k for k in source or () if isinstance(k, str) and k != "popular"]
        if keys:
            return keys[0]
    return FALLBACK_CATEGORY


def _needs_config(route: Mapping[str, Any]) -> tuple[str, ...]:
    features = route.get("features")
    required = features.get("requireConfig") if isinstance(features, Mapping) else None
    if not isinstance(required, list):
        return ()
    return tuple(
        str(r["name"])
        for r in required
        if isinstance(r, Mapping) and r.get("name") and not r.get("optional")
    )


_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
"""Controls but the whitespace ones: a NUL in a level split it in two on the site."""


def _clean(text: object, fallback: str) -> str:
    """A category level from RSSHub's answer: controls dropped, whitespace collapsed."""
    for value in (text, fallback):
        cleaned = " ".join(_CONTROLS.sub("", str(value or "")).split())
        if cleaned:
            return cleaned
    return "?"


def parse_namespaces(data: object, labels: Mapping[str, str] | None = None) -> list[CatalogRoute]:
    """Every route of an ``/api/namespace`` response, in the response's order."""
    if not isinstance(data, Mapping):
        raise CatalogError("/api/namespace did not return a JSON object of namespaces")
    names = {**CATEGORY_LABELS, **(labels or {})}
    out: list[CatalogRoute] = []
    for ns_key, namespace in data.items():
        if not isinstance(namespace, Mapping):
            continue
        routes = namespace.get("routes")
        if not isinstance(routes, Mapping):
            continue
        ns_name = _clean(namespace.get("name"), str(ns_key))
        for path, route in routes.items():
            if not isinstance(route, Mapping):
                continue
            pattern = f"/{ns_key}{path if str(path).startswith('/') else '/' + str(path)}"
            example = route.get("example")
            concrete = example if isinstance(example, str) and example.startswith("/") else None
            key = _category_key(route, namespace)
            out.append(
                CatalogRoute(
                    route=concrete or pattern,
                    pattern=pattern,
                    namespace=str(ns_key),
                    category_key=key,
                    category=(
                        _clean(names.get(key, key), FALLBACK_CATEGORY),
                        ns_name,
                        _clean(route.get("name"), str(path)),
                    ),
                    needs_config=_needs_config(route),
                )
            )
    return out


def fetch_catalog(
    rsshub: str, client: httpx.Client, labels: Mapping[str, str] | None = None
) -> list[CatalogRoute]:
    """Ask an RSSHub instance for its routes (``GET <rsshub>/api/namespace``)."""
    url = rsshub.rstrip("/") + "/api/namespace"
    try:
        response = client.get(url)
        response.raise_for_status()
        data = response.json()
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        raise CatalogError(f"{url}: {status_message(status, exc.response.reason_phrase)}") from exc
    except (httpx.HTTPError, OSError) as exc:
        # The same words as a source's fetch failing the same way.
        raise CatalogError(f"{url}: {describe_network_error(exc)}") from exc
    except ValueError as exc:
        raise CatalogError(f"{url}: not JSON ({exc})") from exc
    return parse_namespaces(data, labels)


def search(routes: Iterable[CatalogRoute], word: str) -> list[CatalogRoute]:
    """Routes whose route, pattern or category path contains ``word`` (any case)."""
    needle = word.casefold().strip()
    return [
        r
        for r in routes
        if needle in r.route.casefold()
        or needle in r.pattern.casefold()
        or needle in r.category_path.casefold()
        or needle == r.category_key
    ]


_PARAM = re.compile(r":(\w+)(\{[^/]*\})?(\?)?")


def _pattern_regex(pattern: str) -> re.Pattern[str] | None:
    """Hono-style ``/a/:b?/*`` as a regex (a constraint ``{…}`` counts as any segment)."""
    parts: list[str] = []
    for segment in pattern.strip("/").split("/"):
        match = _PARAM.fullmatch(segment)
        if segment == "*":
            parts.append(r"(?:/.*)?")
        elif match:
            greedy = match.group(2) in {"{.+}", "{.*}"}
            body = r"/.+" if greedy else r"/[^/]+"
            parts.append(f"(?:{body})?" if match.group(3) else body)
        else:
            parts.append("/" + re.escape(segment))
    try:
        return re.compile("".join(parts))
    except re.error:
        return None


def find_route(routes: Iterable[CatalogRoute], route: str) -> CatalogRoute | None:
    """The catalog entry for a concrete route: its example first, else a matching pattern."""
    wanted = "/" + route.split("?", 1)[0].strip("/")
    candidates = list(routes)
    for r in candidates:
        if r.route == wanted:
            return r
    for r in candidates:
        if not wanted.startswith(f"/{r.namespace}/") and wanted != f"/{r.namespace}":
            continue
        regex = _pattern_regex(r.pattern)
        if regex is not None and regex.fullmatch(wanted):
            return r
    return None
