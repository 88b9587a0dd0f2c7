"""The fetch stage against a real local HTTP server (tests/feedserver.py); no mocks."""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import itertools
import os
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

import pytest

from feedserver import (
    FeedServer,
    RecordedRequest,
    Reply,
    brotli_bomb,
    fixture_closed_port,  # noqa: F401  (fixture)
    fixture_feed_server,  # noqa: F401  (fixture)
    gzip_bomb,
)
from hotpress import __version__
from hotpress._fetch import FetchSettings, HostLimiter, fetch_all, fetch_one, make_client
from hotpress._fetch.headers import parse_max_age, parse_retry_after
from hotpress.types import FetchRequest, FetchResult, Validators

MiB = 1 << 20
FAST = FetchSettings(
    connect_timeout=1,
    read_timeout=0.3,
    total_timeout=5,
    backoff_base=0.01,
    max_retry_after=2,
    max_body_bytes=1 * MiB,
)
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


def fetch(
    url: str, settings: FetchSettings = FAST, validators: Validators | None = None
) -> FetchResult:
    async def go() -> FetchResult:
        request = FetchRequest("src", url, validators or Validators())
        async with make_client(settings) as client:
            return await fetch_one(request, client=client, settings=settings)

    return asyncio.run(go())


def fetch_many(
    urls: Sequence[str], settings: FetchSettings = FAST
) -> tuple[list[FetchResult], list[FetchResult]]:
    """Results in request order, and in the order ``on_result`` saw them."""
    seen: list[FetchResult] = []

    async def go() -> list[FetchResult]:
        requests = [FetchRequest(f"s{i}", url) for i, url in enumerate(urls)]
        async with make_client(settings) as client:
            return await fetch_all(
                requests, client=client, settings=settings, on_result=seen.append
            )

    return asyncio.run(go()), seen


# --- status codes, validators ----------------------------------------------------------


def test_ok_response_returns_body_type_and_new_validators(feed_server: FeedServer) -> None:
    headers = {"Content-Type": "application/rss+xml", "ETag": '"v2"', "Last-Modified": "x"}
    feed_server.route("/f", Reply(body=FEED, headers=headers))
    result = fetch(feed_server.url("/f"))
    assert result.error is None
    assert (result.status, result.content, result.not_modified) == (200, FEED, False)
    assert result.content_type == "application/rss+xml"
    assert result.validators == Validators(etag='"v2"', last_modified="x")
    assert result.url == feed_server.url("/f")
    assert result.duration > 0


def _conditional(request: RecordedRequest) -> Reply:
    if request.header("if-none-match") == '"v1"':
        return Reply(status=304)
    if request.header("if-modified-since") == "Sat, 01 Feb 2025 10:00:00 GMT":
        return Reply(status=304)
    return Reply(body=FEED, headers={"ETag": '"v1"'})


def test_etag_is_sent_and_a_304_keeps_the_old_validators(feed_server: FeedServer) -> None:
    feed_server.route("/f", _conditional)
    old = Validators(etag='"v1"', last_modified="Fri, 31 Jan 2025 10:00:00 GMT")
    result = fetch(feed_server.url("/f"), validators=old)
    assert result.error is None
    assert (result.status, result.not_modified, result.content) == (304, True, None)
    assert result.validators == old
    sent = feed_server.requests_to("/f")[0]
    assert sent.header("if-none-match") == '"v1"'
    assert sent.header("if-modified-since") == old.last_modified


@pytest.mark.parametrize("status", [200, 304])
def test_one_host_s_sources_share_a_kept_alive_connection(
    feed_server: FeedServer, status: int
) -> None:
    """One RSSHub serves every route: a round of 304s must not open a connection per source
    (a 304 left unread used to close its connection)."""
    headers = {"Content-Type": "application/rss+xml", "ETag": '"v1"'}
    feed_server.route(
        "/f", Reply(status=status, body=FEED if status == 200 else b"", headers=headers)
    )
    settings = dataclasses.replace(FAST, concurrency=1, per_host=1, min_host_interval=0)

    async def go() -> list[FetchResult]:
        requests = [
            FetchRequest(f"s{i}", feed_server.url(f"/f?n={i}"), Validators(etag='"v1"'))
            for i in range(6)
        ]
        async with make_client(settings) as client:
            return await fetch_all(requests, client=client, settings=settings)

    results = asyncio.run(go())
    assert [r.status for r in results] == [status] * 6 and all(r.error is None for r in results)
    peers = {r.peer for r in feed_server.requests_to("/f")}
    assert len(feed_server.requests_to("/f")) == 6 and len(peers) == 1


