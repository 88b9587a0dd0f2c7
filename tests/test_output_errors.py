"""The output folder turns read-only or fills up: a clear error naming the path, exit code 1,
and the items stay unpublished so the run after the fix writes them.

Tests run as root in CI, where permission bits stop nothing; the output folder is therefore a
real tmpfs mounted for the test (remounted read-only, or made tiny). Where the machine cannot
mount one the tests skip and say why.
"""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from html import escape
from pathlib import Path

import pytest

from hotpress import cli
from hotpress._storage import SQLiteStorage


class Mount:
    """A tmpfs at ``path``; ``remount("ro")`` / ``remount("size=8m")`` change it in place."""

    def __init__(self, path: Path, size: str) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")

    def remount(self, options: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{options}", str(self.path)], check=True)

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], check=False)


@pytest.fixture
def posts(tmp_path: Path) -> Iterator[Mount]:
    mount = Mount(tmp_path / "posts", "8m")
    try:
        yield mount
    finally:
        mount.unmount()


def write_feed(folder: Path, *ids: str, long: bool = False) -> None:
    """A feed of ``ids``; with ``long``, the items whose id starts with n get a long body."""

    def body(i: str) -> str:
        return "<p>" + ("长文" * 1500 if long and i.startswith("n") else "正文") + "</p>"

    items = "".join(
        f'<item><title>{escape(f"新闻 {i}")}</title><guid isPermaLink="false">{i}</guid>'
        f"<link>https://example.com/{i}</link><description>{escape(body(i))}</description>"
        "<pubDate>Mon, 15 Jan 2024 02:30:00 GMT</pubDate></item>"
        for i in ids
    )
    (folder / "feed.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>https://example.com/</link>{items}</channel></rss>",
        encoding="utf-8",
    )


def write_config(folder: Path) -> Path:
    config = folder / "hotpress.yml"
    config.write_text(
        "output:\n  hexo: posts\nsources:\n  - category: [新闻, 测试, 频道]\n    url: feed.xml\n",
        encoding="utf-8",
    )
    return config


def published(db: Path) -> dict[str, str]:
    """Item guid -> post path, for every item the archive marks as published."""
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT i.guid, p.path FROM publications p JOIN items i ON i.id = p.item_id"
        )
        return dict(rows.fetchall())


def stored(db: Path) -> set[str]:
    with closing(SQLiteStorage(db)) as store:
        return {item.guid or "" for item in store.iter_items()}


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_read_only_output_folder_is_a_clear_error_and_the_items_wait(
    tmp_path: Path, posts: Mount, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    db = tmp_path / "hotpress.db"
    write_feed(tmp_path, "a1", "a2", "a3")
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    before = files(posts.path)
    assert len(before) == 3

    posts.remount("ro")
    write_feed(tmp_path, "a1", "a2", "a3", "b1", "b2")
    capsys.readouterr()
    assert cli.main(["run", "-c", str(config)]) == 1
    said = capsys.readouterr()
    shown = said.out + said.err
    assert str(posts.path) in shown
    assert "read-only file system" in shown.lower()
    assert "Traceback" not in shown
    assert stored(db) == {"a1", "a2", "a3", "b1", "b2"}  # fetching was not the problem
    assert set(published(db)) == {"a1", "a2", "a3"}  # b1, b2 stay due
    assert files(posts.path) == before

    posts.remount("rw")
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    assert set(published(db)) == {"a1", "a2", "a3", "b1", "b2"}
    after = files(posts.path)
    assert len(after) == 5
    assert {k: after[k] for k in before} == before


def test_a_full_disk_is_a_clear_error_and_the_next_run_finishes_the_job(
    tmp_path: Path, posts: Mount, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    db = tmp_path / "hotpress.db"
    write_feed(tmp_path, "a1", "a2")
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    before = files(posts.path)

    posts.remount("size=64k")  # room for a handful of posts, not for forty more
    many = ["a1", "a2", *(f"n{i:02d}" for i in range(40))]
    write_feed(tmp_path, *many, long=True)
    capsys.readouterr()
    assert cli.main(["run", "-c", str(config)]) == 1
    said = capsys.readouterr()
    shown = said.out + said.err
    assert str(posts.path) in shown
    assert "no space left on device" in shown.lower()
    assert "Traceback" not in shown

    marked = published(db)
    on_disk = files(posts.path)
    assert set(many) == stored(db)
    assert 2 <= len(marked) < len(many)  # some fitted, the rest wait
    # What is marked published is on disk whole; nothing else is there, not even a temp file.
    assert sorted(on_disk) == sorted(marked.values())

    posts.remount("size=8m")
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    marked = published(db)
    assert set(marked) == set(many)
    after = files(posts.path)
    assert sorted(after) == sorted(marked.values())  # one post per item, none twice
    assert {k: after[k] for k in before} == before
    # The posts written before the disk filled up were whole: the same bytes as now.
    assert {k: after[k] for k in on_disk} == on_disk
