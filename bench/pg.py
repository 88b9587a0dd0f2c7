"""The archive on PostgreSQL (issue 16): ingest into PostgreSQL against SQLite on the same
corpus in one process, and site builds from a large PostgreSQL archive.

The server is the machine's (``HOTPRESS_BENCH_PG``, default
``postgresql://postgres@127.0.0.1:5432``); every run gets a database of its own, dropped
afterwards. Large archives are made once as SQLite files (``bench.archive``) and copied into
PostgreSQL with ``hotpress archive copy``'s code (untimed setup), kept as a template database
per size so later runs start from a copy of it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.archive import archive, scratch
from bench.common import (
    Sample,
    Section,
    TreeMemory,
    fmt_rate,
    fmt_s,
    ratio,
    repeat,
    run_worker,
    target_row,
)

SERVER = os.environ.get("HOTPRESS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


def _admin() -> Any:
    import psycopg

    return psycopg.connect(f"{SERVER}/postgres", autocommit=True)


@contextmanager
def database(template: str | None = None) -> Iterator[str]:
    """A new database (a copy of ``template`` if given), dropped afterwards."""
    name = f"hotpress_bench_{os.getpid()}_{secrets.token_hex(4)}"
    with _admin() as admin:
        suffix = f' TEMPLATE "{template}"' if template else ""
        admin.execute(f'CREATE DATABASE "{name}"{suffix}')
    try:
        yield f"{SERVER}/{name}"
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ingest(feeds: int, items: int, backend: str, copies: int = 1) -> dict[str, Any]:
    """Store the corpus into a fresh archive through ``core.store_result`` (what ``hotpress
    run`` does per fetched body: parse, normalize, store), then the same bytes again (a
    re-ingest: every body skipped by its digest, the archive still asked per source)."""
    from bench.ingest import ingest_into
    from hotpress._storage import open_storage

    with scratch() as tmp, TreeMemory() as memory:
        if backend == "postgresql":
            context: Any = database()
        else:
            context = _path(Path(tmp) / "archive.db")
        with context as where:
            storage = open_storage(where)
            wall, cpu = time.perf_counter(), time.process_time()
            count = ingest_into(storage, feeds, items, copies)
            seconds, used = time.perf_counter() - wall, time.process_time() - cpu
            again = time.perf_counter()
            ingest_into(storage, feeds, items, copies, fetch=1)
            reingest = time.perf_counter() - again
            storage.close()
    return {
        "seconds": seconds,
        "cpu": used,
        "entries": count,
        "reingest": reingest,
        "tree_mb": memory.peak_mb,
    }


@contextmanager
def _path(path: Path) -> Iterator[Path]:
    yield path


def store_only(feeds: int, items: int, backend: str) -> dict[str, Any]:
    """The store stage alone: every feed parsed and normalized first (untimed), then each
    feed's items saved with ``save_fetch`` (one transaction per feed) and timed."""
    from bench.corpus import corpus
    from bench.ingest import NOW, specs
    from hotpress._normalize import normalize_entry
    from hotpress._parse import parse_feed
    from hotpress._storage import open_storage
    from hotpress.types import FetchResult, Validators

    folder, files = corpus(feeds, items)
    all_specs = specs(files, 1)
    prepared = []
    for spec, info in zip(all_specs, files, strict=True):
        body = (folder / info.name).read_bytes()
        feed = parse_feed(body, url=spec.url, content_type=info.content_type)
        normalized = [normalize_entry(spec, e, feed.link) for e in feed.entries]
        found = list({i.identity: i for i in reversed(normalized)}.values())
        result = FetchResult(spec.key, spec.url, 200, b"", info.content_type, Validators(), 0.0)
        prepared.append((spec, result, found))
    with scratch() as tmp:
        context: Any = database() if backend == "postgresql" else _path(Path(tmp) / "a.db")
        with context as where:
            storage = open_storage(where)
            storage.sync_sources(all_specs)
            wall = time.perf_counter()
            count = 0
            for spec, result, found in prepared:
                storage.save_fetch(spec.key, result, found, now=NOW, error=None, next_due=None)
                count += len(found)
            seconds = time.perf_counter() - wall
            storage.close()
    return {"seconds": seconds, "entries": count}


