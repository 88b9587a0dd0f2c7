"""One source over HTTP(S): conditional GET, manual redirects, capped decoding, retries.

Every failure of the source becomes a :class:`FetchResult` with ``error`` set; only a bug (an
exception type not handled here) escapes. Internally a failed attempt is a ``FetchError``.
"""

from __future__ import annotations

import asyncio
import random
import time
import urllib.request
from dataclasses import dataclass

import httpx

from ..exceptions import FetchError
from ..types import FetchRequest, FetchResult, Validators
from .aio import AiohttpTransport
from .decode import BodyTooLarge, Chain
from .errorpage import error_detail
from .errors import describe_transport_error, is_retryable_transport_error
from .guard import Resolver, redirect_refusal, system_resolver
from .headers import (
    conditional_headers,
    parse_max_age,
    parse_retry_after,
    seconds,
    size,
    status_message,
)
from .limits import HostLimiter
from .settings import FetchSettings
from .stall import StallWatch
from .tls import shared_context

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ERROR_BODY_CAP = 64 * 1024
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)


def make_client(
    settings: FetchSettings, *, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The client the pipeline creates once per run (a worker: once per thread) and passes to
    :func:`fetch_all`: httpx on aiohttp's connections (``aio.py``), or on httpx's own where
    the environment sets a proxy (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``), which
    httpx's transports honour as they always have."""
    if transport is None and not _proxied():
        transport = AiohttpTransport(context=shared_context(), max_connections=settings.concurrency)
    return httpx.AsyncClient(
        # One context per process, its CA bundle read at the first TLS handshake (tls.py):
        # loading it took ~45 ms of CPU, and every worker thread makes a client.
        verify=shared_context(),
        headers={
            "User-Agent": settings.user_agent,
            "Accept": _ACCEPT,
            # Only what hotpress decodes itself (with a cap); never zstd.
            "Accept-Encoding": "gzip, deflate, br",
        },
        timeout=httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.read_timeout,
            # Our semaphores already bound the load; the pool wait is covered by the deadline.
            pool=settings.total_timeout,
        ),
        limits=httpx.Limits(
            max_connections=settings.concurrency,
            max_keepalive_connections=settings.concurrency,
        ),
        # Redirects are followed by hand to count them and refuse non-http schemes.
        follow_redirects=False,
        http2=False,
        transport=transport,
    )


def _proxied() -> bool:
    """A proxy set in the environment (``no_proxy`` alone is none)."""
    return any(key != "no" for key in urllib.request.getproxies())


class _Failed(FetchError):
    def __init__(
        self,
        message: str,
        *,
        url: str,
        status: int | None = None,
        retry_after: float | None = None,
        retryable: bool = False,
        timed_out: bool = False,
    ) -> None:
        super().__init__(message, url=url, status=status, retry_after=retry_after)
        self.retryable = retryable
        self.timed_out = timed_out
        """No answer in time (what makes a host count as stalled, see ``stall.py``)."""


@dataclass(frozen=True, slots=True)
class _Got:
    url: str
    status: int
    content: bytes | None
    content_type: str | None
    validators: Validators
    max_age: float | None


def _next_url(response: httpx.Response, seen: set[str], hops: int, limit: int) -> str:
    here = str(response.url)
    location = response.headers.get("location")
    if not location:
        raise _Failed(f"redirect (HTTP {response.status_code}) without a Location", url=here)
    try:
        target = response.url.join(location)
    except httpx.InvalidURL as exc:
        raise _Failed(f"redirect to an invalid URL {location!r}", url=here) from exc
    if target.scheme not in ("http", "https"):
        raise _Failed(f"redirect to non-http URL {target}", url=here)
    if str(target) in seen:
        raise _Failed(f"redirect loop: {here} leads back to {target}", url=here)
    if hops >= limit:
        raise _Failed(f"too many redirects (more than {limit})", url=here)
    seen.add(str(target))
    return str(target)


def _check_port(url: str) -> None:
    # httpx takes any number; the socket layer then raises OverflowError, which is no
    # httpx error and used to escape the source's handling (and cancel the whole batch).
    port = httpx.URL(url).port
    if port is not None and not 0 < port < 65536:
        raise _Failed(f"invalid URL: port {port} is out of range (1-65535)", url=url)


