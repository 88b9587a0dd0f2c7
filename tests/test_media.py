"""``images: local``: every image and cover downloaded once, checked by its bytes, kept by
content, and both outputs pointing at the local copy; the refusals; ``image_proxy``."""

from __future__ import annotations

import asyncio
import hashlib
import io
import sqlite3
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

import pytest
from PIL import Image

from feedserver import FeedServer, Reply
from hotpress import cli, core
from hotpress._media.files import inspect, media_targets
from hotpress._media.policy import (
    BUILTIN_REFERERS,
    best_srcset,
    image_urls,
    is_private,
    may_fetch,
    proxied,
    referer_for,
    rewrite_images,
)
from hotpress._media.sniff import sniff
from hotpress._storage import SQLiteStorage
from hotpress.config import load_settings, parse_settings
from hotpress.exceptions import ConfigError, MediaError
from imagehost import HTML, REFERER, SVG, bomb_png, picture, serve_images

BAD = ("big", "svg", "html", "bomb")


def rss(*bodies: str) -> bytes:
    items = "".join(
        f"<item><title>第 {i} 条</title><link>https://example.com/{i}</link>"
        f"<description>{escape(body)}</description>"
        "<pubDate>Mon, 15 Jan 2024 02:30:00 GMT</pubDate></item>"
        for i, body in enumerate(bodies)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>图</title>'
        f"<link>https://example.com/</link>{items}</channel></rss>"
    ).encode()


def config_for(tmp_path: Path, feed_url: str, extra: str = "") -> Path:
    config = tmp_path / "hotpress.yml"
    config.write_text(
        "database: archive.db\n"
        "output:\n  hexo: blog/source/_posts\n  site: public\n"
        "fetch:\n  min_host_interval: 0\n  retries: 0\n"
        "images: local\n"
        f"image_referers:\n  127.0.0.1: '{REFERER}'\n"
        "image_max_mb: 0.2\n" + extra + "sources:\n"
        f"  - category: [图片, 测试, 频道]\n    url: {feed_url}\n",
        encoding="utf-8",
    )
    return config


def hexo_posts(config: Path) -> list[bytes]:
    root = config.parent / "blog/source/_posts"
    return [p.read_bytes() for p in sorted(root.rglob("*.md"))]


def image_requests(server: FeedServer) -> int:
    return sum(1 for r in server.requests if r.path.startswith("/pic/"))


@pytest.fixture
def images(feed_server: FeedServer) -> dict[str, str]:
    return serve_images(feed_server)


def test_images_and_the_cover_are_kept_locally_in_both_outputs(
    tmp_path: Path, feed_server: FeedServer, images: dict[str, str]
) -> None:
    body = (
        f'<p>图一</p><img src="{images["jpg"]}"><p>图二</p>'
        f'<img src="{images["small"]}" srcset="{images["small"]} 64w, {images["webp"]} 640w">'
        + "".join(f'<img src="{images[name]}">' for name in BAD)
    )
    feed_server.route("/feed.xml", Reply(body=rss(body)))
    config = config_for(tmp_path, feed_server.url("/feed.xml"))
    assert cli.main(["run", "-q", "-c", str(config)]) == 0

    jpg = hashlib.sha256(picture("JPEG")).hexdigest()
    webp = hashlib.sha256(picture("WEBP", (640, 480), "orange")).hexdigest()
    (post,) = hexo_posts(config)
    text = post.decode()
    assert f'src="/media/{jpg[:2]}/{jpg}.jpg"' in text
    assert f'src="/media/{webp[:2]}/{webp}.webp"' in text  # the best srcset candidate
    assert "srcset" not in text and "b_small" not in text
    for name in BAD:  # refused: the remote URL stays, without a Referer from the reader
        assert f'<img src="{images[name]}" referrerpolicy="no-referrer">' in text
    thumb = f"/media/thumbs/{jpg[:2]}/{jpg}.jpg"
    assert f"headimg: '{thumb}'" in text and f"thumbnail: '{thumb}'" in text

    for target in media_targets(config.parent / "blog/source/_posts", config.parent / "public"):
        assert (target / f"{jpg[:2]}/{jpg}.jpg").read_bytes() == picture("JPEG")
        with Image.open(target / thumb.removeprefix("/media/")) as small:
            assert small.size == (400, 300)
    page = next((config.parent / "public/items").glob("*.html")).read_text(encoding="utf-8")
    assert f'src="/media/{jpg[:2]}/{jpg}.jpg"' in page

    with sqlite3.connect(tmp_path / "archive.db") as db:
        rows = {
            r[0]: r[1:]
            for r in db.execute("SELECT url, hash, type, size, width, height, error FROM media")
        }
    assert rows[images["jpg"]][:5] == (jpg, "image/jpeg", len(picture("JPEG")), 800, 600)
    assert rows[images["webp"]][:5] == (webp, "image/webp", rows[images["webp"]][2], 640, 480)
    assert all(rows[images[name]][0] is None for name in BAD)
    assert "larger than" in rows[images["big"]][5]
    assert "SVG" in rows[images["svg"]][5]
    assert "HTML" in rows[images["html"]][5]
    assert "decompression bomb" in rows[images["bomb"]][5]
    # Every image request carried the Referer the host wants.
    assert {r.header("referer") for r in feed_server.requests if r.path.startswith("/pic/")} == {
        REFERER
    }


