"""Local images in a Hexo site below a path (``root: /blog/``): the posts' ``/media/…`` body
images, ``headimg`` and ``thumbnail`` get the prefix (Volantis prints them as they are), and
a changed ``root:`` rewrites the posts. The real Hexo + Volantis check is in
tests/test_media_volantis.py."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from feedserver import FeedServer, Reply
from hotpress import cli
from hotpress._publish.media_root import MARKER, hexo_prefix, local_media
from imagehost import picture, serve_images
from test_media import config_for, hexo_posts, rss


@pytest.mark.parametrize(
    ("config", "prefix"),
    [
        ("root: /blog/\n", "/blog"),
        ("title: x\nroot: /a/b/   # project page\nurl: x\n", "/a/b"),
        ("root: '/blog'\n", "/blog"),
        ('root: "/中文/"\n', ""),  # not a plain path: left alone
        ("root: /\n", ""),
        ("root:\n", ""),
        ("title: no root\n", ""),
        ("root: /x' onerror='alert(1)/\n", ""),
        ('root: /x"/\n', ""),
        ("root: [1, 2]\n", ""),
        ("root: !!python/object:os.system x\n", ""),
        ("root: /%E4%B8%AD/\n", "/%E4%B8%AD"),
        (b"root: /\xff/\n", ""),
    ],
)
def test_hexo_prefix_reads_the_sites_root(tmp_path: Path, config: str | bytes, prefix: str) -> None:
    posts = tmp_path / "source" / "_posts"
    posts.mkdir(parents=True)
    data = config.encode() if isinstance(config, str) else config
    (tmp_path / "_config.yml").write_bytes(data)
    assert hexo_prefix(posts) == prefix


def test_no_hexo_config_means_no_prefix(tmp_path: Path) -> None:
    assert hexo_prefix(tmp_path / "source" / "_posts") == ""


def test_local_media_prefixes_only_local_copies() -> None:
    body = '<img src="/media/ab/x.jpg"><img src="https://h/media/y.jpg"><a href="/media/z">'
    assert local_media(body, "/blog") == (
        '<img src="/blog/media/ab/x.jpg"><img src="https://h/media/y.jpg"><a href="/media/z">'
    )
    assert local_media("/media/thumbs/ab/x.jpg", "/blog") == "/blog/media/thumbs/ab/x.jpg"
    assert local_media(body, "") == body


def test_posts_follow_the_hexo_root_and_are_rewritten_when_it_changes(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    images = serve_images(feed_server)
    feed_server.route("/feed.xml", Reply(body=rss(f'<p>图</p><img src="{images["jpg"]}">')))
    config = config_for(tmp_path, feed_server.url("/feed.xml"))
    blog = tmp_path / "blog"
    blog.mkdir()
    (blog / "_config.yml").write_text("title: t\nroot: /blog/\n", encoding="utf-8")
    digest = hashlib.sha256(picture("JPEG")).hexdigest()
    image = f"/media/{digest[:2]}/{digest}.jpg"
    thumb = f"/media/thumbs/{digest[:2]}/{digest}.jpg"

    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    (post,) = hexo_posts(config)
    text = post.decode()
    assert f'<img src="/blog{image}"' in text
    assert f"headimg: '/blog{thumb}'" in text and f"thumbnail: '/blog{thumb}'" in text
    # The site output keeps its own prefix (from site.url): none here.
    page = next((tmp_path / "public/items").glob("*.html")).read_text("utf-8")
    assert f'src="{image}"' in page
    assert (blog / "source/_posts" / MARKER).read_text("utf-8") == "/blog\n"

    # Nothing changed in the archive: only the new root makes the post be written again.
    fetched = len(feed_server.requests)
    (blog / "_config.yml").write_text("title: t\nroot: /\n", encoding="utf-8")
    assert cli.main(["publish", "-q", "-c", str(config)]) == 0
    (post,) = hexo_posts(config)
    text = post.decode()
    assert f'<img src="{image}"' in text and f"headimg: '{thumb}'" in text
    assert "/blog/" not in text
    assert (blog / "source/_posts" / MARKER).read_text("utf-8") == "\n"
    assert len(feed_server.requests) == fetched
