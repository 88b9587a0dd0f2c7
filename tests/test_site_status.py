"""The optional /status/ page: `hotpress sources` published with the site, secrets masked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import html

from feedserver import FeedServer, Reply
from hotpress import cli
from hotpress._site.status import public_text, public_url

RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>one</title><guid>1</guid><link>https://example.com/1</link></item>"
    b"<item><title>two</title><guid>2</guid><link>https://example.com/2</link></item>"
    b"</channel></rss>"
)
SECRET = "s3cr3t-Value"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://rsshub.example/zhihu/hot", "https://rsshub.example/zhihu/hot"),
        (
            f"https://rsshub.example/zhihu/hot?key={SECRET}&limit=10",
            "https://rsshub.example/zhihu/hot?key=***&limit=10",
        ),
        (f"https://r.example/a?code={SECRET}", "https://r.example/a?code=***"),
        (f"https://r.example/a?access_token={SECRET}#x", "https://r.example/a?access_token=***#x"),
        (f"https://r.example/a?apiKey={SECRET}&q=知乎", "https://r.example/a?apiKey=***&q=知乎"),
        (f"https://bob:{SECRET}@r.example:8443/a", "https://***@r.example:8443/a"),
        ("https://r.example/a?key=", "https://r.example/a?key="),
        ("https://r.example/a?page=2&sort=new", "https://r.example/a?page=2&sort=new"),
        ("feeds/local.xml", "feeds/local.xml"),
    ],
)
def test_public_url_masks_what_could_be_a_secret(url: str, shown: str) -> None:
    assert public_url(url) == shown
    assert public_text(f"GET {url} failed") == f"GET {shown} failed"


def test_public_text_masks_urls_inside_error_messages() -> None:
    text = f"HTTP 403 for https://u:{SECRET}@r.example/x?token={SECRET}&x=1 (see 'a?pass={SECRET}')"
    masked = public_text(text)
    assert SECRET not in masked
    assert masked == "HTTP 403 for https://***@r.example/x?token=***&x=1 (see 'a?pass=***')"


@pytest.fixture
def config(tmp_path: Path, feed_server: FeedServer) -> Path:
    ok = Reply(body=RSS, headers={"Content-Type": "application/rss+xml"})
    feed_server.route("/good", ok, ok, Reply(status=500))  # the third fetch fails
    feed_server.route("/gone", Reply(status=404))
    base = feed_server.url("/").rstrip("/")
    path = tmp_path / "hotpress.yml"
    path.write_text(
        f"rsshub: {base}\noutput:\n  site: public\n"
        "site:\n  url: https://news.example.com\n  status: true\n"
        "fetch:\n  retries: 0\n"
        "sources:\n"
        f"  - category: [社交媒体, 知乎, 知乎热榜]\n    url: {base}/good?key={SECRET}\n"
        "  - category: [a, gone]\n    route: /gone\n",
        encoding="utf-8",
    )
    return path


def rows(page: Path) -> list[list[str]]:
    tree = html.parse(str(page))
    return [[cell.text_content() for cell in tr.iter("td")] for tr in tree.iter("tr")][1:]


def test_run_publishes_the_sources_table_with_secrets_masked(config: Path) -> None:
    assert cli.main(["run", "-q", "-c", str(config)]) == 0  # /gone failed, not every source
    # A source added since: the next build shows it as never fetched.
    with config.open("a", encoding="utf-8") as f:
        f.write("  - category: [b, later]\n    route: /later\n")
    assert cli.main(["build", "-q", "-c", str(config)]) == 0
    site = config.parent / "public"
    page = site / "status" / "index.html"
    table = rows(page)
    # Failing first, then never fetched, then ok; config order within each.
    assert [r[0].split()[0] for r in table] == ["失败", "未抓取", "正常"]
    failing, new, ok = table
    assert failing[1] == "a / gone" and "404" in failing[0] and "HTTP 404" in failing[8]
    assert new[1] == "b / later" and new[3:6] == ["—", "—", "—"]
    assert ok[1] == "社交媒体 / 知乎 / 知乎热榜" and ok[6:8] == ["2", "2"]
    assert ok[2].endswith("/good?key=***")
    text = page.read_text(encoding="utf-8")
    assert "noindex" in text and "正常 1 · 失败 1 · 未抓取 1" in text
    # Dates are <time> elements for the browser's relative dates, in the site's zone.
    stamp = html.parse(str(page)).find(".//time")
    assert stamp is not None and stamp.get("datetime", "").endswith("+08:00")

    data = json.loads((site / "status" / "index.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in data["sources"]] == ["ok", "failing", "new"]
    assert data["as_of"] == max(r["last_attempt"] or "" for r in data["sources"])
    assert data["sources"][0]["url"].endswith("/good?key=***")
    assert data["sources"][1]["last_error"].startswith("HTTP 404")

    # The secret is nowhere in the public site; the footer links the page on every page.
    for file in site.rglob("*"):
        if file.is_file():
            assert SECRET.encode() not in file.read_bytes(), file
    home = html.parse(str(site / "index.html"))
    assert "/status/" in [a.get("href") for a in home.iter("a")]


def test_a_build_rewrites_the_status_page_only_when_a_source_changed(config: Path) -> None:
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    page = config.parent / "public" / "status" / "index.html"
    stamp = page.stat().st_mtime_ns
    assert cli.main(["build", "-q", "-c", str(config)]) == 0
    assert page.stat().st_mtime_ns == stamp  # same data, same bytes: not rewritten
    assert cli.main(["run", "-q", "-c", str(config)]) == 0  # /good: 200 again, no new item
    second = page.read_bytes()
    assert cli.main(["run", "-q", "-c", str(config)]) == 1  # /good now 500: every source failed
    assert [r[0].split()[0] for r in rows(page)] == ["失败", "失败"]
    assert "HTTP 500" in page.read_text(encoding="utf-8") and page.read_bytes() != second


def test_the_status_page_is_off_by_default(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.route("/good", Reply(body=RSS, headers={"Content-Type": "application/rss+xml"}))
    config = tmp_path / "hotpress.yml"
    config.write_text(
        f"rsshub: {feed_server.url('/').rstrip('/')}\noutput:\n  site: public\n"
        "sources:\n  - category: [a, b]\n    route: /good\n",
        encoding="utf-8",
    )
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    site = tmp_path / "public"
    assert (site / "index.html").is_file() and not (site / "status").exists()
    assert b"/status/" not in (site / "index.html").read_bytes()


def test_a_local_file_source_shows_its_configured_path_not_the_machine_s(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "here.xml").write_bytes(RSS)
    config = tmp_path / "hotpress.yml"
    config.write_text(
        "output:\n  site: public\nsite:\n  status: true\nsources:\n"
        "  - category: [a, here]\n    url: feeds/here.xml\n"
        "  - category: [a, gone]\n    url: feeds/missing.xml\n",
        encoding="utf-8",
    )
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    status = tmp_path / "public" / "status"
    table = rows(status / "index.html")
    assert [(r[0].split()[0], r[2]) for r in table] == [
        ("失败", "feeds/missing.xml"),
        ("正常", "feeds/here.xml"),
    ]
    assert "feeds/missing.xml" in table[0][8]
    for name in ("index.html", "index.json"):
        assert str(tmp_path).encode() not in (status / name).read_bytes()