def test_a_refresh_never_downloads_an_image_it_has_and_same_bytes_are_one_file(
    tmp_path: Path, feed_server: FeedServer, images: dict[str, str]
) -> None:
    feed_server.route(
        "/feed.xml",
        Reply(body=rss(f'<img src="{images["jpg"]}">', f'<img src="{images["same"]}">')),
    )
    config = config_for(tmp_path, feed_server.url("/feed.xml"))
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    assert image_requests(feed_server) == 2
    files = [p for p in (tmp_path / "archive-media").rglob("*") if p.is_file()]
    assert len([p for p in files if "thumbs" not in p.parts]) == 1  # same bytes, one file
    feed_server.route(
        "/feed.xml",
        Reply(body=rss(f'<p>改</p><img src="{images["jpg"]}">', f'<img src="{images["same"]}">')),
    )
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    assert image_requests(feed_server) == 2
    assert b'<p>\xe6\x94\xb9</p><img src="/media/' in b"".join(hexo_posts(config))


def test_a_failed_download_keeps_the_remote_url_and_is_retried_later(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    good = picture("PNG", (500, 400))
    feed_server.route("/pic/flaky.png", Reply(status=503), Reply(body=good))
    url = feed_server.url("/pic/flaky.png")
    feed_server.route("/feed.xml", Reply(body=rss(f'<img src="{url}">')))
    settings = load_settings(config_for(tmp_path, feed_server.url("/feed.xml")))
    start = datetime(2026, 12, 5, 12, tzinfo=UTC)
    with SQLiteStorage(settings.database) as storage:
        for minutes in (0, 0, 5):
            now = start + timedelta(minutes=minutes)
            asyncio.run(core.refresh(settings, storage, clock=lambda now=now: now))
            core.publish(settings, storage)
            if minutes == 0:
                (post,) = hexo_posts(settings.path)
                assert f'<img src="{url}" referrerpolicy="no-referrer">'.encode() in post
    assert len(feed_server.requests_to("/pic/flaky.png")) == 2  # not again at once, then again
    (post,) = hexo_posts(settings.path)
    digest = hashlib.sha256(good).hexdigest()
    assert f'<img src="/media/{digest[:2]}/{digest}.png"'.encode() in post


def test_an_item_keeps_only_as_many_images_as_its_cap_allows(
    tmp_path: Path, feed_server: FeedServer, images: dict[str, str]
) -> None:
    second = len(picture("WEBP", (640, 480), "orange"))
    cap = (len(picture("JPEG")) + second // 2) / 1024 / 1024
    body = f'<img src="{images["jpg"]}"><img src="{images["webp"]}">'
    feed_server.route("/feed.xml", Reply(body=rss(body)))
    config = config_for(tmp_path, feed_server.url("/feed.xml"), f"item_images_max_mb: {cap}\n")
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    (post,) = hexo_posts(config)
    assert post.count(b'<img src="/media/') == 1
    assert f'<img src="{images["webp"]}"'.encode() in post


def test_images_on_a_private_network_are_refused_when_the_source_is_not_on_one(
    tmp_path: Path, feed_server: FeedServer, images: dict[str, str]
) -> None:
    feed = tmp_path / "feed.xml"  # a local file: not on the image host's network
    feed.write_bytes(rss(f'<img src="{images["jpg"]}">'))
    config = config_for(tmp_path, "feed.xml")
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    assert image_requests(feed_server) == 0
    (post,) = hexo_posts(config)
    assert images["jpg"].encode() in post
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "images: local", "images: local\nprivate_hosts: true"
        ),
        encoding="utf-8",
    )
    with sqlite3.connect(tmp_path / "archive.db") as db:
        db.execute("UPDATE media SET next_try = 0")
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    assert image_requests(feed_server) == 1


