"""Distributed refresh (issue 16): 1,000 loopback feeds answering after 200 ms, refreshed by
one ``hotpress worker`` process, then by two; the scheduler's own CPU beside the workers'.

    python -m bench.workers [--runs 3] [--feeds 1000] [--concurrency 4] [--hosts 50]

Each run: a fresh SQLite archive and a RabbitMQ vhost of its own, N real worker processes
(``--pool threads``), the feed server of ``bench.fetch`` in its own process (50 loopback
addresses, every answer delayed 200 ms, bodies from the ingest corpus). Timed: from the
claim of every source to the last one stored, by the same pieces ``hotpress fetch`` runs
(``claim_sources``, ``enqueue``, the wait on the leases), in this process, which is the
scheduler; after an untimed warm-up round of 100 other feeds (long-running workers have
their connections open and their modules imported). CPU: this process's (the scheduler),
the workers', on PostgreSQL the server processes of the workers' connections, the feed
server's and RabbitMQ's (``beam.smp``), all from ``/proc/PID/stat``: what shares the two
cores with the workers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.common import REPO
from bench.fetch import start_server

TICK = os.sysconf("SC_CLK_TCK")
WARM = 100
"""Feeds of a warm-up round before the timed one (not counted)."""
POLL = 0.1
"""How often the scheduler looks whether the round is over (``hotpress run``: 0.5 s); a
finer poll keeps the round's end from being rounded up in a round of a few seconds."""
CONFIG = """\
timezone: Asia/Shanghai
database: {database}
broker: {broker}
fetch:
  per_host: 10
  min_host_interval: 0
  retries: 0
sources:
{sources}
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime, stime, cutime, cstime: fields 14-17 of the line, 12-15 after the name
    return sum(int(v) for v in fields[11:15]) / TICK


def backend_pids(database: str) -> list[int]:
    """The PostgreSQL server processes of the archive's database (none for SQLite)."""
    if not database.startswith("postgresql://"):
        return []
    import psycopg

    with psycopg.connect(database, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [int(row[0]) for row in rows]


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


@contextlib.contextmanager
def archive(kind: str) -> Iterator[str]:
    """The config's ``database:`` for one run: an SQLite file, or a new PostgreSQL database
    (dropped afterwards)."""
    if kind == "sqlite":
        yield "archive.db"
        return
    import psycopg

    name = f"hotpress_bench_w_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}".encode())
        try:
            yield f"{PG_SERVER}/{name}"
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())


