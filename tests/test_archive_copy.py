"""``hotpress archive copy``: SQLite -> PostgreSQL -> SQLite keeps every row (ids included),
an interrupted copy goes on where it stopped, the final check catches a copy that differs,
and a target holding another archive is refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from feedserver import FeedServer, Reply
from hotpress import cli
from hotpress._storage import open_storage
from hotpress._storage.copy import TABLES, copy_archive, open_archive
from hotpress._storage.migrations import MIGRATIONS
from hotpress.exceptions import StorageError


def rss(prefix: str, count: int, heat: bool = False) -> bytes:
    items = "".join(
        f"<item><title>{prefix}{n}</title><guid>{prefix}{n}</guid>"
        f"<link>https://example.com/{prefix}{n}</link>"
        f"<description>&lt;p&gt;{f'{n + 1} 万热度' if heat else f'正文 {n}'}&lt;/p&gt;"
        "</description></item>"
        for n in range(count)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        f"{items}</channel></rss>"
    ).encode()


def make_archive(folder: Path, server: FeedServer, database: Path | str, tag: str) -> Path:
    """An archive made by real `hotpress run`s: two sources, one a hot list, both outputs."""
    server.route(f"/{tag}/news", Reply(body=rss(f"{tag}新闻", 7)))
    server.route(f"/{tag}/hot", Reply(body=rss(f"{tag}热点", 5, heat=True)))
    folder.mkdir(exist_ok=True)
    config = folder / "hotpress.yml"
    config.write_text(
        f"database: {database}\nrsshub: {server.url('/').rstrip('/')}\n"
        "fetch:\n  min_host_interval: 0\n"
        "output:\n  hexo: posts\n  site: public\nsite:\n  url: https://example.com/\n"
        f"sources:\n  - category: [新闻]\n    route: /{tag}/news\n"
        f"  - category: [热榜, 微博]\n    route: /{tag}/hot\n    hotlist: true\n"
        "    heat: '(?P<value>[\\d.]+)\\s*万热度'\n",
        encoding="utf-8",
    )
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    # A second round: the hot list moved (a new run of ranks), one item edited.
    server.route(f"/{tag}/hot", Reply(body=rss(f"{tag}热点", 6, heat=True)[::1]))
    server.route(f"/{tag}/news", Reply(body=rss(f"{tag}新闻", 8).replace(b"0</t", b"0!</t")))
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    return config


def dump(archive: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(archive) as db:
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall()) for t, _ in TABLES}


def test_the_tables_to_copy_are_every_table_the_migrations_make(tmp_path: Path) -> None:
    open_storage(tmp_path / "a.db").close()
    with sqlite3.connect(tmp_path / "a.db") as db:
        made = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert made == {t for t, _ in TABLES}
    # 12 (leases, issue 16) adds columns only; a new migration: add its tables to TABLES
    assert len(MIGRATIONS) == 12


def test_sqlite_to_postgresql_and_back_keeps_every_row_and_link(
    tmp_path: Path, feed_server: FeedServer, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_archive(tmp_path / "a", feed_server, "hotpress.db", "a")
    original = tmp_path / "a/hotpress.db"
    before = dump(original)
    assert len(before["items"]) == 14 and before["hot_runs"] and before["publications"]

    assert cli.main(["archive", "copy", str(original), pg_url]) == 0
    out = capsys.readouterr().out
    assert "verified: every source has the same items and digests" in out
    rows = {x.split()[0]: x.split()[1:] for x in out.splitlines() if x.startswith("/a/")}
    assert rows == {"/a/news": ["8", "8", "ok"], "/a/hot": ["6", "6", "ok"]}
    back = tmp_path / "back.db"
    assert cli.main(["archive", "copy", pg_url, str(back)]) == 0
    assert dump(back) == before

    # The PostgreSQL copy is a working archive: its ranks and links are there, a run over it
    # republishes nothing, and new items get new ids (the identity sequences moved on).
    with open_storage(pg_url) as copied, open_storage(original) as source:
        assert copied.hot_list("/a/hot") == source.hot_list("/a/hot")
        assert dict(copied.publication_paths("hexo")) == dict(source.publication_paths("hexo"))
    text = config.read_text(encoding="utf-8").replace(
        "database: hotpress.db", f"database: {pg_url}"
    )
    config.write_text(text, encoding="utf-8")
    feed_server.route("/a/news", Reply(body=rss("a新闻", 9).replace(b"0</t", b"0!</t")))
    capsys.readouterr()
    assert cli.main(["run", "-c", str(config)]) == 0
    assert "hexo: 1 written" in capsys.readouterr().out
    with open_storage(pg_url) as copied:
        newest = max(copied.iter_items(), key=lambda i: i.id)
    assert newest.title == "a新闻8" and newest.id == max(r[0] for r in before["items"]) + 1


def test_a_copy_is_another_archive_with_an_id_of_its_own(
    tmp_path: Path, feed_server: FeedServer, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Workers and schedulers tell one archive from another by its id (``hotpress workers``):
    a copy that kept the original's would pass for it, whichever one a machine still uses."""
    make_archive(tmp_path / "a", feed_server, "hotpress.db", "a")
    original = tmp_path / "a/hotpress.db"
    with open_storage(original) as source:
        mine = source.archive_id()
    assert cli.main(["archive", "copy", str(original), pg_url]) == 0
    assert "verified: every source has the same items and digests" in capsys.readouterr().out
    with open_storage(pg_url) as copied, open_storage(original) as source:
        theirs = copied.archive_id()
        assert source.archive_id() == mine and theirs != mine
    back = tmp_path / "back.db"
    assert cli.main(["archive", "copy", pg_url, str(back)]) == 0  # verified: exit 0
    with open_storage(back) as again:
        assert again.archive_id() not in (mine, theirs)


