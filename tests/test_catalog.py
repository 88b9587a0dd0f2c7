"""The RSSHub route catalog, served from a real local HTTP server with RSSHub's real
``/api/namespace`` response (the corpus)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from feedserver import FeedServer, Reply
from hotpress import cli
from hotpress._catalog import (
    CATEGORY_LABELS,
    CatalogError,
    fetch_catalog,
    find_route,
    parse_namespaces,
    search,
)

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def namespace_json(corpora: Path) -> bytes:
    return (corpora / "rsshub" / "api_namespace.json").read_bytes()


@pytest.fixture
def rsshub(feed_server: FeedServer, namespace_json: bytes) -> str:
    feed_server.route(
        "/api/namespace",
        Reply(body=namespace_json, headers={"Content-Type": "application/json; charset=utf-8"}),
    )
    return feed_server.url("/").rstrip("/")


def test_zhihu_hot_comes_out_as_the_seed_category_path(rsshub: str) -> None:
    with httpx.Client() as client:
        routes = fetch_catalog(rsshub, client)
    found = find_route(routes, "/zhihu/hot")
    assert found is not None
    assert found.category_path == "社交媒体 / 知乎 / 知乎热榜"


def test_the_catalog_lists_every_route_of_the_response(namespace_json: bytes) -> None:
    data = json.loads(namespace_json)
    routes = parse_namespaces(data)
    assert len(routes) == sum(len(ns["routes"]) for ns in data.values()) == 3905
    assert len({r.pattern for r in routes}) == len(routes)


def test_every_category_key_in_the_response_has_a_chinese_label(namespace_json: bytes) -> None:
    data = json.loads(namespace_json)
    keys = {k for ns in data.values() for k in ns.get("categories", [])}
    keys |= {
        k for ns in data.values() for r in ns["routes"].values() for k in r.get("categories", [])
    }
    assert len(keys) >= 20
    missing = sorted(k for k in keys if k not in CATEGORY_LABELS)
    assert missing == []
    assert all(CJK.search(CATEGORY_LABELS[k]) for k in keys)
    assert CATEGORY_LABELS["programming"] == "编程" and CATEGORY_LABELS["new-media"] == "新媒体"
    # every route's first level is a label, never a raw key
    assert all(CJK.search(r.category[0]) for r in parse_namespaces(data))


def test_a_route_without_categories_falls_back_to_its_namespace_then_other() -> None:
    data = {
        "a": {
            "name": "甲",
            "categories": ["blog"],
            "routes": {"/x": {"name": "X", "example": "/a/x"}},
        },
        "b": {"name": "乙", "routes": {"/y": {"name": "Y", "example": "/b/y"}}},
        "c": {"name": "丙", "routes": {"/z": {"name": "Z", "categories": ["popular", "game"]}}},
    }
    paths = {r.route: r.category_path for r in parse_namespaces(data)}
    assert paths == {"/a/x": "博客 / 甲 / X", "/b/y": "其他 / 乙 / Y", "/c/z": "游戏 / 丙 / Z"}


def test_config_labels_override_the_builtin_ones(namespace_json: bytes) -> None:
    routes = parse_namespaces(json.loads(namespace_json), {"social-media": "社交"})
    found = find_route(routes, "/zhihu/hot")
    assert found is not None and found.category == ("社交", "知乎", "知乎热榜")


def test_a_route_with_parameters_is_found_through_its_pattern(namespace_json: bytes) -> None:
    routes = parse_namespaces(json.loads(namespace_json))
    found = find_route(routes, "/zhihu/hot/digital")
    assert found is not None and found.pattern == "/zhihu/hot/:category?"
    assert find_route(routes, "/zhihu/no/such/route/here") is None


def test_search_matches_route_and_category_path(namespace_json: bytes) -> None:
    routes = parse_namespaces(json.loads(namespace_json))
    hits = search(routes, "知乎热榜")
    assert "/zhihu/hot" in {r.route for r in hits}
    assert all("知乎热榜" in r.category_path or "知乎热榜" in r.route for r in hits)
    assert len(search(routes, "programming")) > 100  # a category key matches its routes


def test_catalog_command_prints_json(rsshub: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["catalog", "--rsshub", rsshub, "--search", "/zhihu/hot", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    hot = next(r for r in rows if r["route"] == "/zhihu/hot")
    assert hot["category"] == ["社交媒体", "知乎", "知乎热榜"]


def test_catalog_command_prints_a_table(
    rsshub: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert cli.main(["catalog", "--rsshub", rsshub, "--search", "知乎热榜"]) == 0
    assert "社交媒体 / 知乎 / 知乎热榜" in capsys.readouterr().out


def test_an_unreachable_rsshub_is_a_clean_error(closed_port: int) -> None:
    assert cli.main(["catalog", "-q", "--rsshub", f"http://127.0.0.1:{closed_port}"]) == 1


def test_a_response_that_is_not_json_is_a_catalog_error(feed_server: FeedServer) -> None:
    feed_server.route("/api/namespace", Reply(body=b"<html>nope</html>"))
    with httpx.Client() as client, pytest.raises(CatalogError, match="not JSON"):
        fetch_catalog(feed_server.url("/"), client)
