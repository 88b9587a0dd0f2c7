"""``hotpress serve``: the built site over loopback HTTP, rebuilt when the archive changes."""

from __future__ import annotations

from pathlib import Path

import httpx

from golden.sample import SOURCES, make_item, sample_archive, sample_settings, store
from hotpress._site.urls import item_file
from hotpress._storage.sqlite import SQLiteStorage
from serving import serving


def test_serve_answers_on_a_free_port_and_rebuilds_when_an_item_is_added(
    tmp_path: Path,
) -> None:
    sample_archive(tmp_path / "hotpress.db").close()
    settings = sample_settings(tmp_path)
    with serving(settings) as (base, builds):
        assert base.startswith("http://127.0.0.1:")
        assert builds.get(timeout=5).error is None
        home = httpx.get(base, timeout=5)
        assert home.status_code == 200 and "小冰 RSSHub" in home.text
        missing = httpx.get(base + "no/such/page/", timeout=5)
        assert missing.status_code == 404 and "找不到这个页面" in missing.text
        added = make_item(SOURCES[2], 40, body="<p>服务预览里新加的一条。</p>")
        assert httpx.get(base + item_file(added.identity), timeout=5).status_code == 404
        storage = SQLiteStorage(settings.database)
        try:
            store(storage, SOURCES[2], [added])
        finally:
            storage.close()
        report = builds.get(timeout=30)
        assert report.error is None and report.written > 0
        page = httpx.get(base + item_file(added.identity), timeout=5)
        assert page.status_code == 200 and "服务预览里新加的一条" in page.text
        assert added.title in httpx.get(base, timeout=5).text
