"""httpx's client on aiohttp's connections: an ``httpx.AsyncBaseTransport`` that sends each
request through an ``aiohttp.ClientSession``.

Why: httpx's own transport (httpcore over anyio) spends ~0.7 ms of CPU a request on loopback
(its connection pool checks every pooled socket on each request, and anyio's cancel scopes
and locks run for every read); aiohttp's C parser and pool take ~0.07 ms, ~0.2 ms through
this transport (docs/benchmarks.md). A refresh is one GET a source, so that is a sixth of a
worker's CPU a source. Everything above the transport stays httpx: redirects followed by
hand, cookies, the streamed body and its capped decoding (``auto_decompress`` is off: the
body comes as sent), the timeouts (httpx passes them in the request's extensions).

aiohttp's failures become the httpx exceptions httpx's transport would raise, each chained
to the aiohttp error (and that to the ``OSError`` or ``ssl`` error under it), so
``errors.describe_network_error`` words them as before. Proxies: :func:`make_client` uses
this transport only when no proxy is set in the environment (httpx then routes through it
as always).
"""

from __future__ import annotations

import errno
import ssl
from collections.abc import AsyncIterator
from typing import NoReturn

import aiohttp
import httpx
import yarl

__all__ = ["AiohttpTransport"]

_HEADER_LIMIT = 64 * 1024
"""Longest status line or header field accepted (aiohttp's default, 8,190 bytes, refuses
pages some sites send with long cookies; h11, httpx's own parser, allows 64 KiB and more)."""


_KEEPALIVE = 5.0
"""Seconds an idle connection is kept (httpx's default ``keepalive_expiry``)."""

_RESET = "ConnectionResetError("
"""How aiohttp names a reset in a payload error's message: it keeps the lost connection's
error only there (by ``repr``), not as a cause."""


def _mapped(exc: BaseException, *, in_body: bool) -> httpx.TransportError:
    """The httpx error for an aiohttp failure (:func:`_fail` raises it)."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(text)
    if isinstance(exc, aiohttp.ServerTimeoutError | TimeoutError):
        return httpx.ReadTimeout(text)
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, DNS, TLS handshake, proxy
        return httpx.ConnectError(text)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        if in_body:
            return httpx.RemoteProtocolError("peer closed the connection mid-body")
        return httpx.RemoteProtocolError("Server disconnected without sending a response.")
    if isinstance(exc, aiohttp.ClientPayloadError):
        if _RESET in text:
            return httpx.ReadError(text)
        return httpx.RemoteProtocolError(text)  # closed before the end of the body
    if isinstance(exc, aiohttp.ClientResponseError):  # a status line or header aiohttp refused
        return httpx.RemoteProtocolError(getattr(exc, "message", "") or text)
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(text)
    if isinstance(exc, OSError):  # reset, broken pipe (aiohttp's ClientOSError is one)
        return httpx.ReadError(text) if in_body else httpx.ConnectError(text)
    return httpx.NetworkError(text)


_FAILURES = (aiohttp.ClientError, OSError, TimeoutError)
"""What aiohttp raises for a failed request (its timeouts are ``TimeoutError`` too)."""


def _fail(exc: BaseException, *, in_body: bool) -> NoReturn:
    """Raise the httpx error for ``exc``, chained to it; a reset that aiohttp named only in
    its message is chained through a ``ConnectionResetError`` (what ``errors.py`` looks for)."""
    cause = exc
    if isinstance(exc, aiohttp.ClientPayloadError) and _RESET in str(exc):
        cause = ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
        cause.__cause__ = exc
    raise _mapped(exc, in_body=in_body) from cause


class _Body(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except _FAILURES as exc:
            _fail(exc, in_body=True)

    async def aclose(self) -> None:
        # Back to the pool when read to the end, closed otherwise (a redirect, an error page
        # read in part): never reused in the middle of a message.
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """One aiohttp session (opened at the first request, inside the running loop), its pool
    bounded like httpx's by ``max_connections``."""

    def __init__(self, *, context: ssl.SSLContext, max_connections: int) -> None:
        self._context = context
        self._limit = max_connections
        self._session: aiohttp.ClientSession | None = None

    @property
    def context(self) -> ssl.SSLContext:
        return self._context

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            ssl=self._context,
            limit=self._limit,
            limit_per_host=0,  # per host: the fetch stage's own limiter
            # httpx's keep-alive expiry: a connection kept between a worker's rounds is
            # dropped, not reused stale (a stale one is sent again at once by aiohttp)
            keepalive_timeout=_KEEPALIVE,
        )
        return aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),  # httpx keeps the cookies
            trust_env=False,
            max_line_size=_HEADER_LIMIT,
            max_field_size=_HEADER_LIMIT,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._session is None:
            self._session = self._open()
        timeout = request.extensions.get("timeout", {})
        body = await request.aread()
        try:
            response = await self._session.request(
                request.method,
                yarl.URL(str(request.url), encoded=True),
                headers=request.headers.multi_items(),
                data=body or None,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=timeout.get("pool"),
                    sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read"),
                ),
                server_hostname=request.extensions.get("sni_hostname"),
            )
        except _FAILURES as exc:
            _fail(exc, in_body=False)
        major, minor = response.version or (1, 1)
        extensions: dict[str, object] = {"http_version": f"HTTP/{major}.{minor}".encode()}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode("latin-1", "replace")
        return httpx.Response(
            status_code=response.status,
            headers=list(response.raw_headers),
            stream=_Body(response),
            request=request,
            extensions=extensions,
        )

    async def aclose(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
