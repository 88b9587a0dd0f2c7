"""A site like the original one: real Hexo 8 with hexo-abbrlink (permalink ``p/:abbrlink.html``)
and hotpress writing into its ``source/_posts``.

hexo-abbrlink writes ``abbrlink:`` into every post on the first ``hexo generate`` (through
js-yaml, in its own layout); a site owner may set one by hand (URLs kept from an older site).
When hotpress rewrites the posts (an edited item, ``publish --force``), every post must keep its
abbrlink, so its URL, and Hexo must leave the file alone afterwards.
"""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import REPO
from hexo_themes.sites import HERE, generate, make_site
from hotpress.cli import main
from test_hexo_real import _hexo_modules, _node_ok

pytestmark = pytest.mark.network_peer

FEED = "feeds/36kr-newsflashes.json"
OLD_TITLE = "某新能源车企 1 月交付量同比增长 120%"
NEW_TITLE = "某新能源车企 1 月交付量同比增长 125%（更正）"


def _urls(pages: list[dict[str, object]]) -> dict[str, tuple[object, object]]:
    return {str(p["source"]): (p["abbrlink"], p["path"]) for p in pages}


def test_abbrlinks_and_urls_survive_an_edited_item_and_publish_force(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    _node_ok()
    modules = _hexo_modules(HERE)
    root = tmp_path_factory.mktemp("hexo-abbrlink")
    site = make_site(root, modules, "landscape", "site", permalink="p/:abbrlink.html")
    shutil.copytree(REPO / "examples" / "feeds", root / "feeds")
    config = (REPO / "examples" / "hotpress.yml").read_text("utf-8")
    config = config.replace("hexo: blog/source/_posts", "hexo: site/source/_posts")
    (root / "hotpress.yml").write_text(config.replace("  site: public\n", ""), encoding="utf-8")
    assert main(["run", "-q", "-c", str(root / "hotpress.yml")]) == 0

    _, first = generate(site, modules)
    posts = site / "source"
    assert all(p["abbrlink"] for p in first) and len(first) == 14
    assert all(b"\nabbrlink: " in (posts / p["source"]).read_bytes() for p in first)
    # One URL kept by hand from an older site.
    kept = next(p for p in first if "知乎热榜" in p["source"])
    path = posts / kept["source"]
    path.write_bytes(
        path.read_bytes().replace(f"abbrlink: {kept['abbrlink']}".encode(), b"abbrlink: 4242")
    )
    _, before = generate(site, modules)
    assert _urls(before)[kept["source"]] == ("4242", "p/4242.html")

    # An item edited at its source (a new title would give hexo-abbrlink a new number), then
    # every post rewritten.
    feed = root / FEED
    feed.write_text(feed.read_text("utf-8").replace(OLD_TITLE, NEW_TITLE), encoding="utf-8")
    assert main(["run", "-q", "-c", str(root / "hotpress.yml")]) == 0
    edited = next(p for p in before if "36kr" in p["source"] and "120" in p["source"])
    assert NEW_TITLE.encode() in (posts / edited["source"]).read_bytes()
    assert main(["publish", "--force", "-q", "-c", str(root / "hotpress.yml")]) == 0
    rewritten = {p["source"]: (posts / p["source"]).read_bytes() for p in before}
    assert all(data.startswith(b"\n---\ntitle: ") for data in rewritten.values())

    log, after = generate(site, modules)
    assert _urls(after) == _urls(before)
    assert "Generate link" not in log  # hexo-abbrlink found every abbrlink in place
    # ...and left hotpress's files as they were.
    assert {p["source"]: (posts / p["source"]).read_bytes() for p in after} == rewritten
    titles = {p["source"]: p["title"] for p in after}
    assert titles[edited["source"]] == NEW_TITLE
    assert json.loads((site / "public" / "hotpress-pages.json").read_text("utf-8")) == after
