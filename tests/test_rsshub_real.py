"""A real RSSHub (the pinned npm build, on 127.0.0.1) ingested through `hotpress run`.

Every offline test route is configured three times, as RSS, Atom and JSON Feed; the archive
must hold the same items for all three. Where RSSHub's own three renderings differ, the test
says so and why (see ``_text`` and ``test_dates_agree_across_formats``).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import lxml.html
import pytest
from lxml import etree

from hotpress import cli
from hotpress._storage import SQLiteStorage
from rsshub_peer import fixture_rsshub  # noqa: F401  (the `rsshub` fixture)

pytestmark = pytest.mark.network_peer

ROUTES = ("1", "complicated", "multimedia", "enclosure", "sort", "mess", "long")
FORMATS = {"rss": "", "atom": "?format=atom", "json": "?format=json"}
FAILING = "/test/error"  # RSSHub answers 503 with "Error: Error test" in its error page


@dataclass(frozen=True)
class Stored:
    title: str
    link: str | None
    guid: str | None
    published: datetime | None
    text: str
    author: str | None


@dataclass(frozen=True)
class Ingested:
    items: dict[str, dict[str, list[Stored]]]
    """route -> format -> items in feed order."""
    exit_code: int
    output: str
    sources: dict[str, dict[str, object]]
    """``hotpress sources --json`` rows by key."""
    posts: int
    started: datetime


def _text(html: str) -> str:
    """What a reader sees of a body: its text, whitespace collapsed."""
    if not html.strip():
        return ""
    return " ".join(lxml.html.fromstring(f"<div>{html}</div>").text_content().split())


@pytest.fixture(scope="module")
def ingested(rsshub: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingested]:
    folder = tmp_path_factory.mktemp("rsshub-run")
    # One local RSSHub: no politeness pause between its routes.
    lines = [
        f"rsshub: {rsshub}\noutput:\n  hexo: posts\n"
        "fetch:\n  timeout: 20\n  per_host: 8\n  min_host_interval: 0\nsources:\n"
    ]
    for route in ROUTES:
        for name, query in FORMATS.items():
            lines.append(
                f'  - category: [测试, "{route}", {name}]\n    route: "/test/{route}{query}"\n'
            )
    lines.append(f"  - category: [测试, error]\n    route: {FAILING}\n")
    config = folder / "hotpress.yml"
    config.write_text("".join(lines), encoding="utf-8")
    started = datetime.now(UTC)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["run", "-c", str(config)])
    sources_out = io.StringIO()
    with contextlib.redirect_stdout(sources_out):
        assert cli.main(["sources", "--json", "-c", str(config)]) == 0
    rows = {row["key"]: row for row in json.loads(sources_out.getvalue())}
    items: dict[str, dict[str, list[Stored]]] = {}
    with SQLiteStorage(folder / "hotpress.db") as store:
        for stored in sorted(store.iter_items(newest_first=False), key=lambda i: i.id):
            path, _, query = stored.source_key.partition("?")
            fmt = {v.lstrip("?"): k for k, v in FORMATS.items()}[query]
            items.setdefault(path, {}).setdefault(fmt, []).append(
                Stored(
                    title=stored.title,
                    link=stored.link,
                    guid=stored.guid,
                    published=None if stored.date_is_fallback else stored.date,
                    text=_text(stored.content),
                    author=stored.author,
                )
            )
    yield Ingested(
        items=items,
        exit_code=code,
        output=out.getvalue(),
        sources=rows,
        posts=len(list((folder / "posts").rglob("*.md"))),
        started=started,
    )


def test_every_route_is_ingested_in_all_three_formats(ingested: Ingested) -> None:
    assert ingested.exit_code == 0, ingested.output
    assert f"{len(ROUTES) * 3} ok, 1 failed" in ingested.output
    assert set(ingested.items) == {f"/test/{r}" for r in ROUTES}
    for route, formats in ingested.items.items():
        assert set(formats) == set(FORMATS), route
        assert len({len(v) for v in formats.values()}) == 1, route
    total = sum(len(v) for f in ingested.items.values() for v in f.values())
    assert ingested.posts == total > 3 * 30


@pytest.mark.parametrize("route", ROUTES)
def test_titles_links_and_ids_agree_across_formats(ingested: Ingested, route: str) -> None:
    formats = ingested.items[f"/test/{route}"]
    expected = [(s.title, s.link, s.guid) for s in formats["rss"]]
    assert all(title and link for title, link, _ in expected)
    for name in ("atom", "json"):
        assert [(s.title, s.link, s.guid) for s in formats[name]] == expected, name


@pytest.mark.parametrize("route", ROUTES)
def test_dates_agree_across_formats(ingested: Ingested, route: str) -> None:
    formats = ingested.items[f"/test/{route}"]
    rss = [s.published for s in formats["rss"]]
    assert [s.published for s in formats["json"]] == rss
    for dated, atom in zip(rss, (s.published for s in formats["atom"]), strict=True):
        if dated is not None:
            assert atom == dated
        else:
            # An item without a date: RSS and JSON Feed leave it out, but an Atom entry must
            # have <updated>, so RSSHub writes the time it rendered the feed.
            assert atom is not None
            assert abs(atom - ingested.started) < timedelta(minutes=2)


@pytest.mark.parametrize("route", ROUTES)
def test_content_text_agrees_across_formats(ingested: Ingested, route: str) -> None:
    formats = ingested.items[f"/test/{route}"]
    for rss, atom, feed in zip(formats["rss"], formats["atom"], formats["json"], strict=True):
        assert atom.text == rss.text
        if rss.text:
            assert feed.text == rss.text
        else:
            # JSON Feed needs content_html or content_text: RSSHub fills an empty
            # description with the title there.
            assert feed.text in ("", rss.title)


@pytest.mark.parametrize("route", ROUTES)
def test_the_stored_text_is_what_rsshub_sent(ingested: Ingested, rsshub: str, route: str) -> None:
    # Read RSSHub's RSS independently (lxml on the raw bytes) and compare with the archive.
    raw = httpx.get(f"{rsshub}/test/{route}", timeout=20).content
    sent: dict[str, tuple[str, str]] = {}
    for node in etree.fromstring(raw).iter("item"):
        guid = node.findtext("guid") or node.findtext("link") or ""
        body = node.findtext("description") or ""
        sent.setdefault(guid, (node.findtext("title") or "", _text(body)))
    stored = {s.guid: (s.title, s.text) for s in ingested.items[f"/test/{route}"]["rss"]}
    assert stored.keys() == sent.keys()
    for guid, (title, text) in sent.items():
        assert stored[guid][1] == text, guid
        assert stored[guid][0] == (title or guid), guid  # an empty title falls back to the link


def test_a_503_route_is_a_failing_source(ingested: Ingested) -> None:
    row = ingested.sources[FAILING]
    assert row["status"] == "failing"
    assert row["last_status"] == 503
    assert row["items_total"] == 0
    assert "503" in str(row["last_error"])
    assert f"failed {FAILING}" in ingested.output


def test_a_503_route_records_rsshubs_error_message(ingested: Ingested) -> None:
    error = str(ingested.sources[FAILING]["last_error"])
    assert "Error test" in error
    assert "Error test" in ingested.output


def test_the_real_rsshub_catalog_gives_the_seed_category_path(
    rsshub: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["catalog", "--rsshub", rsshub, "--json", "--search", "知乎热榜"]) == 0
    rows = json.loads(capsys.readouterr().out)
    zhihu = [r for r in rows if r["route"] == "/zhihu/hot"]
    assert zhihu and zhihu[0]["category"] == ["社交媒体", "知乎", "知乎热榜"]
