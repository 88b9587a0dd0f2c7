"""Faults of a real (local) HTTP peer, through `hotpress run` as a user runs it.

Each case: a run with the fault source serving a good feed, then a run in a subprocess where
that source misbehaves beside a good source. The second run must finish within its time
bound and a bounded peak memory (``ru_maxrss`` of the child), mark the source failing with
words a person understands, publish the good source's new item, and leave everything stored
before (items, posts) as it was.
"""

from __future__ import annotations

import email.utils
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

import pytest

from feedserver import FeedServer, Reply, gzip_bomb
from hotpress import cli
from hotpress._storage import SQLiteStorage

RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}
MEMORY_BOUND_MB = 150  # a bare run peaks near 60 MB; a materialised bomb would be far above
BOMB_SIZE = 256 << 20  # 256 MiB of zeros in ~256 KiB of gzip (the cap is 1 MiB)


def item(guid: str, title: str, body: str = "<p>正文</p>") -> str:
    return (
        f'<item><title>{escape(title)}</title><guid isPermaLink="false">{guid}</guid>'
        f"<link>https://example.com/{guid}</link><description>{escape(body)}</description>"
        "<pubDate>Mon, 15 Jan 2024 02:30:00 GMT</pubDate></item>"
    )


def rss(*items: str, encoding: str = "UTF-8") -> str:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
        f"<title>测试</title><link>https://example.com/</link>{''.join(items)}</channel></rss>"
    )


GOOD_BEFORE = rss(item("g1", "好消息一")).encode()
GOOD_AFTER = rss(item("g1", "好消息一"), item("g2", "好消息二")).encode()
FAULTY_BEFORE = rss(
    *(item(f"f{i}", f"原有条目{i}", "<p>" + "内容" * 200 + "</p>") for i in range(3))
)


# --- a raw peer for what FeedServer cannot say: a declared 10 GB body --------------------


class HugeBodyServer:
    """Answers every request with ``Content-Length: 10 GiB`` and streams until the client
    leaves; counts the bytes it managed to send."""

    SIZE = 10 << 30

    def __init__(self, port: int) -> None:
        self.sent = 0
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self._sock.listen(8)
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            request = b""
            while b"\r\n\r\n" not in request:
                piece = conn.recv(4096)
                if not piece:
                    return
                request += piece
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                f"Content-Length: {self.SIZE}\r\n\r\n"
            )
            chunk = b"<item>" + b"x" * 65530
            try:
                conn.sendall(head.encode())
                while self.sent < self.SIZE and not self._stop.is_set():
                    conn.sendall(chunk)
                    self.sent += len(chunk)
            except OSError:
                return  # the client hung up: what a capped reader does

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)  # the accept loop notices within its 0.2 s timeout
        self._sock.close()


# --- the cases -----------------------------------------------------------------------------


@dataclass
class Origin:
    """The server the faulty source lives on; a case may stop it or replace it."""

    server: FeedServer
    huge: HugeBodyServer | None = None


@dataclass(frozen=True)
class Fault:
    words: tuple[str, ...]
    """Lower-case words the recorded error must contain."""
    install: Callable[[Origin], None]
    bound: float = 6.0
    """Seconds the whole `hotpress run` (interpreter start included) may take."""


def _serve(reply: Reply) -> Callable[[Origin], None]:
    return lambda origin: origin.server.route("/fault", reply)


def _refuse(origin: Origin) -> None:
    origin.server.stop()


def _huge(origin: Origin) -> None:
    port = origin.server.port
    origin.server.stop()
    origin.huge = HugeBodyServer(port)


def _loop(origin: Origin) -> None:
    origin.server.route("/fault", Reply.redirect(origin.server.url("/elsewhere")))
    origin.server.route("/elsewhere", Reply.redirect(origin.server.url("/fault"), status=301))


def _http_date(delta: timedelta) -> str:
    return email.utils.format_datetime(datetime.now(UTC) + delta, usegmt=True)


TRUNCATED = rss(*(item(f"f{i}", f"原有条目{i}", "<p>改过的内容</p>") for i in range(3))).encode()
HTML_ERROR = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"
)

