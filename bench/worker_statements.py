"""What a worker's task costs the PostgreSQL archive: statements per source, by kind, and
the server's CPU, for the tasks of ``bench.workers`` run in this process (no broker).

    python -m bench.worker_statements [--feeds 1000]

The feeds of ``bench.fetch``'s server (50 loopback addresses, no delay, 10 items each), a
new PostgreSQL database; every source claimed by one token, then each task of
``host_batches`` run by ``task.refresh_batch`` on one archive connection, as a worker
thread runs them. Round 1 stores every item (the benchmark's round), round 2 fetches the
same bodies again (nothing changed). Counted: every statement psycopg sends (an
``executemany`` is one), its wall time, and the CPU of the connection's server process
(``/proc/PID/stat``) of the archive's connections.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

from bench.fetch import start_server
from bench.workers import CONFIG, archive, backend_pids, cpu_seconds


@contextlib.contextmanager
def counting() -> Iterator[tuple[collections.Counter[str], collections.Counter[str]]]:
    """Count the statements psycopg sends (and their wall time) while inside."""
    counts: collections.Counter[str] = collections.Counter()
    seconds: collections.Counter[str] = collections.Counter()
    execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany

    def kind(query: Any, prefix: str = "") -> str:
        text = query.decode() if isinstance(query, bytes) else str(query)
        return prefix + " ".join(text.split())[:80]

    def timed_execute(self: Any, query: Any, params: Any = None, **kw: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(self, query, params, **kw)
        finally:
            counts[kind(query)] += 1
            seconds[kind(query)] += time.perf_counter() - start

    def timed_many(self: Any, query: Any, params: Any, **kw: Any) -> Any:
        start = time.perf_counter()
        try:
            return executemany(self, query, params, **kw)
        finally:
            counts[kind(query, "MANY ")] += 1
            seconds[kind(query, "MANY ")] += time.perf_counter() - start

    psycopg.Cursor.execute = timed_execute  # type: ignore[method-assign]
    psycopg.Cursor.executemany = timed_many  # type: ignore[method-assign]
    try:
        yield counts, seconds
    finally:
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]
        psycopg.Cursor.executemany = executemany  # type: ignore[method-assign]


def main() -> None:
    from hotpress._storage import open_storage
    from hotpress._workers.app import host_batches
    from hotpress._workers.task import close_sessions, refresh_batch
    from hotpress.config import load_settings
    from hotpress.core import utcnow

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=1000)
    args = parser.parse_args()
    server, urls = start_server(args.feeds, 50, 0.0, 200, 10)
    try:
        with tempfile.TemporaryDirectory() as tmp, archive("postgresql") as database:
            sources = "".join(
                f"  - category: [基准, 源{n % 20}, 频道{n}]\n    url: {url}\n"
                for n, url in enumerate(urls)
            )
            config = Path(tmp) / "hotpress.yml"
            text = CONFIG.format(broker="amqp://127.0.0.1//", sources=sources, database=database)
            config.write_text(text, encoding="utf-8")
            settings = load_settings(config)
            scheduler, worker = open_storage(database), open_storage(database)
            scheduler.sync_sources(settings.sources)
            keys = [s.key for s in settings.sources]
            pids = backend_pids(database)  # the two connections' server processes
            for number in (1, 2):
                now = utcnow()
                token = f"bench-{number}"
                claimed = scheduler.claim_sources(
                    now, token=token, until=now.replace(year=now.year + 1), limit=len(keys),
                    keys=keys, due_only=False,
                )  # fmt: skip
                tasks = host_batches(settings, claimed)
                server_cpu, wall = sum(map(cpu_seconds, pids)), time.perf_counter()
                with counting() as (counts, seconds):
                    for batch in tasks:
                        refresh_batch(settings, worker, batch, token)
                wall = time.perf_counter() - wall
                server_cpu = sum(map(cpu_seconds, pids)) - server_cpu
                total = sum(counts.values())
                print(
                    f"\nround {number}: {len(tasks)} tasks, {len(claimed)} sources, {wall:.2f} s;"
                    f" {total} statements ({total / len(claimed):.1f} a source),"
                    f" {sum(seconds.values()):.2f} s in them; server CPU {server_cpu:.2f} s"
                )
                print("| a source | ms each | statement |\n|---|---|---|")
                for query, count in counts.most_common():
                    print(
                        f"| {count / len(claimed):.2f} | {seconds[query] * 1000 / count:.2f} |"
                        f" `{query}` |"
                    )
            scheduler.close()
            worker.close()
    finally:
        close_sessions()  # (the loop and client this thread kept from task to task)
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
