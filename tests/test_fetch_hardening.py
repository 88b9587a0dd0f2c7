"""Issue 11 §6, the fetch stage: redirects into the local network, gzip with trailing
garbage, secrets in what an error page says. Real local servers on 127.0.0.1 only: names
that must look public are mapped to 127.0.0.1 by a transport and a resolver passed in, and
anything else is refused before a socket is opened."""

from __future__ import annotations

import asyncio
import gzip
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest

from feedserver import FeedServer, Reply
from hotpress import cli
from hotpress._fetch import FetchSettings, fetch_all, fetch_one, make_client
from hotpress._fetch.guard import internal_kind, redirect_refusal
from hotpress._mask import public_text
from hotpress.config import FetchConfig
from hotpress.core import fetch_settings
from hotpress.types import FetchRequest, FetchResult, Validators

FAST = FetchSettings(connect_timeout=1, read_timeout=1, total_timeout=5, retries=0)
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
RSS = {"Content-Type": "application/rss+xml"}

# What the test's resolver answers: names standing for hosts on the internet and inside.
DNS = {
    "feeds.example.test": ["93.184.216.34"],
    "cdn.example.test": ["2606:4700::6810:84e5", "104.16.132.229"],
    "internal.example.test": ["10.1.2.3"],
    "mixed.example.test": ["93.184.216.35", "192.168.0.7"],
    "lan.example.test": ["192.168.1.5"],
}


async def resolve(host: str, port: int) -> Sequence[str]:
    if host not in DNS:
        raise OSError(f"test resolver: no such name {host}")
    return DNS[host]