def template(size: int) -> str:
    """The name of a database holding the ``size``-item corpus archive (made once: the
    SQLite archive of ``bench.archive`` copied with ``archive copy``'s code, then kept)."""
    from hotpress._storage.copy import copy_archive, open_archive

    name = f"hotpress_bench_archive_{size}"
    with _admin() as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if found:
            return name
        admin.execute(f'DROP DATABASE IF EXISTS "{name}_partial" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}_partial"')
    source = open_archive(archive(size))
    target = open_archive(f"{SERVER}/{name}_partial")
    report = copy_archive(source, target, batch=5000)
    source.close()
    target.close()
    if not report.ok:
        raise RuntimeError(f"copying the {size:,}-item archive into PostgreSQL: {report}")
    with _admin() as admin:
        admin.execute(f'ALTER DATABASE "{name}_partial" RENAME TO "{name}"')
    return name


def make_template(size: int) -> dict[str, Any]:
    wall = time.perf_counter()
    template(size)
    return {"seconds": time.perf_counter() - wall}


def site(size: int, backend: str, keep: bool = True, folder: str | None = None) -> dict[str, Any]:
    """Full build, no-op rebuild, +50 items (a new source) of the default site from the
    ``size``-item archive, in SQLite (a copy of the cached file) or PostgreSQL (a database
    made from the cached template).

    ``folder``: keep the archive (SQLite: ``folder/archive.db``; PostgreSQL: the database
    ``hotpress_bench_kept_<size>``, dropped by :func:`drop_kept`) and the built site
    (``folder/site``) for later runs: a run on a folder already built skips the full build and
    times the no-op and one more +50 (each time another new source of 50 items)."""
    from dataclasses import replace

    from bench.site import STEPS, _settings

    if folder is not None:
        return _kept_site(size, backend, Path(folder))
    out: dict[str, Any] = {}
    with scratch() as tmp_name, TreeMemory() as memory:
        tmp = Path(tmp_name)
        if backend == "postgresql" and keep:
            context: Any = _from_template(template(size))
        elif backend == "postgresql":
            context = _copied(size)  # quick runs leave no database behind
        else:
            from bench.archive import copy_of

            context = _path(copy_of(str(archive(size)), tmp))
        with context as where:
            settings = replace(_settings(tmp, ()), database=where)
            _steps(where, settings, STEPS, 0, out)
    out["tree_mb"] = memory.peak_mb
    out["seconds"] = out["full"]
    return out


def _steps(
    where: Any, settings: Any, steps: tuple[str, ...], round: int, out: dict[str, Any]
) -> None:
    from bench.site import timed_steps
    from hotpress._storage import open_storage

    storage = open_storage(where)
    try:
        timed_steps(settings, storage, steps, out, round)
    finally:
        storage.close()


def _kept_site(size: int, backend: str, folder: Path) -> dict[str, Any]:
    from dataclasses import replace

    from bench.site import STEPS, _settings

    folder.mkdir(parents=True, exist_ok=True)
    if backend == "postgresql":
        name = f"hotpress_bench_kept_{size}"
        with _admin() as admin:
            found = admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not found:
                source = template(size)
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}" STRATEGY FILE_COPY')
        where: Any = f"{SERVER}/{name}"
    else:
        where = folder / "archive.db"
        if not where.is_file():
            shutil.copyfile(archive(size), where)
    built, rounds = folder / "built", folder / "rounds"
    done = int(rounds.read_text()) if rounds.is_file() else 0
    out: dict[str, Any] = {"folder": str(folder)}
    settings = replace(_settings(folder, ()), database=where)
    with TreeMemory() as memory:
        if not built.is_file():
            _steps(where, settings, STEPS, 0, out)
            built.write_text("full build done\n")
            done = 1
        else:
            done += 1
            _steps(where, settings, ("noop", "add50"), done, out)
    rounds.write_text(f"{done}\n")
    out["rounds"] = done
    out["tree_mb"] = memory.peak_mb
    out["seconds"] = out.get("full", out["add50"])
    return out