def test_last_modified_alone_is_sent_as_if_modified_since(feed_server: FeedServer) -> None:
    feed_server.route("/f", _conditional)
    old = Validators(last_modified="Sat, 01 Feb 2025 10:00:00 GMT")
    result = fetch(feed_server.url("/f"), validators=old)
    assert result.not_modified and result.validators == old
    assert feed_server.requests_to("/f")[0].header("if-none-match") is None


def test_a_changed_feed_answers_200_despite_old_validators(feed_server: FeedServer) -> None:
    feed_server.route("/f", _conditional)
    result = fetch(feed_server.url("/f"), validators=Validators(etag='"v0"'))
    assert (result.status, result.content, result.validators.etag) == (200, FEED, '"v1"')


def test_404_is_an_error_and_is_not_retried(feed_server: FeedServer) -> None:
    result = fetch(feed_server.url("/missing"))
    assert (result.status, result.content) == (404, None)
    assert result.error is not None and result.error.startswith("HTTP 404 Not Found")
    assert len(feed_server.requests_to("/missing")) == 1


def test_410_says_the_feed_is_gone(feed_server: FeedServer) -> None:
    feed_server.route("/old", Reply(status=410))
    result = fetch(feed_server.url("/old"))
    assert result.status == 410
    assert result.error is not None and result.error.startswith("HTTP 410 Gone: the feed is gone")
    assert len(feed_server.requests_to("/old")) == 1


def test_failure_keeps_the_request_validators(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(status=403))
    old = Validators(etag='"v1"')
    assert fetch(feed_server.url("/f"), validators=old).validators == old


# --- retries -----------------------------------------------------------------------------


def test_429_retry_after_seconds_is_honoured_then_succeeds(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(status=429, headers={"Retry-After": "1"}), Reply(body=FEED))
    result = fetch(feed_server.url("/f"))
    assert (result.status, result.content, result.error) == (200, FEED, None)
    first, second = feed_server.requests_to("/f")
    assert second.time - first.time >= 0.95


def test_429_retry_after_beyond_the_cap_fails_now_and_reports_it(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(status=429, headers={"Retry-After": "120"}))
    result = fetch(feed_server.url("/f"))
    assert (result.status, result.retry_after) == (429, 120.0)
    assert result.error == "HTTP 429 Too Many Requests (the server asks to wait 120 s)"
    assert len(feed_server.requests_to("/f")) == 1


def test_503_retry_after_as_an_http_date_is_reported_in_seconds(feed_server: FeedServer) -> None:
    when = email.utils.formatdate(time.time() + 100, usegmt=True)
    feed_server.route("/f", Reply(status=503, headers={"Retry-After": when}))
    result = fetch(feed_server.url("/f"))
    assert result.status == 503
    assert result.retry_after is not None and 97 <= result.retry_after <= 101
    assert len(feed_server.requests_to("/f")) == 1


def test_500_then_200_is_retried_and_succeeds(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(status=500), Reply(body=FEED))
    result = fetch(feed_server.url("/f"))
    assert (result.status, result.content, result.error) == (200, FEED, None)
    assert len(feed_server.requests_to("/f")) == 2


def test_a_lasting_5xx_gives_up_after_two_retries(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(status=502))
    result = fetch(feed_server.url("/f"))
    assert (result.status, result.error) == (502, "HTTP 502 Bad Gateway")
    assert len(feed_server.requests_to("/f")) == 3