async def _read_body(response: httpx.Response, cap: int) -> bytes:
    url = str(response.url)
    declared = response.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > cap:
        raise _Failed(f"response larger than {size(cap)}", url=url, status=response.status_code)
    received = 0
    parts: list[bytes] = []
    try:
        chain = Chain(response.headers.get("content-encoding"), cap, url)
        async for chunk in response.aiter_raw():
            received += len(chunk)
            if received > cap:
                raise BodyTooLarge
            parts.append(chain.decode(chunk))
        parts.append(chain.flush())
    except BodyTooLarge:
        raise _Failed(
            f"response larger than {size(cap)}", url=url, status=response.status_code
        ) from None
    except FetchError as exc:
        raise _Failed(exc.message, url=url, status=response.status_code) from exc
    return b"".join(parts)


async def _error_detail(response: httpx.Response) -> str | None:
    """Best effort: what the error page says, from at most its first 64 KiB."""
    url = str(response.url)
    parts: list[bytes] = []
    received = 0
    try:
        chain = Chain(response.headers.get("content-encoding"), _ERROR_BODY_CAP, url)
        async for chunk in response.aiter_raw():
            received += len(chunk)
            parts.append(chain.decode(chunk))
            if received >= _ERROR_BODY_CAP:
                break
        else:
            parts.append(chain.flush())
    except (BodyTooLarge, FetchError, httpx.HTTPError):
        pass  # a page we cannot read adds nothing to the status line
    return error_detail(b"".join(parts)[:_ERROR_BODY_CAP], response.headers.get("content-type"))


async def _attempt(
    client: httpx.AsyncClient, request: FetchRequest, settings: FetchSettings, resolve: Resolver
) -> _Got:
    url = request.url
    seen = {url}
    headers = {**dict(request.headers), **conditional_headers(request.validators)}
    hops = 0
    while True:
        in_body = False
        try:
            _check_port(url)
            async with client.stream("GET", url, headers=headers) as response:
                status = response.status_code
                if status in _REDIRECTS:
                    url = _next_url(response, seen, hops, settings.max_redirects)
                    hops += 1
                    refusal = await redirect_refusal(request.url, url, resolve)
                    if refusal is not None:
                        raise _Failed(refusal, url=str(response.url))
                    continue
                final = str(response.url)
                now = time.time()
                max_age = parse_max_age(response.headers, now)
                if status == 304:
                    # Read its (empty) body to the end: a response closed before the end of
                    # the message takes its connection with it, instead of back to the pool.
                    await response.aread()
                    # A 304 may refresh validators; whatever it omits stays as it was.
                    old = request.validators
                    validators = Validators(
                        etag=response.headers.get("etag") or old.etag,
                        last_modified=response.headers.get("last-modified") or old.last_modified,
                    )
                    return _Got(final, status, None, None, validators, max_age)
                if not 200 <= status < 300:
                    retry_after = parse_retry_after(response.headers.get("retry-after"), now)
                    message = status_message(status, response.reason_phrase)
                    detail = await _error_detail(response)
                    if detail:
                        message += f": {detail}"
                    if retry_after is not None:
                        message += f" (the server asks to wait {seconds(round(retry_after))})"
                    raise _Failed(
                        message,
                        url=final,
                        status=status,
                        retry_after=retry_after,
                        retryable=status == 429 or status >= 500,
                    )
                in_body = True
                content = await _read_body(response, settings.max_body_bytes)
                validators = Validators(
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                )
                content_type = response.headers.get("content-type")
                return _Got(final, status, content, content_type, validators, max_age)
        except httpx.InvalidURL as exc:
            raise _Failed(f"invalid URL: {exc}", url=url) from exc
        except httpx.HTTPError as exc:
            message = describe_transport_error(exc, settings, in_body=in_body)
            retryable = is_retryable_transport_error(exc)
            timed_out = isinstance(exc, httpx.TimeoutException)
            raise _Failed(message, url=url, retryable=retryable, timed_out=timed_out) from exc


def _backoff(settings: FetchSettings, attempt: int) -> float:
    # Exponential, with jitter in [50%, 100%] so many sources failing together spread out.
    return float(settings.backoff_base * 2**attempt * random.uniform(0.5, 1.0))


