"""Search quality in a real browser: phrases, single characters, ranking, marked snippets,
category and date filters, paging through a common term (headless Chromium, no network)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from conftest import skip_or_fail
from golden.sample import SOURCES, START, make_item, sample_settings, store
from hotpress._site import build_site, search
from hotpress._site.serve import make_server
from hotpress._storage.sqlite import SQLiteStorage
from test_site_browser import ARGS, CHROMIUM, SHOTS, Watched

ZHIHU, WEIBO, GITHUB = SOURCES
ITEMS = (
    # (source, day, title, body)
    (ZHIHU, 1, "芯片产业新闻", "<p>无关的内容。</p>"),
    (WEIBO, 5, "普通的标题", "<p>据报道，芯片短缺仍在持续，多家厂商表示关注。</p>"),
    (ZHIHU, 3, "芯片出口数据", "<p>同比增长。</p>"),
    (WEIBO, 2, "散落的词", "<p>发布了新品。布会一词。会议在下午。</p>"),
    (ZHIHU, 4, "完整的词", "<p>今天的发布会议很长。</p>"),
    (GITHUB, 6, "猫的日常", "<p>Daily life of a cat.</p>"),
    (GITHUB, 7, "Rust weekly", "<p>New Rust release notes.</p>"),
)
COMMON = 45
"""Items holding a common word, more than one page of results."""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CHROMIUM).is_file():
        skip_or_fail("chromium not installed (apt-get install chromium)")
    pytest.importorskip("playwright")
    folder = tmp_path_factory.mktemp("search")
    storage = SQLiteStorage(folder / "hotpress.db")
    storage.sync_sources(SOURCES)
    for n, (spec, day, title, body) in enumerate(ITEMS):
        date = START + timedelta(days=day)
        store(storage, spec, [make_item(spec, n, title=title, body=body, published=date)])
    common = [
        make_item(GITHUB, 100 + n, title=f"周报 {n}", body="<p>常见词汇</p>", published=START)
        for n in range(COMMON)
    ]
    store(storage, GITHUB, common)
    settings = sample_settings(folder)
    assert build_site(settings, storage).error is None
    storage.close()
    assert (folder / "public" / search.FOLDER / "index.json").is_file()
    server = make_server(folder / "public", "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host!s}:{port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(site: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()


def _search(browser: Any, site: str, query: str, **filters: str) -> tuple[Watched, list[str]]:
    watched = Watched(browser, 1280)
    page = watched.page
    params = "&".join(f"{k}={quote(v)}" for k, v in {"q": query, **filters}.items())
    page.goto(f"{site}/search/?{params}")
    page.wait_for_function(
        "() => { const s = document.querySelector('#search .status').textContent;"
        " return s && s !== '搜索中…'; }",
        timeout=10_000,
    )
    titles = page.locator("a.search-result").all_inner_texts()
    return watched, titles


def _done(watched: Watched) -> None:
    assert watched.errors == [] and watched.scripts_out == []
    watched.context.close()


def test_a_phrase_matches_the_phrase_not_its_bigrams_scattered(browser: Any, site: str) -> None:
    watched, titles = _search(browser, site, "发布会议")
    assert titles == ["完整的词"]
    _done(watched)


def test_title_matches_come_first_then_newer_items(browser: Any, site: str) -> None:
    watched, titles = _search(browser, site, "芯片")
    assert titles == ["芯片出口数据", "芯片产业新闻", "普通的标题"]
    page = watched.page
    assert page.locator(".results li").nth(0).locator("a mark").inner_text() == "芯片"
    snippet = page.locator(".results li").nth(2).locator(".snippet")
    assert snippet.locator("mark").inner_text() == "芯片"
    assert "芯片短缺" in snippet.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "search-desktop.png"), full_page=True)
    _done(watched)


def test_a_single_character_finds_titles(browser: Any, site: str) -> None:
    watched, titles = _search(browser, site, "猫")
    assert titles == ["猫的日常"]
    _done(watched)


def test_latin_and_mixed_queries(browser: Any, site: str) -> None:
    watched, titles = _search(browser, site, "RUST")
    assert titles == ["Rust weekly"]
    _done(watched)
    watched, titles = _search(browser, site, "芯片 短缺")
    assert titles == ["普通的标题"]
    _done(watched)


def test_category_and_date_filters(browser: Any, site: str) -> None:
    watched, titles = _search(browser, site, "芯片", c="社交媒体 / 知乎")
    assert titles == ["芯片出口数据", "芯片产业新闻"]
    assert watched.page.locator("select[name=c]").input_value() == "社交媒体 / 知乎"
    _done(watched)
    day = (START + timedelta(days=3)).astimezone(search_zone()).strftime("%Y-%m-%d")
    watched, titles = _search(browser, site, "芯片", to=day)
    assert titles == ["芯片出口数据", "芯片产业新闻"]
    _done(watched)
    watched, titles = _search(browser, site, "芯片", **{"from": day})
    assert titles == ["芯片出口数据", "普通的标题"]
    _done(watched)


def test_the_category_list_is_read_only_when_the_reader_goes_to_the_filter(
    browser: Any, site: str
) -> None:
    watched = Watched(browser, 1280)
    page = watched.page
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto(f"{site}/search/?q={quote('芯片')}")
    page.wait_for_function("() => document.querySelectorAll('a.search-result').length === 3")
    page.wait_for_load_state("networkidle")
    assert not [u for u in asked if "/cats.bin" in u], "a query alone needs no category list"
    select = page.locator("select[name=c]")
    assert select.locator("option").count() == 1
    select.focus()
    page.wait_for_function("() => document.querySelector('select[name=c]').options.length > 1")
    options = select.locator("option").all_inner_texts()
    assert {"社交媒体", "社交媒体 / 知乎", "社交媒体 / 微博"} <= set(options)
    select.select_option("社交媒体 / 知乎")
    page.wait_for_function("() => document.querySelectorAll('a.search-result').length === 2")
    titles = page.locator("a.search-result").all_inner_texts()
    assert titles == ["芯片出口数据", "芯片产业新闻"]
    _done(watched)


def test_typing_a_query_then_enter_searches_once(browser: Any, site: str) -> None:
    watched = Watched(browser, 1280)
    page = watched.page
    asked: list[str] = []
    page.goto(f"{site}/search/")
    page.wait_for_load_state("networkidle")
    page.on("request", lambda r: asked.append(r.url))

    def slow(route: Any) -> None:  # the index arrives after the typing delay (150 ms)
        time.sleep(0.4)
        route.continue_()

    page.route("**/search-index/index.json*", slow)
    page.fill("#search input[name=q]", "芯片")
    page.press("#search input[name=q]", "Enter")
    page.wait_for_function("() => document.querySelectorAll('a.search-result').length === 3")
    page.wait_for_timeout(400)  # past the typing delay (150 ms) of a second search
    page.wait_for_load_state("networkidle")
    assert len([u for u in asked if "/index.json" in u]) == 1
    assert len(asked) == len(set(asked)), "no file is read twice"
    _done(watched)


def test_a_common_word_shows_a_page_and_loads_more(browser: Any, site: str) -> None:
    watched, titles = _search(browser, site, "常见")
    assert len(titles) == 20
    page = watched.page
    more = page.locator("button.more")
    more.click()
    page.wait_for_function("() => document.querySelectorAll('a.search-result').length > 20")
    more.click()
    page.wait_for_function(
        f"() => document.querySelectorAll('a.search-result').length === {COMMON}"
    )
    assert more.is_hidden()
    _done(watched)


def search_zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


def test_an_unreadable_index_file_is_reported_on_the_page(browser: Any, site: str) -> None:
    watched = Watched(browser, 390)
    watched.context.route("**/search-index/b/**", lambda route: route.fulfill(status=500))
    page = watched.page
    page.goto(f"{site}/search/?q={quote('芯片')}")
    status = page.locator("#search .status")
    page.wait_for_function(
        "() => document.querySelector('#search .status').textContent.startsWith('搜索索引无法读取')"
    )
    assert "/search-index/b/" in status.inner_text()
    assert page.locator("a.search-result").count() == 0
    assert [e for e in watched.errors if "500" not in e] == []
    watched.context.close()


@pytest.fixture(scope="module")
def crowded(site: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A site whose phrase `甲乙丙` is in the 3 oldest items while each of its bigrams is in
    30–40 newer ones, indexed with heads of 8 postings and one item per record file: the
    candidates of one bigram can only be told apart by the further postings of the other."""
    from hotpress._site import searchindex

    folder = tmp_path_factory.mktemp("crowded")
    storage = SQLiteStorage(folder / "hotpress.db")
    storage.sync_sources(SOURCES)
    bodies = (
        ["<p>旧闻：甲乙丙同在。</p>"] * 3 + ["<p>只有甲乙。</p>"] * 30 + ["<p>只有乙丙。</p>"] * 40
    )
    for n, body in enumerate(bodies):
        date = START + timedelta(hours=n)
        store(storage, ZHIHU, [make_item(ZHIHU, n, title=f"第{n}条", body=body, published=date)])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "PAGE", 8)
        patch.setattr(search, "MORE", 64)
        patch.setattr(searchindex, "DOCS", 1)
        assert build_site(sample_settings(folder), storage).error is None
    storage.close()
    server = make_server(folder / "public", "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host!s}:{port}"
    server.shutdown()
    server.server_close()


def test_a_phrase_of_common_bigrams_reads_the_other_bigrams_postings_not_every_record(
    browser: Any, crowded: str
) -> None:
    watched = Watched(browser, 1280)
    asked: list[str] = []
    watched.page.on("request", lambda r: asked.append(r.url))
    watched.page.goto(f"{crowded}/search/?q={quote('甲乙丙')}")
    watched.page.wait_for_function(
        "() => document.querySelectorAll('a.search-result').length === 3"
    )
    watched.page.wait_for_load_state("networkidle")
    titles = watched.page.locator("a.search-result").all_inner_texts()
    assert titles == ["第2条", "第1条", "第0条"]
    assert len([u for u in asked if "/search-index/docs/" in u]) == 3, "no record is read in vain"
    assert any("/search-index/b/more/" in u for u in asked)
    _done(watched)


def test_a_file_that_failed_is_asked_for_again_by_the_next_search(browser: Any, site: str) -> None:
    watched = Watched(browser, 1280)
    failures: list[str] = []

    def once(route: Any) -> None:
        if failures:
            route.continue_()
        else:
            failures.append(route.request.url)
            route.fulfill(status=503)

    watched.context.route("**/search-index/b/**", once)
    page = watched.page
    page.goto(f"{site}/search/?q={quote('芯片')}")
    page.wait_for_function(
        "() => document.querySelector('#search .status').textContent.startsWith('搜索索引无法读取')"
    )
    page.press("#search input[name=q]", "Enter")
    page.wait_for_function("() => document.querySelectorAll('a.search-result').length === 3")
    assert len(failures) == 1
    assert [e for e in watched.errors if "503" not in e] == []
    watched.context.close()
