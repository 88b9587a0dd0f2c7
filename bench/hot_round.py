"""``python -m bench.hot_round DIR STEP``: one timed site build after one round's step, in a
folder of ``bench.hot_site`` (``--archive 100000`` builds one; its folder is printed).

STEP is ``fifty-none``, ``fifty-typical``, ``fifty-climb`` (50 new items, as bench.hot_site's
"+50 items" rows, then no refresh or a refresh of every list) or ``typical``/``climb`` (a
refresh of every list alone). Prints the build's wall time, the main thread's time on a CPU
and waiting in the run queue (``/proc/thread-self/schedstat``), the CPU time of child
processes (the hot-page worker) and the files written. On a loaded machine the wall time
swings with the others' jobs; ``wall - run queue`` is what the build would take with a core
to itself, and running it at real-time priority (``chrt -f 1 python -m bench.hot_round …``,
a few seconds) takes the other jobs out of the way for both processes.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bench.hot_history import START
from bench.hot_site import Move, climb, fifty, refresh, settings_text, typical
from hotpress._site import build_site
from hotpress._storage import SQLiteStorage
from hotpress.config import parse_settings

LISTS = 20


def _sched() -> tuple[float, float]:
    """(seconds on a CPU, seconds waiting in the run queue) of this thread."""
    with open("/proc/thread-self/schedstat", encoding="ascii") as handle:
        running, waiting, _ = handle.read().split()
    return int(running) / 1e9, int(waiting) / 1e9


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.hot_round")
    p.add_argument("folder", type=Path)
    steps = ("fifty-none", "fifty-typical", "fifty-climb", "typical", "climb")
    p.add_argument("step", choices=steps)
    a = p.parse_args()
    settings = parse_settings(settings_text(LISTS, True), a.folder / "hotpress.yml")
    moves: dict[str, Move | None] = {"none": None, "typical": typical, "climb": climb}
    with SQLiteStorage(a.folder / "hot.db") as store:
        clock = [max(store.hot_last(f"http://127.0.0.1/{n}") or START for n in range(LISTS))]

        def step(move: Move) -> Callable[[SQLiteStorage], None]:
            def run(storage: SQLiteStorage) -> None:
                clock[0] += timedelta(minutes=10)
                refresh(storage, LISTS, clock[0], move)

            return run

        kind, _, name = a.step.rpartition("-")
        move = moves[name]
        if kind == "fifty":
            fifty(f"{name}{time.time_ns()}", move, step, clock[0].date())(store)
        elif move is not None:
            step(move)(store)
        on0, wait0 = _sched()
        t0 = time.perf_counter()
        report = build_site(settings, store)
        wall = time.perf_counter() - t0
        on1, wait1 = _sched()
    assert report.error is None, report.error
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"{a.step}: {wall * 1000:.0f} ms, main thread on a CPU {(on1 - on0) * 1000:.0f} ms, "
        f"in the run queue {(wait1 - wait0) * 1000:.0f} ms, child processes' CPU "
        f"{(children.ru_utime + children.ru_stime) * 1000:.0f} ms, {report.written} files"
    )


if __name__ == "__main__":
    main()
