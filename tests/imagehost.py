"""A test image host on the local feed server: real images made with Pillow, a host that
answers 403 unless the Referer matches, and the bad cases (oversized, SVG, HTML served as an
image, a decompression bomb)."""

from __future__ import annotations

import functools
import io
import random
from collections.abc import Callable

from PIL import Image

from feedserver import FeedServer, RecordedRequest, Reply

REFERER = "https://www.zhihu.com/"


@functools.cache
def picture(fmt: str, size: tuple[int, int] = (800, 600), colour: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()


@functools.cache
def noise_png(side: int) -> bytes:
    """A PNG that does not compress (for the size cap)."""
    rng = random.Random(side)
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@functools.cache
def bomb_png() -> bytes:
    """100 million pixels in a few kilobytes: Pillow's guard must refuse it."""
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")
    return out.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def serve_images(server: FeedServer) -> dict[str, str]:
    """Route the images; returns name -> URL."""

    def guarded(body: bytes, kind: str) -> Callable[[RecordedRequest], Reply]:
        def reply(request: RecordedRequest) -> Reply:
            if request.header("referer") != REFERER:
                return Reply(status=403, body=b"hotlinking refused")
            return Reply(body=body, headers={"Content-Type": kind})

        return reply

    routes = {
        "jpg": ("/pic/a_1440w.jpg", guarded(picture("JPEG"), "image/jpeg")),
        "webp": ("/pic/b.webp", guarded(picture("WEBP", (640, 480), "orange"), "image/webp")),
        "small": ("/pic/b_small.webp", guarded(picture("WEBP", (64, 48), "orange"), "image/webp")),
        "same": ("/pic/a_copy.jpg", guarded(picture("JPEG"), "image/jpeg")),
        "big": ("/pic/big.png", guarded(noise_png(300), "image/png")),
        "svg": ("/pic/logo.svg", guarded(SVG, "image/svg+xml")),
        "html": ("/pic/fake.jpg", guarded(HTML, "image/jpeg")),
        "bomb": ("/pic/bomb.png", guarded(bomb_png(), "image/png")),
    }
    urls = {}
    for name, (path, handler) in routes.items():
        server.route(path, handler)
        urls[name] = server.url(path)
    return urls