def drop_kept(size: int) -> dict[str, Any]:
    """Drop the database a kept PostgreSQL site (``site(..., folder=...)``) was built on."""
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "hotpress_bench_kept_{size}" WITH (FORCE)')
    return {"seconds": 0.0}


@contextmanager
def _copied(size: int) -> Iterator[str]:
    from hotpress._storage.copy import copy_archive, open_archive

    with database() as url:
        source, target = open_archive(archive(size)), open_archive(url)
        copy_archive(source, target)
        source.close()
        target.close()
        yield url


@contextmanager
def _from_template(name: str) -> Iterator[str]:
    copy = f"hotpress_bench_{os.getpid()}_{secrets.token_hex(4)}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}" STRATEGY FILE_COPY')
    try:
        yield f"{SERVER}/{copy}"
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


def run(quick: bool, runs: int, sizes: list[int], big: list[int]) -> Section:
    """Ingest into PostgreSQL vs SQLite (same corpus, one process), and site builds from
    archives of ``sizes`` on both backends plus ``big`` on PostgreSQL alone."""
    feeds, items = (20, 50) if quick else (200, 50)
    count = feeds * items
    sec = Section("PostgreSQL archive: ingest and site builds against SQLite")
    sec.setup.append(
        f"Server: {SERVER} (PostgreSQL, a new database per run); corpus of the ingest section,"
        f" {feeds} feeds × {items} items; median of {runs} runs in fresh processes."
    )
    sec.header = ["what", "SQLite", "PostgreSQL", "PostgreSQL vs SQLite (throughput)"]
    found: dict[str, dict[str, Sample]] = {}
    for backend in ("sqlite", "postgresql"):
        whole, results = repeat("bench.pg:ingest", runs, feeds=feeds, items=items, backend=backend)
        again = Sample(tuple(r["reingest"] for r in results if "reingest" in r))
        store, _ = repeat("bench.pg:store_only", runs, feeds=feeds, items=items, backend=backend)
        found[backend] = {"whole": whole, "again": again, "store": store}
    names = {
        "whole": "ingest (parse → normalize → store, core.store_result)",
        "again": "re-ingest, same entries (every body skipped by its digest)",
        "store": "store stage alone (save_fetch per feed)",
    }
    for key, name in names.items():
        lite, pg = found["sqlite"][key], found["postgresql"][key]
        sec.rows.append(
            [
                name,
                f"{fmt_s(lite)}, {fmt_rate(lite, count)}",
                f"{fmt_s(pg)}, {fmt_rate(pg, count)}",
                f"{ratio(lite, pg):.2f}×",
            ]
        )
    share = ratio(found["sqlite"]["whole"], found["postgresql"]["whole"])
    sec.targets.append(
        target_row(
            "ingest into PostgreSQL vs SQLite, one process (throughput)",
            "≥ 0.5×",
            f"{share:.2f}×",
            share,
            0.5,
        )
    )
    for size in [*sizes, *big]:
        backends = (
            ("postgresql",) if size in big and size not in sizes else ("sqlite", "postgresql")
        )
        for backend in backends:
            result = run_worker("bench.pg:site", size=size, backend=backend, keep=not quick)
            label = f"site build, {size:,} items, {backend}"
            if "error" in result:
                sec.notes.append(f"{label}: {result['error']}")
                continue
            sec.notes.append(
                f"{label}: full {result['full']:.2f} s, no-op {result['noop']:.2f} s,"
                f" +50 items {result['add50']:.2f} s ({result['add50_written']} files),"
                f" peak {result['tree_mb']:,.0f} MB (1 run)"
            )
            if backend == "postgresql" and size >= 1_000_000:
                sec.targets.append(
                    target_row(
                        f"no-op build, {size:,} items in PostgreSQL",
                        "≤ 2 s",
                        f"{result['noop']:.2f} s",
                        result["noop"],
                        2.0,
                        higher_is_better=False,
                    )
                )
                sec.targets.append(
                    target_row(
                        f"+50 items build, {size:,} items in PostgreSQL",
                        "≤ 3 s",
                        f"{result['add50']:.2f} s",
                        result["add50"],
                        3.0,
                        higher_is_better=False,
                    )
                )
    return sec
