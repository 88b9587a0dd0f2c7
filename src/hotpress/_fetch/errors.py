"""Words for transport failures: what a person reading ``hotpress sources`` should see."""

from __future__ import annotations

import socket

import httpx

from .headers import seconds
from .settings import FetchSettings


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps (httpx -> httpcore -> OSError)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _has(exc: BaseException, kind: type[BaseException]) -> bool:
    return any(isinstance(e, kind) for e in _causes(exc))


def _host(exc: httpx.HTTPError) -> str:
    try:
        return exc.request.url.host
    except RuntimeError:  # no request attached
        return "the server"


def describe_transport_error(
    exc: httpx.HTTPError, settings: FetchSettings, *, in_body: bool
) -> str:
    where = " mid-body" if in_body else ""
    if isinstance(exc, httpx.ConnectTimeout):
        return f"timed out after {seconds(settings.connect_timeout)} connecting to {_host(exc)}"
    if isinstance(exc, httpx.ReadTimeout):
        return f"timed out after {seconds(settings.read_timeout)} reading the response"
    if isinstance(exc, httpx.WriteTimeout):
        return f"timed out after {seconds(settings.read_timeout)} sending the request"
    if isinstance(exc, httpx.PoolTimeout):
        return "timed out waiting for a free connection"
    if isinstance(exc, httpx.ConnectError):
        if _has(exc, ConnectionRefusedError):
            return "connection refused"
        if _has(exc, socket.gaierror):
            return f"could not resolve the host name {_host(exc)}"
        return f"could not connect to {_host(exc)}: {exc}"
    if isinstance(exc, httpx.ReadError | httpx.WriteError | httpx.CloseError):
        if _has(exc, ConnectionResetError):
            return f"connection reset by the server{where}"
        return f"network error{where}: {exc or type(exc).__name__}"
    if isinstance(exc, httpx.RemoteProtocolError):
        if in_body:
            return "server closed the connection mid-body"
        if "without sending" in str(exc).lower() or "disconnected" in str(exc).lower():
            return "server closed the connection without sending a response"
        return f"the server sent a malformed HTTP response: {exc}"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"unsupported URL: {exc}"
    return f"{type(exc).__name__}: {exc}"


def is_retryable_transport_error(exc: httpx.HTTPError) -> bool:
    """Timeouts and lost connections may pass; a malformed URL or protocol will not."""
    # RemoteProtocolError is mostly a connection the server closed early.
    return isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError)