def test_prune_purge_deletes_images_no_item_names(
    tmp_path: Path, feed_server: FeedServer, images: dict[str, str]
) -> None:
    feed_server.route("/feed.xml", Reply(body=rss(f'<img src="{images["jpg"]}">')))
    config = config_for(tmp_path, feed_server.url("/feed.xml"))
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    jpg = hashlib.sha256(picture("JPEG")).hexdigest()
    copies = [tmp_path / "archive-media", tmp_path / "blog/source/media", tmp_path / "public/media"]
    assert all((root / f"{jpg[:2]}/{jpg}.jpg").exists() for root in copies)
    assert cli.main(["prune", "--purge", "-q", "-c", str(config)]) == 0
    assert all((root / f"{jpg[:2]}/{jpg}.jpg").exists() for root in copies)  # still named
    feed_server.route("/feed.xml", Reply(body=rss("<p>图没了</p>")))
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    assert cli.main(["prune", "--purge", "-q", "-c", str(config)]) == 0
    assert not any((root / f"{jpg[:2]}/{jpg}.jpg").exists() for root in copies)
    assert not (tmp_path / f"archive-media/thumbs/{jpg[:2]}/{jpg}.jpg").exists()


def test_image_proxy_rewrites_remote_http_images_and_covers_only(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    body = '<img src="http://img.example.com/a.jpg"><img src="https://img.example.com/b.jpg">'
    feed_server.route("/feed.xml", Reply(body=rss(body)))
    config = config_for(tmp_path, feed_server.url("/feed.xml"))
    text = config.read_text(encoding="utf-8").replace(
        "images: local", "image_proxy: 'https://proxy.example/?url={url}'"
    )
    config.write_text(text, encoding="utf-8")
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    (post,) = hexo_posts(config)
    proxied_a = "https://proxy.example/?url=http%3A%2F%2Fimg.example.com%2Fa.jpg"
    assert f'src="{proxied_a}"'.encode() in post
    assert b'src="https://img.example.com/b.jpg"' in post
    assert f"headimg: '{proxied_a}'".encode() in post
    assert not [r for r in feed_server.requests if r.path != "/feed.xml"]
    # Back to plain remote: the post is rewritten with the original URLs.
    config.write_text(text.replace("image_proxy: 'https://proxy.example/?url={url}'", ""))
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    (post,) = hexo_posts(config)
    assert b'src="http://img.example.com/a.jpg"' in post


def test_a_bad_image_proxy_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="image_proxy"):
        parse_settings("image_proxy: https://proxy.example/\n", tmp_path / "h.yml")


# --- pure decisions ------------------------------------------------------------------------


def test_the_host_decision_refuses_private_hosts_unless_the_source_is_private_or_allowed() -> None:
    public = ["93.184.216.34"]
    for private in (
        "127.0.0.1",
        "10.0.0.8",
        "192.168.1.2",
        "172.16.0.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "100.64.0.1",
    ):
        assert is_private(private), private
        assert not may_fetch([private], public, allow_private=False)
        assert may_fetch([private], ["127.0.0.1"], allow_private=False)
        assert may_fetch([private], public, allow_private=True)
    assert not is_private("93.184.216.34") and not is_private("2606:4700::1111")
    assert may_fetch(public, public, allow_private=False)
    assert not may_fetch(["93.184.216.34", "10.0.0.1"], public, allow_private=False)
    assert not may_fetch([], public, allow_private=False)  # unresolvable