class LoopbackOnly(httpx.AsyncBaseTransport):
    """Sends every request for a name of ``DNS`` (or 127.0.0.1) to 127.0.0.1 and refuses
    anything else: no test traffic ever leaves the machine."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        self.sent.append(str(request.url))
        if host not in DNS and host != "127.0.0.1":
            raise httpx.ConnectError(f"the test transport reaches only 127.0.0.1, not {host}")
        request.url = request.url.copy_with(host="127.0.0.1")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def fetch_via(url: str, transport: LoopbackOnly) -> FetchResult:
    async def go() -> FetchResult:
        request = FetchRequest("src", url, Validators())
        async with make_client(FAST, transport=transport) as client:
            return await fetch_one(request, client=client, settings=FAST, resolve=resolve)

    return asyncio.run(go())


# --- redirects into the local network ----------------------------------------------------


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("http://127.0.0.1:{port}/secret", "loopback"),
        ("http://127.9.9.9:{port}/secret", "loopback"),
        ("http://[::1]:{port}/secret", "loopback"),
        ("http://[::ffff:127.0.0.1]:{port}/secret", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/x", "link-local"),
        ("http://10.0.0.1/x", "private"),
        ("http://172.16.5.4/x", "private"),
        ("http://192.168.1.1/x", "private"),
        ("http://[fc00::1]/x", "private"),
        ("http://100.64.0.1/x", "reserved"),
        ("http://0.0.0.0:{port}/secret", "unspecified"),
        ("http://internal.example.test:{port}/secret", "private"),
        ("http://mixed.example.test:{port}/secret", "private"),
    ],
)
def test_a_public_source_may_not_redirect_into_the_local_network(
    feed_server: FeedServer, target: str, kind: str
) -> None:
    location = target.format(port=feed_server.port)
    feed_server.route("/start", Reply.redirect(location))
    feed_server.route("/secret", Reply(body=FEED, headers=RSS))
    transport = LoopbackOnly()
    result = fetch_via(f"http://feeds.example.test:{feed_server.port}/start", transport)
    assert result.error is not None
    assert "refused a redirect" in result.error and f"is a {kind} address" in result.error
    assert "configured URL is not on a local network" in result.error
    assert feed_server.requests_to("/secret") == []  # never asked
    assert len(transport.sent) == 1


def test_a_redirect_from_one_public_host_to_another_is_followed(feed_server: FeedServer) -> None:
    feed_server.route("/start", Reply.redirect(f"http://cdn.example.test:{feed_server.port}/f"))
    feed_server.route("/f", Reply(body=FEED, headers=RSS))
    result = fetch_via(f"http://feeds.example.test:{feed_server.port}/start", LoopbackOnly())
    assert result.error is None and result.content == FEED


@pytest.mark.parametrize("configured_host", ["127.0.0.1", "lan.example.test"])
def test_a_source_on_a_local_network_may_redirect_within_it(
    feed_server: FeedServer, configured_host: str
) -> None:
    """A self-hosted RSSHub on the LAN (or this machine) stays usable."""
    feed_server.route("/start", Reply.redirect(f"http://127.0.0.1:{feed_server.port}/f"))
    feed_server.route("/f", Reply(body=FEED, headers=RSS))
    result = fetch_via(f"http://{configured_host}:{feed_server.port}/start", LoopbackOnly())
    assert result.error is None and result.content == FEED


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("8.8.8.8", None),
        ("2606:4700::1", None),
        ("224.0.0.1", "multicast"),
        ("::ffff:10.0.0.1", "private"),
        ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 around 169.254.169.254
        ("fe80::1%eth0", "link-local"),
        ("not an address", None),
    ],
)
def test_internal_kind(address: str, kind: str | None) -> None:
    assert internal_kind(address) == kind


def test_a_name_that_does_not_resolve_is_left_to_the_request() -> None:
    refusal = asyncio.run(
        redirect_refusal("http://feeds.example.test/", "http://nowhere.example.test/", resolve)
    )
    assert refusal is None


# --- gzip with trailing garbage --------------------------------------------------------------


@pytest.mark.parametrize(
    "tail",
    [b"garbage", b"\0" * 512, b"\x1f", b"\x1f\x8b\x08junk", gzip.compress(b"") + b"\n"],
    ids=["text", "zeros", "half-magic", "bad-member", "empty-member"],
)
@pytest.mark.parametrize("chunk", [None, 7])
def test_gzip_with_trailing_garbage_is_accepted(
    feed_server: FeedServer, tail: bytes, chunk: int | None
) -> None:
    body = gzip.compress(FEED) + tail
    headers = {"Content-Encoding": "gzip", **RSS}
    feed_server.route("/f", Reply(body=body, headers=headers, chunk=chunk))
    transport = LoopbackOnly()
    result = fetch_via(feed_server.url("/f"), transport)
    assert result.error is None
    assert result.content == FEED


def test_gzip_that_is_broken_from_the_start_is_still_an_error(feed_server: FeedServer) -> None:
    body = b"xx" + gzip.compress(FEED)
    feed_server.route("/f", Reply(body=body, headers={"Content-Encoding": "gzip", **RSS}))
    result = fetch_via(feed_server.url("/f"), LoopbackOnly())
    assert result.error is not None and "could not decode the gzip body" in result.error


# --- secrets in what a server says -------------------------------------------------------


SECRET = "s3cr3tT0ken"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"Invalid token={SECRET} for this route", "Invalid token=*** for this route"),
        (f"bad api_key: {SECRET}", "bad api_key: ***"),
        (f'{{"error": {{"access_token": "{SECRET}"}}}}', '{"error": {"access_token": "***"}}'),
        (f"Authorization: Bearer {SECRET}", "Authorization: Bearer ***"),
        (f"see https://x.example/?code={SECRET}&page=2", "see https://x.example/?code=***&page=2"),
        ("Error code: 10001", "Error code: 10001"),
        ("Invalid token provided", "Invalid token provided"),
        ("page=2 of 3", "page=2 of 3"),
    ],
)
def test_public_text_masks_secrets_in_prose(text: str, shown: str) -> None:
    assert public_text(text) == shown


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (f"<html><title>Invalid token={SECRET}</title></html>", "text/html"),
        (f'{{"error": {{"message": "bad key={SECRET}"}}}}', "application/json"),
        (f"denied: password={SECRET}\n", "text/plain"),
        (
            '<p class="message">Error Message:<br/><code>'
            f"FetchError: GET https://u:{SECRET}@api.example/x?auth={SECRET}</code></p>",
            "text/html",
        ),
    ],
    ids=["html-title", "json", "text", "rsshub"],
)
def test_an_error_page_s_secret_is_masked_in_last_error_and_on_the_status_page(
    feed_server: FeedServer, tmp_path: Path, body: str, content_type: str
) -> None:
    feed_server.route("/bad", Reply(status=403, body=body, headers={"Content-Type": content_type}))
    feed_server.route(
        "/good",
        Reply(
            body=FEED.replace(
                b"</channel>", b"<item><title>x</title><guid>1</guid></item></channel>"
            ),
            headers=RSS,
        ),
    )
    config = tmp_path / "hotpress.yml"
    config.write_text(
        "database: a.db\noutput:\n  site: public\nsite:\n  url: https://e.example\n"
        "  status: true\nfetch:\n  retries: 0\n  min_host_interval: 0\nsources:\n"
        f"  - category: [a]\n    url: {feed_server.url('/bad')}\n"
        f"  - category: [b]\n    url: {feed_server.url('/good')}\n",
        encoding="utf-8",
    )
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    with sqlite3.connect(tmp_path / "a.db") as db:
        (error,) = db.execute(
            "SELECT last_error FROM sources WHERE key = ?", (feed_server.url("/bad"),)
        ).fetchone()
    assert error.startswith("HTTP 403") and "***" in error
    assert SECRET not in error
    page = (tmp_path / "public/status/index.html").read_text(encoding="utf-8")
    assert "HTTP 403" in page and SECRET not in page
    assert SECRET not in (tmp_path / "public/status/index.json").read_text(encoding="utf-8")


# --- a host that stops answering ---------------------------------------------------------


def fetch_batch(urls: Sequence[str], settings: FetchSettings) -> list[FetchResult]:
    async def go() -> list[FetchResult]:
        requests = [FetchRequest(f"s{i}", url) for i, url in enumerate(urls)]
        async with make_client(settings) as client:
            return await fetch_all(requests, client=client, settings=settings)

    return asyncio.run(go())


def test_a_host_that_stops_answering_costs_two_rounds_not_one_per_source(
    feed_server: FeedServer,
) -> None:
    feed_server.route("/slow", Reply(body=FEED, delay=30))  # the status line never comes
    feed_server.route("/good", Reply(body=FEED, headers=RSS))
    settings = FetchSettings(
        connect_timeout=1,
        read_timeout=0.3,
        total_timeout=0.6,
        per_host=2,
        retries=1,
        backoff_base=0.01,
    )
    slow = [feed_server.url(f"/slow?{i}") for i in range(10)]
    # The same server under another host name: a stalled host holds up no other host.
    results = fetch_batch([*slow, feed_server.url("/good", host="localhost")], settings)
    assert results[-1].error is None and results[-1].content == FEED
    assert all(r.error for r in results[:-1])
    skipped = [r for r in results[:-1] if "stopped answering" in (r.error or "")]
    assert len(skipped) >= 10 - 3 * settings.per_host
    assert "4 requests in a row timed out" in (skipped[0].error or "")
    # Two rounds of per_host requests time out, those already started finish; no more.
    # (Without the watch: 10 sources x 2 attempts = 20 requests.)
    assert len(feed_server.requests_to("/slow")) <= 3 * settings.per_host


def test_an_answer_between_timeouts_keeps_the_host_in_use(feed_server: FeedServer) -> None:
    """Slow routes next to quick ones on one host: every source is tried."""
    feed_server.route("/slow", Reply(body=FEED, delay=30))
    feed_server.route("/quick", Reply(body=FEED, headers=RSS))
    settings = FetchSettings(
        connect_timeout=1, read_timeout=0.3, total_timeout=0.6, per_host=1, retries=0
    )
    urls = [feed_server.url(f"/{'slow' if i % 2 else 'quick'}?{i}") for i in range(8)]
    results = fetch_batch(urls, settings)
    assert not any("stopped answering" in (r.error or "") for r in results)
    assert [r.error is None for r in results] == [i % 2 == 0 for i in range(8)]


@pytest.mark.parametrize("timeout", [1.0, 6.0, 30.0, 120.0])
def test_a_source_s_whole_allowance_follows_fetch_timeout(timeout: float) -> None:
    settings = fetch_settings(FetchConfig(timeout=timeout))
    assert settings.read_timeout == timeout
    assert settings.total_timeout == 2 * timeout