def test_backoff_doubles_between_retries(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(status=500))
    fetch(feed_server.url("/f"), dataclasses.replace(FAST, backoff_base=0.1))
    a, b, c = (r.time for r in feed_server.requests_to("/f"))
    # Jitter keeps each wait within [50%, 100%] of base * 2**n.
    assert 0.05 <= b - a < 0.5
    assert 0.1 <= c - b < 0.7


# --- timeouts ------------------------------------------------------------------------------


def test_a_server_that_never_answers_times_out(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(delay=10))
    start = time.monotonic()
    result = fetch(feed_server.url("/f"), dataclasses.replace(FAST, retries=1))
    assert result.error == "timed out after 0.3 s reading the response"
    assert result.status is None
    assert len(feed_server.requests_to("/f")) == 2
    assert time.monotonic() - start < 2


def test_a_body_that_stalls_ends_at_the_read_timeout(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(body=FEED * 100, stall_after=50))
    start = time.monotonic()
    result = fetch(feed_server.url("/f"), dataclasses.replace(FAST, retries=0))
    assert result.error == "timed out after 0.3 s reading the response"
    assert time.monotonic() - start < 1.5


def test_a_slow_drip_ends_at_the_total_deadline(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(body=b"x" * 10_000, chunk=10, pause=0.05))
    settings = dataclasses.replace(FAST, total_timeout=0.8)
    start = time.monotonic()
    result = fetch(feed_server.url("/f"), settings)
    elapsed = time.monotonic() - start
    assert result.error is not None and result.error.startswith("gave up after 0.8 s in total")
    assert 0.7 <= elapsed < 1.5
    assert len(feed_server.requests_to("/f")) == 1  # no budget left for a retry


# --- size caps -----------------------------------------------------------------------------


def test_a_declared_body_over_the_cap_is_refused(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(body=b"x" * (MiB + 1)))
    result = fetch(feed_server.url("/f"))
    assert (result.status, result.error, result.content) == (
        200,
        "response larger than 1 MiB",
        None,
    )


def test_a_body_exactly_at_the_cap_is_accepted(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(body=b"x" * MiB, content_length=False))
    result = fetch(feed_server.url("/f"))
    assert result.error is None and result.content is not None and len(result.content) == MiB


