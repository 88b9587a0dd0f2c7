"""A real local HTTP server for tests: 127.0.0.1, a free port, a background thread.

Routes are programmable per test::

    def test_x(feed_server):
        feed_server.route("/feed.xml", Reply(body=b"<rss/>", headers={"ETag": '"v1"'}))
        feed_server.route("/flaky", Reply(status=500), Reply(body=b"ok"))  # in turn, last repeats
        feed_server.route("/cond", lambda req: Reply(status=304) if req.header("if-none-match")
                          else Reply(body=b"x"))
        url = feed_server.url("/feed.xml")
        ...
        assert feed_server.requests_to("/feed.xml")[0].header("user-agent").startswith("hotpress")

A :class:`Reply` can delay its headers, drip its body, stall, close or reset mid-body, stream
for ever, and compress (gzip, deflate, raw deflate, br). The server logs every request and
counts requests in flight per ``Host`` header (``max_active``).

Fixtures ``feed_server``, ``feed_server_factory`` and ``closed_port``: share them with
``pytest_plugins = ["feedserver"]`` in ``tests/conftest.py`` (or import the ``fixture_*``
functions into a test module).
"""

from __future__ import annotations

import functools
import gzip
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import brotli  # type: ignore[import-untyped]
import pytest

_STOP_WAIT = 30.0  # a stalled reply waits at most this long (or until the server stops)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    """Path with the query string, as sent."""
    headers: dict[str, str]
    """Header names in lower case."""
    time: float
    """``time.monotonic()`` when the request line arrived."""
    peer: tuple[str, int] = ("", 0)
    """The client's address and port: one per TCP connection."""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    """``gzip``, ``deflate``, ``deflate-raw`` (sent as ``deflate``) or ``br``: compress ``body``
    and set ``Content-Encoding``. To send pre-encoded bytes (a bomb), set the header yourself."""
    delay: float = 0.0
    """Seconds before the status line is sent."""
    chunk: int | None = None
    """Send the body in pieces of this many bytes, ``pause`` seconds apart (slow drip)."""
    pause: float = 0.0
    stall_after: int | None = None
    """Send this many body bytes, then go silent until the server stops."""
    close_after: int | None = None
    """Send this many body bytes (announcing them all), then close the connection cleanly."""
    reset_after: int | None = None
    """Send this many body bytes, then reset the connection (TCP RST)."""
    infinite: bool = False
    """Repeat ``body`` for ever (chunked), until the client goes away."""
    content_length: bool = True
    """Announce ``Content-Length`` (else use chunked transfer encoding)."""
    hang_up: bool = False
    """Close the connection without sending any response."""

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(status=status, headers={"Location": location})

    def encoded_body(self) -> bytes:
        body = self.body.encode() if isinstance(self.body, str) else self.body
        if self.encoding == "gzip":
            return gzip.compress(body)
        if self.encoding == "deflate":
            return zlib.compress(body)
        if self.encoding == "deflate-raw":
            c = zlib.compressobj(wbits=-zlib.MAX_WBITS)
            return c.compress(body) + c.flush()
        if self.encoding == "br":
            return bytes(brotli.compress(body))
        return body


Handler = Callable[[RecordedRequest], Reply]