def test_referers_come_from_the_longest_matching_host_suffix() -> None:
    assert referer_for("https://pic1.zhimg.com/v2-a_1440w.jpg", BUILTIN_REFERERS) == (
        "https://www.zhihu.com/"
    )
    assert referer_for("https://wx1.sinaimg.cn/large/a.jpg", BUILTIN_REFERERS) == (
        "https://weibo.com/"
    )
    assert referer_for("https://i0.hdslb.com/bfs/a.jpg", BUILTIN_REFERERS) == (
        "https://www.bilibili.com/"
    )
    assert referer_for("https://notzhimg.com/a.jpg", BUILTIN_REFERERS) is None
    table = {"zhimg.com": "a", "pic1.zhimg.com": "b"}
    assert referer_for("https://pic1.zhimg.com/x", table) == "b"


def test_the_bytes_decide_what_an_image_is() -> None:
    assert sniff(picture("JPEG")) == "jpg"
    assert sniff(picture("PNG")) == "png"
    assert sniff(picture("GIF")) == "gif"
    assert sniff(picture("WEBP")) == "webp"
    assert sniff(picture("AVIF")) == "avif"
    for bad in (SVG, HTML, b"", b"GIF8", b'<?xml version="1.0"?><svg/>'):
        assert sniff(bad) is None
    with pytest.raises(MediaError, match="SVG"):
        inspect(SVG)
    with pytest.raises(MediaError, match="HTML"):
        inspect(HTML)
    with pytest.raises(MediaError, match="decompression bomb"):
        inspect(bomb_png())
    truncated = picture("PNG")[:40]
    with pytest.raises(MediaError, match="unreadable"):
        inspect(truncated)
    found = inspect(picture("AVIF", (32, 16)))
    assert (found.type, found.width, found.height) == ("image/avif", 32, 16)


def test_srcset_and_src_are_found_and_rewritten() -> None:
    body = (
        '<p>x</p><img src="https://a.test/s.jpg" srcset="https://a.test/s.jpg 1x, '
        'https://a.test/l.jpg 2x" alt="图"><img src="data:image/png;base64,AAAA">'
        '<img src="https://a.test/s.jpg">'
    )
    assert best_srcset("a.jpg 320w, b.jpg 1280w, c.jpg 640w") == "b.jpg"
    assert image_urls(body) == ["https://a.test/s.jpg", "https://a.test/l.jpg"]
    local = {"https://a.test/l.jpg": "/media/l.jpg", "https://a.test/s.jpg": "/media/s.jpg"}
    assert rewrite_images(body, local.get) == (
        '<p>x</p><img src="/media/l.jpg" alt="图"><img src="data:image/png;base64,AAAA">'
        '<img src="/media/s.jpg">'
    )
    assert rewrite_images(body, lambda url: None) == body
    assert proxied("http://a.test/x?y=1", "https://p.test/?u={url}") == (
        "https://p.test/?u=http%3A%2F%2Fa.test%2Fx%3Fy%3D1"
    )
    assert proxied("https://a.test/x", "https://p.test/?u={url}") == "https://a.test/x"


def test_a_thumbnail_is_400_by_300(tmp_path: Path) -> None:
    from hotpress._media.files import make_thumb

    data = picture("PNG", (1000, 200))
    rel = make_thumb(tmp_path, data, inspect(data))
    assert rel is not None
    with Image.open(io.BytesIO((tmp_path / rel).read_bytes())) as small:
        assert small.size == (400, 300) and small.format == "JPEG"


def test_an_image_kept_from_a_body_gets_a_thumbnail_when_it_becomes_a_cover(
    tmp_path: Path, feed_server: FeedServer, images: dict[str, str]
) -> None:
    two = f'<img src="{images["webp"]}"><img src="{images["jpg"]}">'
    feed_server.route("/feed.xml", Reply(body=rss(two)))
    config = config_for(tmp_path, feed_server.url("/feed.xml"))
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    jpg = hashlib.sha256(picture("JPEG")).hexdigest()
    assert not (tmp_path / f"archive-media/thumbs/{jpg[:2]}/{jpg}.jpg").exists()
    feed_server.route("/feed.xml", Reply(body=rss(two, f'<img src="{images["jpg"]}">')))
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    assert image_requests(feed_server) == 2  # nothing downloaded again
    (cover,) = [p for p in hexo_posts(config) if "title: '第 1 条'".encode() in p]
    assert f"headimg: '/media/thumbs/{jpg[:2]}/{jpg}.jpg'".encode() in cover
