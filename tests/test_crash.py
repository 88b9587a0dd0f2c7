"""Crash safety: `hotpress run` killed with SIGKILL at random moments, then run again.

A local feed set (30 feeds x 40 items, served with staggered delays so fetching and storing
take a while) is run once to time its phases. Then each trial starts a fresh run, kills it
after a delay drawn (seeded) inside the fetch, the store or the publish window, copies the
archive as the kill left it, and runs again to completion. The tests below look at what the
trials found. A kill can land only where the process really was, so each trial reports its
phase from the archive it left (nothing stored yet / some sources stored / all stored).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path

import pytest

from feedserver import FeedServer, Reply
from hotpress._publish.writer import TEMP_DIR

FEEDS = 30
ITEMS = 50
TRIALS_PER_PHASE = 7  # 21 kills in all
SEED = 20240115
OUTPUT = "hexo"


def _delay(feed: int) -> float:
    return 0.25 + 0.015 * feed


def _feed(feed: int) -> bytes:
    body = escape("<p>" + "正文" * 300 + f'</p><img src="https://img.example.com/{feed}.png">')
    items = "".join(
        f"<item><title>源{feed} 第{i}条：新闻标题</title>"
        f'<guid isPermaLink="false">f{feed}-{i}</guid><link>https://example.com/{feed}/{i}</link>'
        f"<description>{body}</description>"
        f"<pubDate>Mon, 15 Jan 2024 {i // 60:02d}:{i % 60:02d}:00 GMT</pubDate></item>"
        for i in range(ITEMS)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>https://example.com/</link>{items}</channel></rss>"
    ).encode()


def _route(server: FeedServer, feed: int) -> None:
    body, etag = _feed(feed), f'"feed-{feed}"'
    full = Reply(
        body=body,
        headers={"Content-Type": "application/rss+xml", "ETag": etag},
        delay=_delay(feed),
    )
    # A conditional GET is answered at once: validators are only remembered together with
    # the items (one transaction), so a 304 after a crash is right only if that held.
    server.route(
        f"/f{feed}",
        lambda req: (
            Reply(status=304, headers={"ETag": etag})
            if req.header("if-none-match") == etag
            else full
        ),
    )


def _config(folder: Path, server: FeedServer, feeds: int = FEEDS) -> Path:
    # One local host serves every feed: lift the politeness limits meant for real sites.
    lines = [
        "output:\n  hexo: posts\n"
        "fetch:\n  per_host: 10\n  concurrency: 10\n  min_host_interval: 0\n"
        "sources:\n"
    ]
    lines += [
        f"  - category: [组, 源{f}, 频道]\n    url: {server.url(f'/f{f}')}\n" for f in range(feeds)
    ]
    config = folder / "hotpress.yml"
    config.write_text("".join(lines), encoding="utf-8")
    return config


def _command(config: Path) -> list[str]:
    return [sys.executable, "-m", "hotpress", "run", "-q", "-c", str(config)]


def _spawn(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        _command(config),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


# --- what a folder holds -----------------------------------------------------------------


@dataclass(frozen=True)
class Archive:
    exists: bool
    items: dict[str, tuple[str, int]]
    """identity -> (content_hash, first_seen)"""
    fetched: int
    """Sources with a fetch recorded."""
    publications: list[tuple[int, str]]
    """(item id, path) of the Hexo output."""
    integrity: str


def read_archive(db: Path) -> Archive:
    """Read ``db`` (with its WAL) as a next run would find it, without touching it: a copy."""
    if not db.exists():
        return Archive(False, {}, 0, [], "ok")
    scratch = db.parent / ".inspect"
    scratch.mkdir(exist_ok=True)
    for suffix in ("", "-wal"):
        source = Path(f"{db}{suffix}")
        if source.exists():
            shutil.copyfile(source, scratch / f"copy.db{suffix}")
    conn = sqlite3.connect(scratch / "copy.db")
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        if "fetch_log" not in tables:
            return Archive(True, {}, 0, [], integrity)
        items = {
            r[0]: (r[1], r[2])
            for r in conn.execute("SELECT identity, content_hash, first_seen FROM items")
        }
        fetched = conn.execute("SELECT COUNT(DISTINCT source_id) FROM fetch_log").fetchone()[0]
        publications = conn.execute(
            "SELECT item_id, path FROM publications WHERE output = ?", (OUTPUT,)
        ).fetchall()
        return Archive(True, items, fetched, publications, integrity)
    finally:
        conn.close()
        shutil.rmtree(scratch)


def temp_files(root: Path) -> list[str]:
    """The Writer's temp files (in its temp folder, or staged beside a target: ``.NAME.*``)."""
    if not root.exists():
        return []
    staged = [str(p) for p in root.rglob(".*.tmp")]
    return staged + [str(p) for p in root.rglob(f"{TEMP_DIR}/*") if p.is_file()]


