"""``images: local`` in the theme the seed's site uses: real Hexo 8 with Volantis 6.8.3 and
5.8.0 (tests/hexo_themes) builds the posts of ``hotpress run``, the public folder is served on
127.0.0.1 and the pages are loaded in headless Chromium.

The image host (tests/imagehost.py) answers 403 unless the Referer is Zhihu's, as zhimg does.
With ``images: local`` the post's body images, its ``headimg`` (drawn by Volantis as an
``<img>`` without ``referrerpolicy``, in the post's header and on the index card) and its
``thumbnail`` load from the site's own ``/media/…``, and no request reaches the image host.
With ``images: remote`` (the negative control) Volantis's cover request carries the site's
Referer and the host refuses it: the bug ``images: local`` fixes. A third Volantis 6 site
has ``root: /blog/`` (a GitHub project page) and is served below ``/blog/``: its images must
come from ``/blog/media/…`` (Volantis prints ``headimg`` as it is, without ``url_for``).

Volantis's own lazy loading keeps body images as a 1×1 placeholder until its CDN script
(vanilla-lazyload) swaps ``data-srcset`` in; the test machine reaches no CDN, so the sites
here turn that option off (``plugins.lazyload.enable: false``) and the browser loads the body
images themselves; the markup with lazy loading on is checked too (``data-srcset`` is local).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from conftest import skip_or_fail
from feedserver import FeedServer, Reply
from hexo_themes.sites import HERE, generate, make_site
from hotpress.cli import main
from imagehost import REFERER, picture, serve_images
from test_hexo_real import _hexo_modules, _node_ok
from xss_browser.browse import ARGS, CHROMIUM, serve

pytestmark = pytest.mark.network_peer

VOLANTIS = ("volantis6", "volantis5")
TITLE = "有封面的帖子"
OURS = re.compile(r"(/blog)?/media/")
LAZY_OFF = "plugins:\n  lazyload:\n    enable: false\n"
# What the page shows of each image: its element, where it points and what came of it.
PROBE = """() => [...document.querySelectorAll('img')].map((img) => ({
  cls: img.className,
  src: img.currentSrc || img.src,
  attr: img.getAttribute('src'),
  body: !!img.closest('#post-body'),
  width: img.naturalWidth,
  complete: img.complete,
}))"""


@dataclass
class Seen:
    """One page as Chromium loaded it."""

    url: str
    base: str
    images: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)

    def covers(self) -> list[dict[str, Any]]:
        return [i for i in self.images if {"headimg", "thumbnail"} & set(i["cls"].split())]

    def bodies(self) -> list[dict[str, Any]]:
        return [i for i in self.images if i["body"] and i not in self.covers()]

    def response(self, url: str) -> dict[str, Any]:
        (found,) = [r for r in self.responses if r["url"] == url]
        return found


@dataclass
class Mode:
    """One ``hotpress run`` (``images: local`` or ``remote``) and its Volantis sites."""

    source: Path
    sites: dict[str, Path]
    pages: dict[str, list[dict[str, Any]]]


@dataclass
class Built:
    host: FeedServer
    images: dict[str, str]
    modes: dict[str, Mode]
    host_requests_after_build: int = 0
    host_requests_local_pages: int = -1


def _feed(images: dict[str, str]) -> bytes:
    body = (
        f'<p>第一段</p><img src="{images["jpg"]}"><p>第二段</p><img src="{images["webp"]}">'
        "<p>完</p>"
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>{TITLE}</title><link>https://example.com/1</link>"
        f"<description>{escape(body)}</description>"
        "<pubDate>Mon, 15 Jan 2024 02:30:00 GMT</pubDate></item></channel></rss>"
    ).encode()


def _publish(root: Path, mode: str, feed: str, posts: Path | None = None) -> Path:
    """`hotpress run` writing the Hexo posts (and with ``local``, ``source/media/``)."""
    folder = root / f"run-{mode}-{posts is not None}"
    folder.mkdir()
    config = folder / "hotpress.yml"
    posts = posts or folder / "source" / "_posts"
    config.write_text(
        f"database: archive.db\noutput:\n  hexo: '{posts}'\n"
        f"fetch:\n  min_host_interval: 0\n  retries: 0\nimages: {mode}\n"
        f"image_referers:\n  127.0.0.1: '{REFERER}'\n"
        f"sources:\n  - category: [图片, 测试]\n    author: 知乎\n    url: {feed}\n",
        encoding="utf-8",
    )
    assert main(["run", "-q", "-c", str(config)]) == 0
    return posts.parent


def _site(
    root: Path, modules: Path, theme: str, source: Path | None, name: str, lazy: bool
) -> Path:
    site = make_site(root, modules, theme, name)
    if not lazy:
        with (site / f"_config.{theme}.yml").open("a", encoding="utf-8") as out:
            out.write(LAZY_OFF)
    if source is not None:
        shutil.copytree(source, site / "source")
    return site


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    if not Path(CHROMIUM).is_file():
        skip_or_fail("chromium not installed (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail("playwright is not installed")
    _node_ok()
    modules = _hexo_modules(HERE)
    root = tmp_path_factory.mktemp("media-volantis")
    with FeedServer() as host:
        images = serve_images(host)
        host.route("/feed.xml", Reply(body=_feed(images)))
        modes = {}
        for mode, themes in (("local", VOLANTIS), ("remote", ("volantis6",))):
            source = _publish(root, mode, host.url("/feed.xml"))
            sites, pages = {}, {}
            for theme in themes:
                site = _site(root, modules, theme, source, f"{mode}-{theme}", lazy=False)
                pages[theme] = generate(site, modules)[1]
                sites[theme] = site
            modes[mode] = Mode(source, sites, pages)
        # The default (lazy loading on), markup only.
        lazy = _site(root, modules, "volantis6", modes["local"].source, "lazy", lazy=True)
        modes["lazy"] = Mode(modes["local"].source, {"volantis6": lazy}, {})
        modes["lazy"].pages["volantis6"] = generate(lazy, modules)[1]
        # A blog below a path (a GitHub project page): `root: /blog/`, hotpress writing into
        # the site itself (it reads the root from its _config.yml).
        rooted = _site(root, modules, "volantis6", None, "rooted", lazy=False)
        with (rooted / "_config.yml").open("a", encoding="utf-8") as out:
            out.write("root: /blog/\n")
        _publish(root, "local", host.url("/feed.xml"), rooted / "source" / "_posts")
        modes["rooted"] = Mode(rooted / "source", {"volantis6": rooted}, {})
        modes["rooted"].pages["volantis6"] = generate(rooted, modules)[1]
        www = root / "www"
        www.mkdir()
        (www / "blog").symlink_to(rooted / "public")
        yield Built(host, images, modes, len(host.requests))
    assert not host.errors


def _load(browser: Any, public: Path, paths: list[str], under: str = "") -> list[Seen]:
    """Each page of ``paths`` in a fresh context: what its images show and every response."""
    seen = []
    with serve(public) as base:
        for path in paths:
            context = browser.new_context(service_workers="block")
            # Only this machine: the theme's CDN scripts, fonts and styles are refused.
            context.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith("http://127.0.0.1:")
                    else route.abort()
                ),
            )
            page = context.new_page()
            url = base + path
            found = Seen(url, base + under)
            page.on(
                "response",
                lambda r, found=found: found.responses.append(
                    {
                        "url": r.url,
                        "status": r.status,
                        "type": r.headers.get("content-type", ""),
                        "referer": r.request.headers.get("referer"),
                    }
                ),
            )
            page.goto(url, wait_until="load")
            page.wait_for_timeout(100)
            found.images = page.evaluate(PROBE)
            seen.append(found)
            context.close()
    return seen


@pytest.fixture(scope="module")
def pages(built: Built) -> dict[tuple[str, str], list[Seen]]:
    """(mode, theme) -> [post page, index page]."""
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for mode in ("local", "remote"):
                for theme, site in built.modes[mode].sites.items():
                    (post,) = built.modes[mode].pages[theme]
                    paths = ["/" + quote(post["path"]), "/"]
                    out[mode, theme] = _load(browser, site / "public", paths)
                if mode == "local":
                    rooted = built.modes["rooted"]
                    (post,) = rooted.pages["volantis6"]
                    paths = ["/blog/" + quote(post["path"]), "/blog/"]
                    www = rooted.sites["volantis6"].parent / "www"
                    out["rooted", "volantis6"] = _load(browser, www, paths, "/blog")
                    done = len(built.host.requests) - built.host_requests_after_build
                    built.host_requests_local_pages = done
        finally:
            browser.close()
    return out


def _local(name: str, fmt: str, size: tuple[int, int], colour: str) -> str:
    digest = hashlib.sha256(picture(fmt, size, colour)).hexdigest()
    return f"/media/{digest[:2]}/{digest}.{name}"


JPG = _local("jpg", "JPEG", (800, 600), "teal")
WEBP = _local("webp", "WEBP", (640, 480), "orange")
THUMB = JPG.replace("/media/", "/media/thumbs/")


def test_volantis_builds_the_post_with_local_covers(built: Built) -> None:
    for theme in VOLANTIS:
        (post,) = built.modes["local"].pages[theme]
        assert post["title"] == TITLE
        public = built.modes["local"].sites[theme] / "public"
        assert (public / JPG.lstrip("/")).read_bytes() == picture("JPEG")
        assert (public / THUMB.lstrip("/")).is_file()
        html = (public / post["path"] / "index.html").read_text("utf-8")
        assert f"src='{THUMB}'" in html and f'src="{JPG}"' in html and f'src="{WEBP}"' in html


@pytest.mark.parametrize(
    ("mode", "theme"), [("local", "volantis6"), ("local", "volantis5"), ("rooted", "volantis6")]
)
def test_body_images_and_covers_load_from_the_site_itself(
    pages: dict[tuple[str, str], list[Seen]], mode: str, theme: str
) -> None:
    # `rooted`: the blog is served below /blog/ (its Hexo `root:`), and so are the images.
    post, index = pages[mode, theme]
    base = post.base
    bodies = post.bodies()
    assert [i["src"] for i in bodies] == [base + JPG, base + WEBP], (theme, post.images)
    assert [i["width"] for i in bodies] == [800, 640], theme
    for seen in (post, index):
        covers = seen.covers()
        assert covers, (theme, seen.url, seen.images)
        for cover in covers:
            assert cover["src"] == base + THUMB and cover["width"] == 400, (theme, cover)
        reply = seen.response(base + THUMB)
        assert reply["status"] == 200 and reply["type"] == "image/jpeg", (theme, reply)
    for url in (JPG, WEBP):
        reply = post.response(base + url)
        assert reply["status"] == 200 and reply["type"].startswith("image/"), reply


def test_no_request_reaches_the_image_host_when_the_pages_load(
    built: Built, pages: dict[tuple[str, str], list[Seen]]
) -> None:
    host = f"http://127.0.0.1:{built.host.port}/"
    for mode, theme in [*(("local", theme) for theme in VOLANTIS), ("rooted", "volantis6")]:
        for seen in pages[mode, theme]:
            assert [r for r in seen.responses if r["url"].startswith(host)] == [], theme
            local = [i for i in seen.images if OURS.match(i["attr"] or "")]
            assert local and all(i["width"] > 0 for i in local), (theme, seen.images)
    # The host's own log agrees: nothing between the end of the runs and the remote pages.
    assert built.host_requests_local_pages == 0


def test_remote_covers_are_refused_because_volantis_sends_a_referer(
    built: Built, pages: dict[tuple[str, str], list[Seen]]
) -> None:
    # The negative control: the same post with `images: remote`.
    post, index = pages["remote", "volantis6"]
    base = post.base
    cover = built.images["jpg"]
    for seen in (post, index):
        covers = seen.covers()
        assert covers and all(c["src"] == cover and c["width"] == 0 for c in covers), seen.images
        reply = seen.response(cover)
        assert reply["status"] == 403 and reply["referer"] == base + "/", reply
    # The host serves the same picture to hotpress's own download (Zhihu's Referer, the
    # `images: local` runs) and refuses only the page's.
    asked = [r for r in built.host.requests if r.path == "/pic/a_1440w.jpg"]
    assert {r.header("referer") for r in asked} >= {REFERER, base + "/"}


def test_with_volantis_lazy_loading_the_body_images_still_point_at_media(built: Built) -> None:
    (post,) = built.modes["lazy"].pages["volantis6"]
    public = built.modes["lazy"].sites["volantis6"] / "public"
    html = (public / post["path"] / "index.html").read_text("utf-8")
    assert f'data-srcset="{JPG}"' in html and f'data-srcset="{WEBP}"' in html
    assert f"src='{THUMB}'" in html
