"""``hotpress archive copy SRC DST``: an archive from one backend into another, whole.

Every table the migrations make is copied with its ids (publications, hot-list runs,
stories and pushes name items by id), in key order, a batch per transaction. That order
makes the copy resumable without bookkeeping per row: what a table holds in DST is always a
prefix of SRC's in key order, so an interrupted copy goes on after DST's last key. Keys are
integers or text compared byte by byte on both backends (PostgreSQL's columns are
``COLLATE "C"``), so "after" means the same on both sides.

DST remembers which archive it receives in ``hotpress_copy`` (the origin's fingerprint:
its sources and first items); a DST that already holds something else is refused before
anything is written, and a resumed copy must come from the same origin. At the end the
copy is verified: per source, the number of items and a digest over (id, identity,
content hash) must be equal on both sides, and so must every table's row count; only a
verified copy drops the marker. PostgreSQL's id sequences are moved past the copied ids.
The archive's own id (``Storage.archive_id``) is neither copied nor counted: a copy is
another archive, and gets its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from hotpress._storage import open_storage
from hotpress._storage.conn import ArchiveConnection
from hotpress._storage.lease_sqlite import ARCHIVE_ID
from hotpress.exceptions import StorageError

__all__ = ["TABLES", "CopyReport", "SourceCheck", "copy_archive", "open_archive", "verify"]

TABLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sources", ("id",)),
    ("items", ("id",)),
    ("fetch_log", ("id",)),
    ("publications", ("output", "item_id")),
    ("site_pages", ("path",)),
    ("site_categories", ("path",)),
    ("settings_state", ("key",)),
    ("expansions", ("item_id",)),
    ("media", ("url",)),
    ("item_media", ("item_id", "url")),
    ("hot_lists", ("source_id",)),
    ("hot_runs", ("item_id", "first")),
    ("notify_targets", ("target",)),
    ("notifications", ("target", "item_id")),
    ("story_items", ("item_id",)),
)
"""Every table of an archive and its key, in an order that satisfies the foreign keys."""
IDENTITY = ("sources", "items", "fetch_log")
MARKER = "hotpress_copy"
ONLY = {"settings_state": f"key <> '{ARCHIVE_ID}'"}
"""The rows of a table that are copied and counted (all of the others')."""


def _where(*conditions: str) -> str:
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def _only(table: str) -> tuple[str, ...]:
    return (ONLY[table],) if table in ONLY else ()


BATCH = 2000


class Progress(Protocol):
    def begin(self, stage: str, total: int | None) -> None: ...

    def advance(self, stage: str, n: int = 1, *, failed: bool = False) -> None: ...

    def end(self, stage: str) -> None: ...


@dataclass(frozen=True, slots=True)
class SourceCheck:
    key: str
    source_items: int
    target_items: int
    digests_equal: bool

    @property
    def ok(self) -> bool:
        return self.digests_equal and self.source_items == self.target_items


@dataclass(frozen=True, slots=True)
class CopyReport:
    copied: dict[str, int]
    """Rows copied by this call, per table (a resumed copy counts only what it added)."""
    sources: tuple[SourceCheck, ...]
    tables: dict[str, tuple[int, int]]
    """Rows per table in SRC and in DST after the copy."""
    resumed: bool = False
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems and all(s.ok for s in self.sources)


def open_archive(database: Path | str) -> ArchiveConnection:
    """The archive ``database`` names (path or URL), as the copy reads and writes it."""
    archive = open_storage(database)
    assert isinstance(archive, ArchiveConnection)
    return archive


def _fingerprint(archive: ArchiveConnection) -> str:
    """Which archive this is: its sources (id, key) and its first items (id, identity,
    first seen): two archives of one config fetched at different times differ."""
    digest = hashlib.sha256()
    for row in archive._db.execute("SELECT id, key FROM sources ORDER BY id"):
        digest.update(repr(tuple(row)).encode())
    first = "SELECT id, identity, first_seen FROM items ORDER BY id LIMIT 100"
    for row in archive._db.execute(first):
        digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _count(archive: ArchiveConnection, table: str) -> int:
    return int(
        archive._db.execute(f"SELECT COUNT(*) FROM {table}{_where(*_only(table))}").fetchone()[0]
    )


def _empty(archive: ArchiveConnection) -> bool:
    return all(_count(archive, t) == 0 for t, _ in TABLES if t != "settings_state")


def _marker(archive: ArchiveConnection) -> str | None:
    if MARKER not in archive._table_names():
        return None
    row = archive._db.execute(f"SELECT origin FROM {MARKER}").fetchone()
    return None if row is None else str(row[0])


def _claim(src: ArchiveConnection, dst: ArchiveConnection) -> bool:
    """Check that DST may receive SRC and mark it; whether this resumes an earlier copy."""
    if src.name == dst.name:
        raise StorageError(f"archive copy: {src.name} is both the source and the target")
    unknown = src._table_names() - {t for t, _ in TABLES} - {MARKER}
    if unknown:
        raise StorageError(
            f"archive copy: {src.name} has tables this hotpress does not know how to copy:"
            f" {', '.join(sorted(unknown))} (upgrade hotpress)"
        )
    origin = _fingerprint(src)
    marker = _marker(dst)
    if marker is not None and marker != origin:
        raise StorageError(
            f"archive copy: {dst.name} holds an unfinished copy of another archive; "
            "finish that copy, or copy into a new database or file"
        )
    if marker is None and not _empty(dst) and _fingerprint(dst) != origin:
        raise StorageError(
            f"archive copy: {dst.name} already holds a different archive; "
            "copy into a new database or file"
        )
    resumed = marker is not None

    def mark() -> None:
        dst._db.execute(f"CREATE TABLE IF NOT EXISTS {MARKER} (origin TEXT NOT NULL)")
        dst._db.execute(f"DELETE FROM {MARKER}")
        dst._db.execute(f"INSERT INTO {MARKER} (origin) VALUES (?)", (origin,))

    dst._write(mark)
    return resumed


def _after(keys: Sequence[str]) -> str:
    if len(keys) == 1:
        return f"{keys[0]} > ?"
    return f"({', '.join(keys)}) > ({', '.join('?' * len(keys))})"


def _copy_table(
    src: ArchiveConnection,
    dst: ArchiveConnection,
    table: str,
    keys: tuple[str, ...],
    progress: Progress,
    batch: int,
) -> int:
    columns = [c[0] for c in src._db.execute(f"SELECT * FROM {table} LIMIT 0").description]
    names = ", ".join(columns)
    index = [columns.index(k) for k in keys]
    order = ", ".join(keys)
    last = dst._db.execute(
        f"SELECT {order} FROM {table}{_where(*_only(table))}"
        f" ORDER BY {', '.join(f'{k} DESC' for k in keys)} LIMIT 1"
    ).fetchone()
    stage = f"copying {table}"
    progress.begin(stage, _count(src, table))
    done = _count(dst, table)
    if done:
        progress.advance(stage, done)
    insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    copied = 0
    while True:
        where = _where(*_only(table), *((_after(keys),) if last is not None else ()))
        rows = src._db.execute(
            f"SELECT {names} FROM {table}{where} ORDER BY {order} LIMIT ?",
            (*(last or ()), batch),
        ).fetchall()
        if not rows:
            break
        dst._write(dst._db.executemany, insert, [tuple(r) for r in rows])
        copied += len(rows)
        progress.advance(stage, len(rows))
        last = tuple(rows[-1][i] for i in index)
    if table in IDENTITY:
        dst._reset_ids(table)
    progress.end(stage)
    return copied


def _per_source(archive: ArchiveConnection) -> dict[str, tuple[int, int]]:
    """Per source key: (items, digest) with the digest a sum of row hashes (order-free, so
    the two backends need not stream rows in one order)."""
    keys = dict(archive._db.execute("SELECT id, key FROM sources").fetchall())
    found: dict[str, tuple[int, int]] = {key: (0, 0) for key in keys.values()}
    cursor = archive._db.execute("SELECT source_id, id, identity, content_hash FROM items")
    while rows := cursor.fetchmany(5000):
        for source_id, item_id, identity, content_hash in rows:
            key = keys[source_id]
            count, total = found[key]
            row = hashlib.sha256(f"{item_id}\0{identity}\0{content_hash}".encode()).digest()
            found[key] = (count + 1, (total + int.from_bytes(row, "big")) % (1 << 256))
    return found


def verify(src: ArchiveConnection, dst: ArchiveConnection) -> CopyReport:
    """Compare the two archives: per source items and digests, per table row counts."""
    ours, theirs = _per_source(src), _per_source(dst)
    checks = tuple(
        SourceCheck(
            key,
            ours.get(key, (0, 0))[0],
            theirs.get(key, (0, 0))[0],
            ours.get(key, (0, -1))[1] == theirs.get(key, (0, -2))[1],
        )
        for key in sorted(set(ours) | set(theirs))
    )
    tables = {t: (_count(src, t), _count(dst, t)) for t, _ in TABLES}
    problems = tuple(
        f"{t}: {a} rows in the source, {b} in the copy" for t, (a, b) in tables.items() if a != b
    )
    return CopyReport(copied={}, sources=checks, tables=tables, problems=problems)


def copy_archive(
    src: ArchiveConnection,
    dst: ArchiveConnection,
    *,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> CopyReport:
    """Copy ``src`` into ``dst`` (new, or holding an unfinished copy of ``src``), verify it,
    and report; raises StorageError when DST holds another archive."""
    bars: Any = progress if progress is not None else _Quiet()
    try:
        resumed = _claim(src, dst)
        copied = {t: _copy_table(src, dst, t, keys, bars, batch) for t, keys in TABLES}
        dst._analyze()
        report = verify(src, dst)
        if report.ok:
            dst._write(dst._db.execute, f"DROP TABLE {MARKER}")
    except (*src._errors, *dst._errors) as exc:
        raise StorageError(f"archive copy {src.name} -> {dst.name}: {exc}") from exc
    return CopyReport(
        copied=copied,
        sources=report.sources,
        tables=report.tables,
        resumed=resumed,
        problems=report.problems,
    )


class _Quiet:
    def begin(self, stage: str, total: int | None) -> None:
        pass

    def advance(self, stage: str, n: int = 1, *, failed: bool = False) -> None:
        pass

    def end(self, stage: str) -> None:
        pass