def _host(url: str) -> str:
    return (httpx.URL(url).host or "").lower()


async def fetch_http(
    request: FetchRequest,
    *,
    client: httpx.AsyncClient,
    settings: FetchSettings,
    limiter: HostLimiter,
    resolve: Resolver | None = None,
    stalls: StallWatch | None = None,
) -> FetchResult:
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        host = _host(request.url)
    except httpx.InvalidURL as exc:
        return _failure(request, _Failed(f"invalid URL: {exc}", url=request.url), 0.0)
    result = await _fetch_http(request, host, client, settings, limiter, resolve, stalls)
    if isinstance(result, _Failed):
        return _failure(request, result, loop.time() - started)
    if result is None:
        return _failure(request, _host_stalled(request, host, stalls), loop.time() - started)
    return _success(request, result, loop.time() - started)


def _host_stalled(request: FetchRequest, host: str, stalls: StallWatch | None) -> _Failed:
    streak = stalls.stalled(host) if stalls is not None else None
    return _Failed(
        f"not tried: {host} stopped answering in this run ({streak} requests in a row "
        "timed out); it is tried again next run",
        url=request.url,
        timed_out=True,
    )


def _deadline_failure(
    request: FetchRequest, settings: FetchSettings, earlier: _Failed | None
) -> _Failed:
    total = seconds(settings.total_timeout)
    if earlier is not None:  # a retry ran out of time: the first failure says what happened
        message = f"{earlier.message}; gave up after {total} in total, retries included"
    else:
        message = (
            f"gave up after {total} in total (the server is too slow to send the whole response)"
        )
    return _Failed(
        message, url=request.url, status=earlier.status if earlier else None, timed_out=True
    )


async def _fetch_http(
    request: FetchRequest,
    host: str,
    client: httpx.AsyncClient,
    settings: FetchSettings,
    limiter: HostLimiter,
    resolve: Resolver | None,
    stalls: StallWatch | None,
) -> _Got | _Failed | None:
    """The response, the last failure, or ``None`` when the host stalled before the first
    attempt. Each attempt tells ``stalls`` whether it timed out."""
    loop = asyncio.get_running_loop()
    # Time spent queued behind other sources does not count against the deadline.
    budget = settings.total_timeout
    failed: _Failed | None = None
    for attempt in range(settings.retries + 1):
        async with limiter.slot(host):
            if stalls is not None and stalls.stalled(host) is not None:
                return failed  # the host stopped answering while this one waited
            t0 = loop.time()
            try:
                async with asyncio.timeout(budget) as deadline:
                    got = await _attempt(client, request, settings, resolve or system_resolver)
            except _Failed as exc:
                failed = exc
            except TimeoutError:
                if not deadline.expired():
                    raise
                failed = _deadline_failure(request, settings, failed)
            else:
                if stalls is not None:
                    stalls.record(host, timed_out=False)
                return got
            if stalls is not None:
                stalls.record(host, timed_out=failed.timed_out)
            budget -= loop.time() - t0
        if not failed.retryable or attempt == settings.retries:
            break
        if failed.retry_after is not None:
            if failed.retry_after > settings.max_retry_after:
                break  # reported in the result; the scheduler waits, not this run
            delay = failed.retry_after
        else:
            delay = _backoff(settings, attempt)
        if delay >= budget:
            break
        await asyncio.sleep(delay)
        budget -= delay
    return failed


def _success(request: FetchRequest, got: _Got, duration: float) -> FetchResult:
    return FetchResult(
        source_key=request.source_key,
        url=got.url,
        status=got.status,
        content=got.content,
        content_type=got.content_type,
        validators=got.validators,
        duration=duration,
        not_modified=got.status == 304,
        max_age=got.max_age,
    )


def _failure(request: FetchRequest, failed: FetchError, duration: float) -> FetchResult:
    return FetchResult(
        source_key=request.source_key,
        url=failed.url,
        status=failed.status,
        content=None,
        content_type=None,
        # A failure teaches nothing new: keep the validators for the next try.
        validators=request.validators,
        duration=duration,
        error=failed.message,
        retry_after=failed.retry_after,
    )
