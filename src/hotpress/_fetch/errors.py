"""Words for transport failures: what a person reading ``hotpress sources`` should see."""

from __future__ import annotations

import socket
import ssl

import httpx

from hotpress.exceptions import causes

from .headers import seconds
from .settings import FetchSettings


def _has(exc: BaseException, kind: type[BaseException]) -> bool:
    return any(isinstance(e, kind) for e in causes(exc))


def _host(exc: httpx.HTTPError) -> str:
    try:
        return exc.request.url.host
    except RuntimeError:  # no request attached
        return "the server"


def describe_transport_error(
    exc: httpx.HTTPError, settings: FetchSettings, *, in_body: bool
) -> str:
    """A fetch's transport failure in words (see :func:`describe_network_error`)."""
    return describe_network_error(
        exc,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        in_body=in_body,
    )


def _after(timeout: float | None) -> str:
    return f" after {seconds(timeout)}" if timeout is not None else ""


def _os_words(exc: BaseException, host: str) -> str | None:
    """The words for the OS-level failure under an httpx error (or a bare OSError)."""
    if _has(exc, socket.gaierror):
        return f"could not resolve the host name {host}"
    if _has(exc, ConnectionRefusedError):
        return "connection refused"
    if _has(exc, ConnectionResetError):
        return "connection reset by the server"
    if _has(exc, ssl.SSLCertVerificationError):
        return f"the TLS certificate of {host} could not be verified"
    if _has(exc, ssl.SSLError):
        return f"TLS handshake with {host} failed"
    return None


def describe_network_error(
    exc: BaseException,
    *,
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
    in_body: bool = False,
) -> str:
    """One wording for each kind of network failure, wherever it happens (a source's fetch,
    the RSSHub catalog): ``could not resolve the host name rsshub.app``, never ``[Errno -2]
    Name or service not known`` in one place and a sentence in another. Takes an
    ``httpx.HTTPError`` or a plain ``OSError``."""
    where = " mid-body" if in_body else ""
    host = _host(exc) if isinstance(exc, httpx.HTTPError) else "the server"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"timed out{_after(connect_timeout)} connecting to {host}"
    if isinstance(exc, httpx.ReadTimeout):
        return f"timed out{_after(read_timeout)} reading the response"
    if isinstance(exc, httpx.WriteTimeout):
        return f"timed out{_after(read_timeout)} sending the request"
    if isinstance(exc, httpx.PoolTimeout):
        return "timed out waiting for a free connection"
    if isinstance(exc, httpx.ConnectError | OSError):
        words = _os_words(exc, host)
        if words is not None:
            return words
        if isinstance(exc, OSError) and exc.strerror:
            return f"could not connect to {host}: {exc.strerror}"
        return f"could not connect to {host}: {exc}"
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
