"""The starter config of `hotpress init` uses routes that exist in today's RSSHub."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import yaml

from hotpress._expand import expansion_url
from hotpress.config import parse_settings


def route_patterns(catalog: dict[str, dict[str, object]]) -> list[re.Pattern[str]]:
    patterns = []
    for namespace, entry in catalog.items():
        routes = entry.get("routes", {})
        assert isinstance(routes, dict)
        for path in routes:
            regex = ""
            for part in path.strip("/").split("/"):
                if not part:
                    continue
                if part.startswith(":"):
                    regex += "(/[^/]+)?" if part.endswith("?") else "/[^/]+"
                else:
                    regex += "/" + re.escape(part)
            patterns.append(re.compile(f"/{re.escape(namespace)}{regex}/?"))
    return patterns


def test_every_starter_route_matches_a_route_of_the_rsshub_catalog(corpora: Path) -> None:
    catalog = json.loads((corpora / "rsshub" / "api_namespace.json").read_text(encoding="utf-8"))
    patterns = route_patterns(catalog)
    text = resources.files("hotpress").joinpath("data/starter.yml").read_text(encoding="utf-8")
    sources = yaml.safe_load(text)["sources"]
    assert len(sources) >= 14
    missing = [s["route"] for s in sources if not any(p.fullmatch(s["route"]) for p in patterns)]
    assert missing == []
    assert not any(p.fullmatch("/zhihu/hotlist") for p in patterns)  # the old route is gone


def test_the_starter_expands_the_zhihu_hot_list_through_a_catalog_route(
    corpora: Path, tmp_path: Path
) -> None:
    catalog = json.loads((corpora / "rsshub" / "api_namespace.json").read_text(encoding="utf-8"))
    patterns = route_patterns(catalog)
    text = resources.files("hotpress").joinpath("data/starter.yml").read_text(encoding="utf-8")
    assert "ZHIHU_COOKIES" in text
    (hot,) = [s for s in parse_settings(text, tmp_path / "h.yml").sources if s.key == "/zhihu/hot"]
    assert hot.expand is not None
    assert hot.expand.refresh_minutes == 6 * 60
    link = "https://www.zhihu.com/question/1234567890123456789"
    url = expansion_url(hot.expand, link)
    assert url == "https://rsshub.app/zhihu/question/1234567890123456789"
    assert any(p.fullmatch(url.removeprefix("https://rsshub.app")) for p in patterns)
