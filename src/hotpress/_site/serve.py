"""``hotpress serve``: preview the site on loopback and rebuild it when the archive changes.

A plain threaded HTTP server over the site folder (the site is static, so nothing more is
needed), plus a watcher thread that polls the archive for commits and runs an incremental
build with its own connection when one lands.
"""

from __future__ import annotations

import errno
import functools
import socket
import threading
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from hotpress._lock import run_lock
from hotpress._publish.report import OutputReport
from hotpress._storage import open_storage
from hotpress.config import Settings
from hotpress.exceptions import LockedError, PublishError, ServeError


class _Handler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def make_server(root: Path, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """An HTTP server for the built site (port 0 picks a free port).

    Raises :class:`ServeError` with one sentence when the address cannot be bound."""
    handler = functools.partial(_Handler, directory=str(root))
    _Handler.extensions_map = {**_Handler.extensions_map, ".json": "application/json"}
    try:
        return ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise ServeError(_bind_problem(exc, host, port)) from exc


def _bind_problem(exc: OSError, host: str, port: int) -> str:
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} is already in use on {host} (another `hotpress serve`?); "
            f"choose another with --port, e.g. --port {port + 1 if port < 65535 else 8080}"
        )
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on {where} (ports below 1024 need root); use --port 8000"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {where}: {host} is not an address of this machine (see --host)"
    if isinstance(exc, socket.gaierror):
        return f"cannot listen on {where}: unknown host name {host!r} (see --host)"
    return f"cannot listen on {where}: {exc.strerror or exc}"


def _stamp(database: Path | str) -> tuple[tuple[int, int], ...]:
    if isinstance(database, str):
        return ()  # a server's archive: its data version says it all
    marks = []
    for path in (database, database.with_name(database.name + "-wal")):
        try:
            stat = path.stat()
        except FileNotFoundError:
            marks.append((0, 0))
        else:
            marks.append((stat.st_mtime_ns, stat.st_size))
    return tuple(marks)


LOCK_WAIT = 30.0
"""How long the first build waits for a run that holds the archive."""


def _build_once(settings: Settings, *, wait: float = LOCK_WAIT) -> OutputReport:
    """One build under the run lock, through the archive's ``Storage`` like any run: a
    ``hotpress run`` publishing the site at the same time never writes beside it."""
    from hotpress._site.build import build_site

    with run_lock(settings.database, wait=wait):
        storage = open_storage(settings.database)
        try:
            return build_site(settings, storage)
        finally:
            storage.close()


def watch(
    settings: Settings,
    stop: threading.Event,
    *,
    interval: float = 1.0,
    on_build: Callable[[OutputReport], None] | None = None,
) -> None:
    """Rebuild whenever the archive changes, until ``stop`` is set.

    A change is a new ``PRAGMA data_version`` (SQLite bumps it on every commit by another
    connection, which file times at the kernel's coarse clock can miss) or a new file stamp
    (the archive replaced whole). The build's own commits bump it too: the next round then
    runs a build that finds nothing to do, stops after one query and reports nothing."""
    storage = open_storage(settings.database)
    try:

        def mark() -> tuple[object, ...]:
            return (storage.data_version(), _stamp(settings.database))

        seen = mark()
        while not stop.wait(interval):
            now = mark()
            if now == seen:
                continue
            try:
                report = _build_once(settings, wait=0.0)
            except LockedError:
                continue  # a run holds the archive: try again at the next tick
            seen = now
            if on_build is not None and (report.written or report.error):
                on_build(report)
    finally:
        storage.close()


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    interval: float = 1.0,
    on_build: Callable[[OutputReport], None] | None = None,
    on_ready: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Build once, then serve until interrupted (or ``stop`` is set), rebuilding when the
    archive changes."""
    if settings.site_dir is None:
        raise PublishError("no site folder configured (output.site)", path=settings.path)
    # Listen first: a taken port is reported at once, not after a build.
    server = make_server(settings.site_dir, host, port)
    try:
        report = _build_once(settings)
    except BaseException:
        server.server_close()
        raise
    if on_build is not None:
        on_build(report)
    stop = stop or threading.Event()

    # serve_forever only returns on shutdown(), which must come from another thread.
    def stop_on_request() -> None:
        stop.wait()
        server.shutdown()

    threading.Thread(target=stop_on_request, daemon=True).start()
    watcher = threading.Thread(
        target=watch,
        args=(settings, stop),
        kwargs={"interval": interval, "on_build": on_build},
        daemon=True,
    )
    watcher.start()
    if on_ready is not None:
        bound_host, bound_port = server.server_address[:2]
        on_ready(f"http://{bound_host!s}:{bound_port}/")
    try:
        server.serve_forever()
    finally:
        stop.set()
        server.server_close()
        watcher.join(timeout=5)