def test_an_endless_body_stops_at_the_cap(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(body=b"x" * 4096, infinite=True))
    result = fetch(feed_server.url("/f"))
    assert result.error == "response larger than 1 MiB"
    assert len(feed_server.requests_to("/f")) == 1


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_a_compression_bomb_stops_at_the_cap_quickly(
    feed_server: FeedServer, encoding: str
) -> None:
    payload = gzip_bomb(200 * MiB) if encoding == "gzip" else brotli_bomb(200 * MiB)
    assert len(payload) < MiB  # small on the wire: only the decoded cap can stop it
    feed_server.route("/f", Reply(body=payload, headers={"Content-Encoding": encoding}))
    tracemalloc.start()
    start = time.monotonic()
    try:
        result = fetch(feed_server.url("/f"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.error == "response larger than 1 MiB"
    assert time.monotonic() - start < 3
    assert peak < 16 * MiB  # not the 200 MiB the bomb holds


def test_compressed_size_counts_too(feed_server: FeedServer) -> None:
    random_bytes = os.urandom(MiB + 1000)  # incompressible: over the cap as sent
    feed_server.route("/f", Reply(body=random_bytes, encoding="gzip", content_length=False))
    assert fetch(feed_server.url("/f")).error == "response larger than 1 MiB"


# --- encodings and content type --------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gzip", "br", "deflate", "deflate-raw"])
def test_compressed_responses_are_decoded(feed_server: FeedServer, encoding: str) -> None:
    feed_server.route("/f", Reply(body=FEED * 50, encoding=encoding))
    result = fetch(feed_server.url("/f"))
    assert (result.error, result.content) == (None, FEED * 50)
    assert feed_server.requests_to("/f")[0].header("accept-encoding") == "gzip, deflate, br"


def test_a_body_that_is_not_what_its_encoding_says_is_an_error(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(body=FEED, headers={"Content-Encoding": "gzip"}))
    result = fetch(feed_server.url("/f"))
    assert result.error is not None and result.error.startswith("could not decode the gzip body")


def test_an_unknown_content_encoding_is_an_error(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(body=FEED, headers={"Content-Encoding": "zstd"}))
    assert fetch(feed_server.url("/f")).error == "unsupported Content-Encoding 'zstd'"


@pytest.mark.parametrize("content_type", ["text/xml; charset=no-such-charset", "text/xml", None])
def test_content_type_passes_through_unchanged(
    feed_server: FeedServer, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    body = "<rss><title>中文</title></rss>".encode("gbk")
    feed_server.route("/f", Reply(body=body, headers=headers))
    result = fetch(feed_server.url("/f"))
    assert (result.content_type, result.content) == (content_type, body)


# --- redirects ---------------------------------------------------------------------------


def test_a_redirect_chain_is_followed_to_the_final_url(feed_server: FeedServer) -> None:
    feed_server.route("/a", Reply.redirect("/b", 301))
    feed_server.route("/b", Reply.redirect(feed_server.url("/c"), 302))
    feed_server.route("/c", Reply.redirect("d", 307))
    feed_server.route("/d", Reply.redirect("/e?x=1", 308))
    feed_server.route("/e", Reply(body=FEED))
    result = fetch(feed_server.url("/a"))
    assert (result.error, result.content) == (None, FEED)
    assert result.url == feed_server.url("/e?x=1")


def test_more_than_five_redirects_is_an_error(feed_server: FeedServer) -> None:
    for i in range(6):
        feed_server.route(f"/{i}", Reply.redirect(f"/{i + 1}"))
    feed_server.route("/6", Reply(body=FEED))
    assert fetch(feed_server.url("/0")).error == "too many redirects (more than 5)"
    assert feed_server.requests_to("/6") == []
    # Exactly five hops are fine.
    assert fetch(feed_server.url("/1")).content == FEED


def test_a_redirect_loop_is_an_error(feed_server: FeedServer) -> None:
    feed_server.route("/a", Reply.redirect("/b"))
    feed_server.route("/b", Reply.redirect("/a"))
    result = fetch(feed_server.url("/a"))
    assert (
        result.error
        == f"redirect loop: {feed_server.url('/b')} leads back to {feed_server.url('/a')}"
    )
    assert len(feed_server.requests) == 2


def test_a_redirect_to_ftp_is_an_error(feed_server: FeedServer) -> None:
    feed_server.route("/a", Reply.redirect("ftp://example.org/feed.xml"))
    result = fetch(feed_server.url("/a"))
    assert result.error == "redirect to non-http URL ftp://example.org/feed.xml"


# --- connection failures -------------------------------------------------------------------


def test_connection_refused_is_reported(closed_port: int) -> None:
    result = fetch(f"http://127.0.0.1:{closed_port}/feed")
    assert (result.status, result.error) == (None, "connection refused")


def test_a_reset_mid_body_is_reported(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(body=b"x" * 100_000, reset_after=1000))
    result = fetch(feed_server.url("/f"), dataclasses.replace(FAST, retries=0))
    assert result.error == "connection reset by the server mid-body"


def test_a_close_mid_body_is_reported_and_retried(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(body=b"x" * 100_000, close_after=1000), Reply(body=FEED))
    result = fetch(feed_server.url("/f"))
    assert (result.error, result.content) == (None, FEED)
    feed_server.route("/g", Reply(body=b"x" * 100_000, close_after=1000))
    result = fetch(feed_server.url("/g"), dataclasses.replace(FAST, retries=0))
    assert result.error == "server closed the connection mid-body"


def test_a_server_hanging_up_without_a_response_is_retried(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(hang_up=True), Reply(body=FEED))
    assert fetch(feed_server.url("/f")).content == FEED
    feed_server.route("/g", Reply(hang_up=True))
    result = fetch(feed_server.url("/g"))
    assert result.error == "server closed the connection without sending a response"
    # 1 + 2 retries; aiohttp sends each once more at once when the server hangs up (as it
    # does when a kept connection was closed under it)
    assert len(feed_server.requests_to("/g")) == 3 * 2


def test_an_unsupported_scheme_is_an_error_not_a_crash() -> None:
    assert fetch("ftp://example.org/feed.xml").error == (
        "unsupported URL scheme 'ftp' (use http, https or a local file)"
    )


# --- batches -------------------------------------------------------------------------------


def test_per_host_concurrency_never_exceeds_the_limit(feed_server: FeedServer) -> None:
    feed_server.route("/slow", Reply(body=FEED, delay=0.1))
    settings = dataclasses.replace(FAST, per_host=3, concurrency=10)
    results, _ = fetch_many([feed_server.url(f"/slow?{i}") for i in range(12)], settings)
    assert all(r.content == FEED for r in results)
    assert feed_server.max_active == {f"127.0.0.1:{feed_server.port}": 3}


def test_global_concurrency_never_exceeds_the_limit(feed_server: FeedServer) -> None:
    feed_server.route("/slow", Reply(body=FEED, delay=0.1))
    settings = dataclasses.replace(FAST, per_host=10, concurrency=2)
    fetch_many([feed_server.url(f"/slow?{i}") for i in range(6)], settings)
    assert feed_server.max_active_total == 2


def test_requests_to_one_host_are_spaced_by_min_host_interval(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(body=FEED))
    settings = dataclasses.replace(FAST, min_host_interval=0.1)
    fetch_many([feed_server.url(f"/f?{i}") for i in range(4)], settings)
    times = sorted(r.time for r in feed_server.requests)
    assert all(b - a >= 0.09 for a, b in itertools.pairwise(times))


def test_one_failing_source_does_not_stop_the_others(
    feed_server: FeedServer, closed_port: int
) -> None:
    feed_server.route("/ok", Reply(body=FEED, delay=0.2))
    feed_server.route("/bad", Reply(status=404))
    urls = [feed_server.url("/ok"), f"http://127.0.0.1:{closed_port}/", feed_server.url("/bad")]
    results, seen = fetch_many(urls)
    assert [r.source_key for r in results] == ["s0", "s1", "s2"]  # request order
    assert [r.error for r in results] == [None, "connection refused", "HTTP 404 Not Found"]
    assert seen[-1].source_key == "s0"  # on_result in completion order: the slow one last
    assert {r.source_key for r in seen} == {"s0", "s1", "s2"}


def test_an_exception_from_on_result_propagates_as_itself(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(body=FEED))

    def broken(result: FetchResult) -> None:
        raise KeyError("store failed")

    async def go() -> None:
        async with make_client(FAST) as client:
            requests = [FetchRequest("a", feed_server.url("/f"))]
            await fetch_all(requests, client=client, settings=FAST, on_result=broken)

    with pytest.raises(KeyError, match="store failed"):
        asyncio.run(go())


def test_user_agent_names_hotpress_and_its_version(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(body=FEED))
    fetch(feed_server.url("/f"))
    agent = feed_server.requests_to("/f")[0].header("user-agent")
    assert agent is not None and agent.startswith(f"hotpress/{__version__} ")


def test_a_limiter_can_be_shared_by_callers_of_fetch_one(feed_server: FeedServer) -> None:
    feed_server.route("/slow", Reply(body=FEED, delay=0.1))

    async def go() -> None:
        limiter = HostLimiter(concurrency=5, per_host=1)
        async with make_client(FAST) as client:
            await asyncio.gather(
                *(
                    fetch_one(
                        FetchRequest(str(i), feed_server.url("/slow")),
                        client=client,
                        settings=FAST,
                        limiter=limiter,
                    )
                    for i in range(3)
                )
            )

    asyncio.run(go())
    assert feed_server.max_active_total == 1


# --- cache headers -------------------------------------------------------------------------


def test_cache_control_max_age_is_reported(feed_server: FeedServer) -> None:
    feed_server.route("/f", Reply(body=FEED, headers={"Cache-Control": "public, max-age=600"}))
    assert fetch(feed_server.url("/f")).max_age == 600.0


def test_expires_is_reported_relative_to_the_server_date(feed_server: FeedServer) -> None:
    headers = {"Expires": "Sat, 01 Feb 2025 11:00:00 GMT", "Date": "Sat, 01 Feb 2025 10:00:00 GMT"}
    feed_server.route("/f", Reply(body=FEED, headers=headers))
    assert fetch(feed_server.url("/f")).max_age == 3600.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"cache-control": "max-age=60"}, 60.0),
        ({"cache-control": "no-store, max-age=60"}, 0.0),
        ({"cache-control": "max-age=60", "expires": "Thu, 01 Jan 2099 00:00:00 GMT"}, 60.0),
        ({"expires": "0"}, 0.0),
        ({"expires": "Thu, 01 Jan 1970 00:00:00 GMT"}, 0.0),
        (
            {"expires": "Sat, 01 Feb 2025 10:30:00 GMT", "date": "Sat, 01 Feb 2025 10:00:00 GMT"},
            1800.0,
        ),
    ],
)
def test_max_age_parsing(headers: dict[str, str], expected: float | None) -> None:
    assert parse_max_age(headers, now=1_700_000_000.0) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("120", 120.0),
        ("soon", None),
        ("Thu, 01 Jan 1970 00:01:40 GMT", 0.0),  # in the past: now
        ("Thu, 01 Jan 1970 00:03:20 GMT", 100.0),
    ],
)
def test_retry_after_parsing(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=100.0) == expected