def post_files(root: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every post (``*.md``) below ``root``."""
    if not root.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*.md")
    }


# --- the trials ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Trial:
    aimed: str
    delay: float
    """Fraction of the aimed phase at which the kill was sent."""
    phase: str
    """Where the kill landed: startup, fetch, store, publish (or finished: too late)."""
    killed: Archive
    killed_posts: dict[str, str]
    killed_temps: list[str]
    after: Archive
    after_posts: dict[str, str]
    after_temps: list[str]
    second_exit: int
    second_stderr: str


def _phase(archive: Archive, finished: bool) -> str:
    if finished:
        return "finished"
    if not archive.exists or (not archive.fetched and not archive.items):
        return "fetch" if archive.exists else "startup"
    if archive.fetched < FEEDS:
        return "store"
    return "publish"


def _wait_for(condition: Callable[[], bool], child: subprocess.Popen[bytes]) -> bool:
    """Poll until ``condition`` holds (True) or the child has exited (False)."""
    while not condition():
        if child.poll() is not None:
            return False
        time.sleep(0.005)
    return True


@dataclass(frozen=True)
class Reference:
    span: float
    """Seconds from the first post folder appearing to the end of an uncut run."""
    posts: dict[str, str]
    """The posts an uncut run writes: what every trial must end with, byte for byte."""


def _reference(folder: Path, server: FeedServer) -> Reference:
    config = _config(folder, server)
    with _spawn(config) as child:
        assert _wait_for((folder / "posts").exists, child)
        began = time.monotonic()
        _, stderr = child.communicate(timeout=120)
    assert child.returncode == 0, stderr.decode()
    span = time.monotonic() - began
    return Reference(span, post_files(folder / "posts"))


def _trial(folder: Path, server: FeedServer, aimed: str, when: float, span: float) -> Trial:
    """Kill a run at fraction ``when`` (0..1) of the ``aimed`` phase; the phases are found by
    watching the run (its first request, its first post folder), not by a clock that a busy
    machine would skew."""
    config = _config(folder, server)
    before = len(server.requests)
    with _spawn(config) as child:
        if aimed == "publish":
            ready = _wait_for((folder / "posts").exists, child)
            pause = when * span * 0.9
        else:
            ready = _wait_for(lambda: len(server.requests) > before, child)
            first_reply = _delay(0) - 0.05  # before it: requests in flight, nothing stored
            last_reply = _delay(FEEDS - 1)
            pause = (
                when * first_reply
                if aimed == "fetch"
                else first_reply + 0.08 + when * (last_reply - first_reply)
            )
        if ready:
            time.sleep(pause)
        finished = child.poll() is not None
        if not finished:
            os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    db, posts = folder / "hotpress.db", folder / "posts"
    killed = read_archive(db)
    killed_posts, killed_temps = post_files(posts), temp_files(posts)
    second = subprocess.run(
        _command(config),
        capture_output=True,
        timeout=120,
        check=False,
    )
    return Trial(
        aimed=aimed,
        delay=when,
        phase=_phase(killed, finished),
        killed=killed,
        killed_posts=killed_posts,
        killed_temps=killed_temps,
        after=read_archive(db),
        after_posts=post_files(posts),
        after_temps=temp_files(posts),
        second_exit=second.returncode,
        second_stderr=second.stderr.decode(errors="replace"),
    )


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A tmpfs when there is one. SIGKILL ends the process, not the machine: the page cache
    survives, so fsync only costs time here (a lot of it on a busy disk), proving nothing."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path_factory.mktemp("crash")
        return
    root = Path(tempfile.mkdtemp(prefix="hotpress-crash-", dir=shm))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def reference_and_trials(scratch: Path) -> Iterator[tuple[Reference, list[Trial]]]:
    with FeedServer() as server:
        for feed in range(FEEDS):
            _route(server, feed)
        calibrate = scratch / "calibrate"
        calibrate.mkdir()
        reference = _reference(calibrate, server)
        rng = random.Random(SEED)
        plan = [
            (phase, rng.random())
            for phase in ("fetch", "store", "publish")
            for _ in range(TRIALS_PER_PHASE)
        ]
        rng.shuffle(plan)
        done = []
        for i, (aimed, when) in enumerate(plan):
            folder = scratch / f"trial{i}"
            folder.mkdir()
            done.append(_trial(folder, server, aimed, when, reference.span))
            shutil.rmtree(folder)
        yield reference, done


@pytest.fixture(scope="module")
def trials(reference_and_trials: tuple[Reference, list[Trial]]) -> list[Trial]:
    return reference_and_trials[1]


@pytest.fixture(scope="module")
def reference(reference_and_trials: tuple[Reference, list[Trial]]) -> Reference:
    return reference_and_trials[0]


# --- what must hold after every kill -------------------------------------------------------


def test_the_kills_land_in_fetch_store_and_publish(trials: list[Trial]) -> None:
    where = [(t.aimed, round(t.delay, 2), t.phase, len(t.killed.items)) for t in trials]
    landed = [t.phase for t in trials if t.phase != "finished"]
    assert len(landed) >= 20, where
    for phase in ("fetch", "store", "publish"):
        assert landed.count(phase) >= 3, where
    # Kills in the publish window did interrupt it: some posts were written, not all.
    assert any(0 < len(t.killed_posts) < FEEDS * ITEMS for t in trials if t.phase == "publish")


def test_the_archive_passes_the_integrity_check_after_every_kill(trials: list[Trial]) -> None:
    assert [t.killed.integrity for t in trials] == ["ok"] * len(trials)
    assert [t.after.integrity for t in trials] == ["ok"] * len(trials)


def test_the_run_after_a_kill_succeeds(trials: list[Trial]) -> None:
    for t in trials:
        assert t.second_exit == 0, (t.phase, t.second_stderr)


def test_no_stored_item_is_lost_or_changed(trials: list[Trial]) -> None:
    for t in trials:
        for identity, stored in t.killed.items.items():
            assert t.after.items.get(identity) == stored, (t.phase, identity)
        assert len(t.after.items) == FEEDS * ITEMS


def test_the_second_run_completes_the_publication(trials: list[Trial]) -> None:
    for t in trials:
        ids = [item_id for item_id, _ in t.after.publications]
        assert len(ids) == len(set(ids)) == FEEDS * ITEMS, t.phase
        assert {path for _, path in t.after.publications} == set(t.after_posts), t.phase


def test_every_post_ends_whole_and_once(trials: list[Trial], reference: Reference) -> None:
    # The same posts, byte for byte, as a run nobody killed: none missing, none duplicated
    # under a second name, none half-written.
    assert len(reference.posts) == FEEDS * ITEMS
    for t in trials:
        assert t.after_posts == reference.posts, t.phase
        # A post a killed run wrote (and may not have recorded) is whole and is reused.
        for path, digest in t.killed_posts.items():
            assert reference.posts.get(path) == digest, (t.phase, path)


def test_no_half_written_temp_file_is_left_in_the_output(
    trials: list[Trial], tmp_path: Path, feed_server: FeedServer
) -> None:
    # The random kills hit the short window between creating the temp file and renaming it
    # only sometimes (often on a slow disk, rarely on tmpfs); the second case is what such a
    # kill leaves, made on purpose, so the check does not depend on luck.
    assert {t.delay: t.after_temps for t in trials if t.after_temps} == {}
    _route(feed_server, 0)
    config = _config(tmp_path, feed_server, feeds=1)
    assert subprocess.run(_command(config), check=False).returncode == 0
    post = next((tmp_path / "posts").rglob("*.md"))
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    stale = tmp_path / "posts" / TEMP_DIR / f"{gone.stdout.strip()}-1.tmp"
    stale.parent.mkdir(exist_ok=True)
    stale.write_bytes(post.read_bytes()[:100])
    post.unlink()  # the kill came before the rename: the post is not there either
    with contextlib.closing(sqlite3.connect(tmp_path / "hotpress.db")) as db:
        db.execute("DELETE FROM publications")
        db.commit()
    assert subprocess.run(_command(config), check=False).returncode == 0
    assert post.exists()
    assert temp_files(tmp_path / "posts") == []