def broker_pids() -> list[int]:
    """RabbitMQ's Erlang VM (``beam.smp``): the broker's CPU beside the workers'."""
    found = subprocess.run(["pgrep", "-x", "beam.smp"], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def one_run(
    urls: list[str], warm: list[str], workers: int, concurrency: int, kind: str, server: int
) -> dict[str, Any]:
    """``server``: the feed server's pid (its CPU is counted, as the broker's is)."""
    from hotpress._progress import NullProgress
    from hotpress._storage import open_storage
    from hotpress._workers.app import enqueue, make_app
    from hotpress._workers.broker import ping
    from hotpress._workers.rounds import new_token, wait_round
    from hotpress.config import load_settings
    from hotpress.core import utcnow

    vhost = f"hotpress_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp, archive(kind) as database:
            broker = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
            sources = "".join(
                f"  - category: [基准, 源{n % 20}, 频道{n}]\n    url: {url}\n"
                for n, url in enumerate(urls + warm)
            )
            config = Path(tmp) / "hotpress.yml"
            config.write_text(
                CONFIG.format(broker=broker, sources=sources, database=database), encoding="utf-8"
            )
            settings = load_settings(config)
            storage = open_storage(settings.database)
            storage.sync_sources(settings.sources)
            for _ in range(workers):
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "hotpress", "worker", "-q", "-c", str(config)]
                        + ["--pool", "threads", "--concurrency", str(concurrency)],
                        cwd=tmp,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
            app = make_app(broker)
            end = time.monotonic() + 60
            while len(ping(app, 1.0)) < workers:
                if time.monotonic() > end:
                    raise RuntimeError("the workers did not come up")
            # Warm up (not timed): every worker thread opens its archive connection and
            # imports what a first refresh imports, as a long-running worker has long done.
            keys = {s.url: s.key for s in settings.sources}
            now = utcnow()
            token = new_token()
            warmed = storage.claim_sources(
                now,
                token=token,
                until=now.replace(year=now.year + 1),
                limit=len(warm),
                keys=[keys[u] for u in warm],
                due_only=False,
            )
            enqueue(app, settings, warmed, token)
            wait_round(storage, token, len(warmed), 600, NullProgress(), lambda _: time.sleep(POLL))
            before = [cpu_seconds(p.pid) for p in procs]
            # The workers' connections are open since the warm-up (their pools grew to the
            # tasks run at once).
            backends = {pid: cpu_seconds(pid) for pid in backend_pids(database)}
            others = {pid: cpu_seconds(pid) for pid in [server, *broker_pids()]}
            wall, cpu = time.perf_counter(), time.process_time()
            now = utcnow()
            token = new_token()
            timed = [keys[u] for u in urls]
            claimed = storage.claim_sources(
                now,
                token=token,
                until=now.replace(year=now.year + 1),
                limit=len(timed),
                keys=timed,
            )
            enqueue(app, settings, claimed, token)
            left = wait_round(
                storage, token, len(claimed), 600, NullProgress(), lambda _: time.sleep(POLL)
            )
            seconds = time.perf_counter() - wall
            scheduler = time.process_time() - cpu
            worker_cpu = sum(cpu_seconds(p.pid) - b for p, b in zip(procs, before, strict=True))
            database_cpu = sum(cpu_seconds(pid) - b for pid, b in backends.items())
            server_cpu = cpu_seconds(server) - others.pop(server)
            broker_cpu = sum(cpu_seconds(pid) - b for pid, b in others.items())
            states = [s for s in storage.sources(now) if s.key in set(timed)]
            stored = sum(1 for s in states if s.last_success is not None)
            failed = sum(1 for s in states if s.last_error)
            storage.close()
            return {
                "workers": workers,
                "seconds": seconds,
                "sources_per_s": len(claimed) / seconds,
                "scheduler_cpu": scheduler,
                "workers_cpu": worker_cpu,
                "database_cpu": database_cpu,
                "server_cpu": server_cpu,
                "broker_cpu": broker_cpu,
                "stored": stored,
                "failed": failed,
                "left": len(left),
            }
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        rabbitmqctl("delete_vhost", vhost)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=10, help="items per feed body")
    parser.add_argument("--concurrency", type=int, default=4, help="tasks at once per worker")
    parser.add_argument("--archive", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--hosts", type=int, default=50, help="loopback addresses the feeds are spread over"
    )
    args = parser.parse_args()
    server, every = start_server(args.feeds + WARM, args.hosts, 0.2, 200, args.items)
    urls, warm = every[: args.feeds], every[args.feeds :]
    results: list[dict[str, Any]] = []
    try:
        for _ in range(args.runs):
            for workers in (1, 2):
                row = one_run(urls, warm, workers, args.concurrency, args.archive, server.pid)
                print(json.dumps(row), flush=True)
                results.append(row)
    finally:
        server.terminate()
        server.wait(10)

    def med(workers: int, key: str) -> float:
        return statistics.median(r[key] for r in results if r["workers"] == workers)

    one, two = med(1, "sources_per_s"), med(2, "sources_per_s")
    print(
        f"\n{args.feeds} feeds on {args.hosts} hosts, 200 ms, {args.items} items each,"
        f" {args.archive} archive,"
        f" median of {args.runs}:"
    )
    print(
        "| workers | round | sources/s | scheduler CPU | workers' CPU | database CPU"
        " | feed server CPU | broker CPU | scheduler ÷ workers |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for n in (1, 2):
        rows = [r for r in results if r["workers"] == n]
        share = statistics.median(r["scheduler_cpu"] / r["workers_cpu"] for r in rows)
        print(
            f"| {n} | {med(n, 'seconds'):.2f} s | {med(n, 'sources_per_s'):.0f} |"
            f" {med(n, 'scheduler_cpu'):.3f} s | {med(n, 'workers_cpu'):.2f} s |"
            f" {med(n, 'database_cpu'):.2f} s | {med(n, 'server_cpu'):.2f} s |"
            f" {med(n, 'broker_cpu'):.2f} s | {share:.1%} |"
        )
    print(f"\n2 workers ÷ 1 worker throughput: {two / one:.2f}× (target ≥ 1.7×)")
    print(f"(commit {_commit()}, load {os.getloadavg()[0]:.1f})")


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    )
    return done.stdout.strip()


if __name__ == "__main__":
    main()