# --- local files ---------------------------------------------------------------------------


def test_a_local_file_is_read_and_unchanged_next_time(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    first = fetch(str(path))
    assert (first.error, first.content, first.status, first.content_type) == (
        None,
        FEED,
        None,
        None,
    )
    assert first.url == path.as_uri()
    assert first.validators.etag and first.validators.last_modified
    again = fetch(path.as_uri(), validators=first.validators)
    assert (again.not_modified, again.content, again.validators) == (True, None, first.validators)
    path.write_bytes(FEED + b" ")
    changed = fetch(str(path), validators=first.validators)
    assert (changed.not_modified, changed.content) == (False, FEED + b" ")


def test_a_missing_or_huge_local_file_is_an_error(tmp_path: Path) -> None:
    missing = fetch(str(tmp_path / "nope.xml"))
    assert missing.error == f"file not found: {tmp_path / 'nope.xml'}"
    big = tmp_path / "big.xml"
    big.write_bytes(b"x" * (MiB + 1))
    assert fetch(str(big)).error == f"file larger than 1 MiB: {big}"


def test_settings_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="per_host"):
        FetchSettings(per_host=0)
    with pytest.raises(ValueError, match="read_timeout"):
        FetchSettings(read_timeout=0)


# --- transports: aiohttp's connections, httpx's where a proxy is set --------------------


def test_a_proxy_set_in_the_environment_carries_the_requests(
    feed_server: FeedServer, no_proxy_env: pytest.MonkeyPatch
) -> None:
    # The feed server stands as the proxy: it gets the request in absolute form.
    feed_server.route("http://feeds.invalid/f", Reply(body=FEED))
    no_proxy_env.setenv("HTTP_PROXY", feed_server.url("/").rstrip("/"))
    result = fetch("http://feeds.invalid/f")
    assert (result.error, result.content) == (None, FEED)
    assert [r.path for r in feed_server.requests] == ["http://feeds.invalid/f"]


def test_without_a_proxy_a_name_that_does_not_resolve_says_so(
    no_proxy_env: pytest.MonkeyPatch,
) -> None:
    assert fetch("http://feeds.invalid/f").error == (
        "could not resolve the host name feeds.invalid"
    )


def test_a_long_header_line_is_read(feed_server: FeedServer) -> None:
    # aiohttp refuses fields over 8,190 bytes by default; httpx's parser allowed far more
    cookie = "a=" + "x" * 20_000
    feed_server.route("/f", Reply(body=FEED, headers={"Set-Cookie": cookie}))
    result = fetch(feed_server.url("/f"))
    assert (result.error, result.content) == (None, FEED)