FAULTS: dict[str, Fault] = {
    "connection refused": Fault(("connection refused",), _refuse),
    "reset mid-body": Fault(
        ("reset",), _serve(Reply(body=FAULTY_BEFORE, headers=RSS_TYPE, reset_after=700))
    ),
    "body stalls forever": Fault(
        ("timed out",),
        _serve(Reply(body=FAULTY_BEFORE, headers=RSS_TYPE, stall_after=500)),
        bound=10.0,
    ),
    "headers never come": Fault(("timed out",), _serve(Reply(delay=60)), bound=10.0),
    "10 GB body declared": Fault(("larger than",), _huge),
    "endless chunked body": Fault(
        ("larger than",), _serve(Reply(body=b"<item>" * 10000, headers=RSS_TYPE, infinite=True))
    ),
    "gzip bomb": Fault(
        ("larger than",),
        _serve(Reply(body=gzip_bomb(BOMB_SIZE), headers={**RSS_TYPE, "Content-Encoding": "gzip"})),
    ),
    "redirect loop": Fault(("redirect loop",), _loop),
    "redirect to a non-http scheme": Fault(
        ("non-http", "file:"), _serve(Reply.redirect("file:///etc/passwd"))
    ),
    "429 with Retry-After": Fault(
        ("429", "wait"), _serve(Reply(status=429, headers={"Retry-After": "3600"}))
    ),
    "503 with Retry-After date": Fault(
        ("503", "wait"),
        _serve(Reply(status=503, headers={"Retry-After": _http_date(timedelta(hours=2))})),
    ),
    "200 with an HTML error page": Fault(
        ("not a feed", "html", "502 bad gateway"),
        _serve(Reply(body=HTML_ERROR, headers={"Content-Type": "text/html"})),
    ),
    "empty 200 body": Fault(("empty",), _serve(Reply(body=b"", headers=RSS_TYPE))),
    "truncated XML": Fault(
        ("truncated",), _serve(Reply(body=TRUNCATED[: len(TRUNCATED) * 2 // 3], headers=RSS_TYPE))
    ),
}


# --- running and looking -----------------------------------------------------------------


@dataclass(frozen=True)
class Finished:
    code: int
    seconds: float
    peak_mb: float
    out: str


# The child reports its own peak (VmHWM of its own address space). wait4()'s ru_maxrss would
# also count the pages of the pytest process it was forked from, which can be hundreds of MB.
_CHILD = (
    "import atexit, sys\n"
    "peak_file = sys.argv.pop(1)\n"
    "def report():\n"
    "    with open('/proc/self/status') as status:\n"
    "        for line in status:\n"
    "            if line.startswith('VmHWM:'):\n"
    "                with open(peak_file, 'w') as out:\n"
    "                    out.write(line.split()[1])\n"
    "atexit.register(report)\n"
    "from hotpress.cli import main\n"
    "raise SystemExit(main(sys.argv[1:]))\n"
)


def run_hotpress(config: Path, *args: str, timeout: float = 60.0) -> Finished:
    """`hotpress run` in a child process, with its wall time and its own peak memory."""
    log = config.with_name("run.log")
    peak_file = config.with_name("peak.kb")
    peak_file.unlink(missing_ok=True)
    started = time.monotonic()
    with log.open("wb") as out:
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(peak_file), "run", "-c", str(config), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:  # a hung run: stop it, the bound assert reports it
        child.kill()
        child.wait()
    peak_kb = float(peak_file.read_text()) if peak_file.exists() else float("inf")
    return Finished(
        code=child.returncode,
        seconds=time.monotonic() - started,
        peak_mb=peak_kb / 1024,
        out=log.read_text(encoding="utf-8", errors="replace"),
    )


def write_config(folder: Path, good: str, faulty: str) -> Path:
    config = folder / "hotpress.yml"
    config.write_text(
        "output:\n  hexo: posts\n"
        "fetch:\n  timeout: 1\n  retries: 1\n  max_body_mb: 1\n  min_host_interval: 0\n"
        "sources:\n"
        f"  - category: [新闻, 好源, 频道]\n    url: {good}\n"
        f"  - category: [新闻, 坏源, 频道]\n    url: {faulty}\n",
        encoding="utf-8",
    )
    return config


def item_rows(db: Path) -> dict[str, dict[str, object]]:
    """Every archived item, every column, by identity (and its source's URL)."""
    with closing(sqlite3.connect(db)) as conn:
        cursor = conn.execute(
            "SELECT s.url AS source_url, i.* FROM items i JOIN sources s ON s.id = i.source_id"
        )
        names = [d[0] for d in cursor.description]
        return {row[names.index("identity")]: dict(zip(names, row, strict=True)) for row in cursor}


def files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture
def origin() -> Iterator[Origin]:
    place = Origin(FeedServer().start())
    yield place
    place.server.stop()
    if place.huge is not None:
        place.huge.close()


@pytest.mark.parametrize("name", list(FAULTS))
def test_a_faulty_source_fails_alone_and_nothing_stored_changes(
    name: str, tmp_path: Path, feed_server: FeedServer, origin: Origin
) -> None:
    fault = FAULTS[name]
    faulty_url = origin.server.url("/fault")
    feed_server.route("/good", Reply(body=GOOD_BEFORE, headers=RSS_TYPE))
    origin.server.route("/fault", Reply(body=FAULTY_BEFORE.encode(), headers=RSS_TYPE))
    config = write_config(tmp_path, feed_server.url("/good"), faulty_url)
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    rows_before = item_rows(tmp_path / "hotpress.db")
    posts_before = files(tmp_path / "posts")
    assert len(rows_before) == 4 and len(posts_before) == 4

    feed_server.route("/good", Reply(body=GOOD_AFTER, headers=RSS_TYPE))
    fault.install(origin)
    started = datetime.now(UTC)
    done = run_hotpress(config, timeout=fault.bound + 30)

    assert done.seconds < fault.bound, done
    assert done.peak_mb < MEMORY_BOUND_MB, done
    assert done.code == 0, done.out  # one source failing is a result, not a failed run
    assert "1 ok, 1 failed" in done.out
    with SQLiteStorage(tmp_path / "hotpress.db") as store:
        assert store.integrity_ok()
        states = {s.url: s for s in store.sources(datetime.now(UTC))}
    bad, good = states[faulty_url], states[feed_server.url("/good")]
    assert bad.error_count == 1 and bad.last_error is not None
    for word in fault.words:
        assert word in bad.last_error.lower(), bad.last_error
    assert bad.last_error in done.out  # the person running it sees the same sentence
    assert bad.last_success is not None and bad.last_success < started + timedelta(seconds=1)
    assert good.error_count == 0 and good.items_total == 2

    rows_after = item_rows(tmp_path / "hotpress.db")
    assert set(rows_after) - set(rows_before) != set()
    for identity, before in rows_before.items():
        after = dict(rows_after[identity])
        if before["source_url"] != faulty_url:
            after["last_seen"] = before["last_seen"]  # the good source was seen again
        assert after == before
    posts_after = files(tmp_path / "posts")
    assert {k: posts_after[k] for k in posts_before} == posts_before
    new = [v.decode() for k, v in posts_after.items() if k not in posts_before]
    assert len(new) == 1 and "title: '好消息二'" in new[0]
    if origin.huge is not None:
        assert origin.huge.sent < 64 << 20  # refused on the header, not read to the cap


def test_retry_after_pushes_the_next_attempt_out(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.route("/good", Reply(body=GOOD_BEFORE, headers=RSS_TYPE))
    feed_server.route("/fault", Reply(status=429, headers={"Retry-After": "3600"}))
    config = write_config(tmp_path, feed_server.url("/good"), feed_server.url("/fault"))
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    with SQLiteStorage(tmp_path / "hotpress.db") as store:
        states = {s.url: s for s in store.sources(datetime.now(UTC))}
    due = states[feed_server.url("/fault")].next_due
    assert due is not None and due > datetime.now(UTC) + timedelta(minutes=59)
    # Asked to wait an hour, it did not hammer the server inside the run either.
    assert len(feed_server.requests_to("/fault")) == 1


@pytest.mark.parametrize(
    ("declared", "actual"), [("ISO-8859-1", "utf-8"), ("UTF-8", "gb18030"), ("GB2312", "utf-8")]
)
def test_a_feed_whose_encoding_declaration_lies_is_read_in_its_real_encoding(
    declared: str, actual: str, tmp_path: Path, feed_server: FeedServer
) -> None:
    # Failing such a feed would lose real news; mojibake would publish garbage. The decoder
    # tries the declared label strictly and falls through to the encoding that reads it.
    title = "北京时间：新闻标题“引号”"
    body = rss(item("e1", title, "<p>正文内容</p>"), encoding=declared).encode(actual)
    feed_server.route("/good", Reply(body=GOOD_BEFORE, headers=RSS_TYPE))
    feed_server.route("/lying", Reply(body=body, headers={"Content-Type": "application/xml"}))
    config = write_config(tmp_path, feed_server.url("/good"), feed_server.url("/lying"))
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    rows = item_rows(tmp_path / "hotpress.db")
    titles = {r["title"] for r in rows.values()}
    assert titles == {"好消息一", title}
    assert any("正文内容" in str(r["content"]) for r in rows.values())
    published = files(tmp_path / "posts")
    assert any(f"title: '{title}'".encode() in data for data in published.values())


def test_an_http_error_records_the_message_of_its_error_page(
    tmp_path: Path, feed_server: FeedServer, corpora: Path
) -> None:
    # The page RSSHub serves with its 503 (same build as tests/test_rsshub_real.py).
    page = (corpora / "rsshub" / "test_error.html").read_bytes()
    feed_server.route("/good", Reply(body=GOOD_BEFORE, headers=RSS_TYPE))
    feed_server.route(
        "/fault", Reply(status=503, body=page, headers={"Content-Type": "text/html; charset=UTF-8"})
    )
    config = write_config(tmp_path, feed_server.url("/good"), feed_server.url("/fault"))
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    with SQLiteStorage(tmp_path / "hotpress.db") as store:
        states = {s.url: s for s in store.sources(datetime.now(UTC))}
    error = states[feed_server.url("/fault")].last_error or ""
    assert "503" in error and "Error: Error test" in error
    assert len(error) < 300  # the message, not the whole page