class Interrupt(Exception):
    pass


class CtrlC(KeyboardInterrupt):
    pass


class StopAfter:
    """A progress that interrupts the copy after ``rows`` rows of ``table``."""

    def __init__(self, table: str, rows: int, stop: type[BaseException] = Interrupt) -> None:
        self.stage, self.rows, self.seen, self.stop = f"copying {table}", rows, 0, stop

    def begin(self, stage: str, total: int | None) -> None:
        pass

    def advance(self, stage: str, n: int = 1, *, failed: bool = False) -> None:
        if stage == self.stage:
            self.seen += n
            if self.seen >= self.rows:
                raise self.stop

    def end(self, stage: str) -> None:
        pass


def test_an_interrupted_copy_goes_on_where_it_stopped(
    tmp_path: Path, feed_server: FeedServer, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    make_archive(tmp_path / "a", feed_server, "hotpress.db", "a")
    original = tmp_path / "a/hotpress.db"
    source, target = open_archive(original), open_archive(pg_url)
    with pytest.raises(Interrupt):
        copy_archive(source, target, progress=StopAfter("items", 6), batch=3)
    source.close()
    with open_storage(pg_url) as partial:
        assert partial.count_items() == 6  # two batches of three were committed
    target.close()
    capsys.readouterr()
    assert cli.main(["archive", "copy", str(original), pg_url]) == 0
    out = capsys.readouterr().out
    assert "resumed: " in out and "verified" in out
    back = tmp_path / "back.db"
    assert cli.main(["archive", "copy", pg_url, str(back)]) == 0
    assert dump(back) == dump(original)


def test_a_copy_stopped_with_ctrl_c_says_how_to_go_on(
    tmp_path: Path,
    feed_server: FeedServer,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before, Ctrl-C left only "interrupted": not that the target is a partial copy, nor
    that the same command goes on."""
    from hotpress._cli import archive

    make_archive(tmp_path / "a", feed_server, "hotpress.db", "a")
    original = tmp_path / "a/hotpress.db"

    def stopped_by_ctrl_c(source: Any, target: Any, *, progress: Any) -> Any:
        return copy_archive(source, target, progress=StopAfter("items", 6, CtrlC), batch=3)

    with monkeypatch.context() as patch:
        patch.setattr(archive, "copy_archive", stopped_by_ctrl_c)
        assert cli.main(["archive", "copy", str(original), pg_url]) == 130
    said = capsys.readouterr().err.splitlines()
    assert said == [
        f"ERROR archive copy stopped: {pg_url} is a partial copy of {original} (the batches copied"
        " so far are kept; nothing in the source changed); the same command again goes on"
        " where it stopped",
        "ERROR interrupted",
    ]
    assert cli.main(["archive", "copy", str(original), pg_url]) == 0


def test_the_final_check_catches_a_copy_that_differs(
    tmp_path: Path, feed_server: FeedServer, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import psycopg

    make_archive(tmp_path / "a", feed_server, "hotpress.db", "a")
    original = tmp_path / "a/hotpress.db"
    source, target = open_archive(original), open_archive(pg_url)
    with pytest.raises(Interrupt):
        copy_archive(source, target, progress=StopAfter("items", 4), batch=2)
    source.close()
    target.close()
    with psycopg.connect(pg_url, autocommit=True) as db:  # damaged meanwhile
        db.execute("UPDATE items SET content_hash = 'tampered' WHERE id = 1")
    # Item 1 belongs to whichever source's fetch was stored first (they run concurrently).
    with sqlite3.connect(original) as db:
        (damaged,) = db.execute(
            "SELECT s.key FROM items i JOIN sources s ON s.id = i.source_id WHERE i.id = 1"
        ).fetchone()
    capsys.readouterr()
    assert cli.main(["archive", "copy", str(original), pg_url]) == 1
    captured = capsys.readouterr()
    (line,) = [x for x in captured.out.splitlines() if "MISMATCH" in x]
    assert line.split()[0] == damaged
    assert f"the copy differs for 1 source(s): {damaged}" in captured.err


def test_a_target_holding_another_archive_is_refused_untouched(
    tmp_path: Path, feed_server: FeedServer, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    make_archive(tmp_path / "a", feed_server, "hotpress.db", "a")
    make_archive(tmp_path / "b", feed_server, "hotpress.db", "b")
    first, other = tmp_path / "a/hotpress.db", tmp_path / "b/hotpress.db"
    assert cli.main(["archive", "copy", "-q", str(first), pg_url]) == 0
    assert cli.main(["archive", "copy", "-q", str(first), pg_url]) == 0  # the same: checked
    capsys.readouterr()
    assert cli.main(["archive", "copy", str(other), pg_url]) == 1
    assert "already holds a different archive" in capsys.readouterr().err
    assert cli.main(["archive", "copy", str(other), str(first)]) == 1
    back = tmp_path / "back.db"
    assert cli.main(["archive", "copy", "-q", pg_url, str(back)]) == 0
    assert dump(back) == dump(first)
    with pytest.raises(StorageError, match="both the source and the target"):
        copy_archive(open_archive(first), open_archive(first))
    # From the command line too, however the file is spelled (it took the lock it then met).
    capsys.readouterr()
    spelled = tmp_path / "b" / ".." / "a" / "hotpress.db"
    for target in (str(first), str(spelled)):
        assert cli.main(["archive", "copy", str(first), target]) == 1
        assert "is both the source and the target" in capsys.readouterr().err
    assert cli.main(["archive", "copy", pg_url, pg_url]) == 1
    assert "is both the source and the target" in capsys.readouterr().err
    assert cli.main(["archive", "copy", str(tmp_path / "none.db"), pg_url]) == 1
    assert cli.main(["archive", "copy", str(first), "mysql://x/y"]) == 1