@functools.cache
def gzip_bomb(decompressed_size: int) -> bytes:
    """Gzip of ``decompressed_size`` zero bytes (about 1000:1), built without holding it all."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    piece = b"\0" * (1 << 20)
    parts = [c.compress(piece) for _ in range(decompressed_size // len(piece))]
    return b"".join(parts) + c.flush()


@functools.cache
def brotli_bomb(decompressed_size: int) -> bytes:
    return bytes(brotli.compress(b"\0" * decompressed_size, quality=5))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    feed: FeedServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        exc = sys.exc_info()[1]
        # A client hanging up (timeouts, caps) is expected; anything else is a server bug.
        if not isinstance(exc, ConnectionError | TimeoutError):
            self.feed.errors.append(exc)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.feed._serve(self)

    do_HEAD = do_GET


class FeedServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.requests: list[RecordedRequest] = []
        self.errors: list[BaseException | None] = []
        self.max_active: dict[str, int] = {}
        """Most requests in flight at once, per ``Host`` header."""
        self.max_active_total = 0
        self._routes: dict[str, Handler] = {}
        self._active: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd = _Server((host, 0), _Handler)
        self._httpd.feed = self
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- programming --------------------------------------------------------------------
    def url(self, path: str = "/", host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"

    def route(self, path: str, *replies: Reply | Handler) -> None:
        """Serve ``replies`` in turn on ``path`` (the last one repeats); a callable decides per
        request. ``path`` matches the request path without its query string."""
        if not replies:
            raise ValueError("route() needs at least one reply")
        if len(replies) == 1 and callable(replies[0]):
            self._routes[path] = replies[0]
            return
        queue = [r for r in replies if isinstance(r, Reply)]
        if len(queue) != len(replies):
            raise ValueError("give either one handler or several Reply objects")
        counter = iter(range(1 << 62))

        def in_turn(_: RecordedRequest) -> Reply:
            return queue[min(next(counter), len(queue) - 1)]

        self._routes[path] = in_turn

    def requests_to(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.split("?")[0] == path]

    # -- serving (runs in the server's threads) -----------------------------------------
    def _serve(self, h: _Handler) -> None:
        record = RecordedRequest(
            method=h.command,
            path=h.path,
            headers={k.lower(): v for k, v in h.headers.items()},
            time=time.monotonic(),
            peer=(str(h.client_address[0]), int(h.client_address[1])),
        )
        host = record.header("host") or ""
        with self._lock:
            self.requests.append(record)
            self._active[host] = self._active.get(host, 0) + 1
            self.max_active[host] = max(self.max_active.get(host, 0), self._active[host])
            self.max_active_total = max(self.max_active_total, sum(self._active.values()))
        try:
            handler = self._routes.get(h.path.split("?")[0])
            reply = handler(record) if handler else Reply(status=404, body=b"no such route")
            self._send(h, reply)
        finally:
            with self._lock:
                self._active[host] -= 1

    def _send(self, h: _Handler, reply: Reply) -> None:
        if reply.delay and self._stop.wait(reply.delay):
            h.close_connection = True
            return
        if reply.hang_up:
            h.close_connection = True
            return
        body = reply.encoded_body()
        h.send_response_only(reply.status)
        given = {name.lower() for name in reply.headers}
        if "date" not in given:  # a reply may set its own clock (Expires tests)
            h.send_header("Date", h.date_time_string())
        for name, value in reply.headers.items():
            h.send_header(name, value)
        if reply.encoding:
            h.send_header("Content-Encoding", reply.encoding.replace("deflate-raw", "deflate"))
        chunked = reply.infinite or not reply.content_length
        if chunked:
            h.send_header("Transfer-Encoding", "chunked")
        else:
            h.send_header("Content-Length", str(len(body)))
        cut = reply.stall_after, reply.close_after, reply.reset_after
        if any(c is not None for c in cut):
            h.close_connection = True
        h.end_headers()
        if h.command == "HEAD":
            return
        if reply.infinite:
            self._send_forever(h, body or b"x")
            return
        limit = min((c for c in cut if c is not None), default=len(body))
        self._write(h, body[:limit], reply, chunked)
        if chunked and limit == len(body):
            h.wfile.write(b"0\r\n\r\n")
        if reply.stall_after is not None:
            self._stop.wait(_STOP_WAIT)
        elif reply.reset_after is not None:
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.connection.close()

    def _write(self, h: _Handler, data: bytes, reply: Reply, chunked: bool) -> None:
        step = reply.chunk or len(data) or 1
        for i in range(0, len(data), step):
            piece = data[i : i + step]
            h.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            if reply.pause and self._stop.wait(reply.pause):
                return

    def _send_forever(self, h: _Handler, piece: bytes) -> None:
        frame = b"%x\r\n%s\r\n" % (len(piece), piece)
        while not self._stop.is_set():
            h.wfile.write(frame)  # raises once the client has gone


def free_closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture(name="feed_server")
def fixture_feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server
    assert not server.errors, f"the test server itself failed: {server.errors!r}"


@pytest.fixture(name="feed_server_factory")
def fixture_feed_server_factory() -> Iterator[Callable[[], FeedServer]]:
    """More servers in one test (each on its own port)."""
    servers: list[FeedServer] = []

    def make() -> FeedServer:
        server = FeedServer().start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
    assert not [e for s in servers for e in s.errors]


@pytest.fixture(name="closed_port")
def fixture_closed_port() -> int:
    return free_closed_port()
