"""``images: local`` in a real Hexo 8 site: the copies in ``source/media/`` are published by
``hexo generate`` and the posts Hexo reads point at them (body images, headimg, thumbnail).
Needs Node and npm (see tests/test_hexo_real.py)."""

from __future__ import annotations

import hashlib
import json
import shutil
from html import escape
from pathlib import Path

import pytest

from feedserver import FeedServer, Reply
from hotpress import cli
from imagehost import REFERER, picture, serve_images
from test_hexo_real import CHECK, _generate, _hexo_modules, _node_ok

pytestmark = pytest.mark.network_peer


def test_hexo_publishes_the_local_images_and_the_posts_point_at_them(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    _node_ok()
    modules = _hexo_modules()
    site = tmp_path / "hexo"
    shutil.copytree(CHECK / "site", site)
    shutil.copy(CHECK / "package.json", site / "package.json")
    (site / "node_modules").symlink_to(modules)
    images = serve_images(feed_server)
    body = f'<p>图</p><img src="{images["jpg"]}"><img src="{images["svg"]}">'
    feed_server.route(
        "/feed.xml",
        Reply(
            body=(
                '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t'
                "</title><item><title>有图的帖子</title><link>https://example.com/1</link>"
                f"<description>{escape(body)}</description>"
                "<pubDate>Mon, 15 Jan 2024 02:30:00 GMT</pubDate></item></channel></rss>"
            ).encode()
        ),
    )
    config = site / "hotpress.yml"
    config.write_text(
        "database: archive.db\noutput:\n  hexo: source/_posts\nimages: local\n"
        f"image_referers:\n  127.0.0.1: '{REFERER}'\n"
        f"sources:\n  - category: [图片, 测试]\n    url: {feed_server.url('/feed.xml')}\n",
        encoding="utf-8",
    )
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    done = _generate(site, modules)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    (post,) = json.loads((site / "public" / "hotpress-check.json").read_text("utf-8"))
    digest = hashlib.sha256(picture("JPEG")).hexdigest()
    image = f"/media/{digest[:2]}/{digest}.jpg"
    thumb = f"/media/thumbs/{digest[:2]}/{digest}.jpg"
    assert f'<img src="{image}" referrerpolicy="no-referrer">' in post["content"]
    assert f'<img src="{images["svg"]}" referrerpolicy="no-referrer">' in post["content"]
    assert post["headimg"] == thumb and post["thumbnail"] == thumb
    assert (site / "public" / image.lstrip("/")).read_bytes() == picture("JPEG")
    assert (site / "public" / thumb.lstrip("/")).is_file()
