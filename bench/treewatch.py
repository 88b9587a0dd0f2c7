"""Peak resident memory of a process tree, sampled from outside it (``bench.common.TreeMemory``).

    python bench/treewatch.py PID

Prints ``ready``, samples every 20 ms the resident memory of PID and its descendants (this
process left out) until its standard input closes, then prints the peak in KiB. Run as a
script (standard library only, no import of the project): a sampler thread inside the
measured process took 0.25–0.3 s of its CPU in a 4 s whole-pipeline run (reading
``/proc/PID/status`` and every thread's ``children`` 50 times a second, under the measured
process's GIL), which the floor row, measured without it, did not pay.
"""

from __future__ import annotations

import os
import select
import sys

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
EVERY = 0.02


def tree_kib(pid: int, own: int) -> int:
    """KiB resident in ``pid`` and its descendants other than ``own`` (0: it just ended)."""
    if pid == own:
        return 0
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            total = int(statm.read().split()[1]) * PAGE_KIB
        tasks = os.listdir(f"/proc/{pid}/task")
    except (OSError, ValueError, IndexError):
        return 0
    for task in tasks:
        try:  # a thread that ended meanwhile has no children left to count
            with open(f"/proc/{pid}/task/{task}/children", "rb") as children:
                found = children.read().split()
        except OSError:
            continue
        total += sum(tree_kib(int(child), own) for child in found)
    return total


def main() -> None:
    pid, own = int(sys.argv[1]), os.getpid()
    peak = tree_kib(pid, own)
    print("ready", flush=True)
    while not select.select([sys.stdin], [], [], EVERY)[0]:
        peak = max(peak, tree_kib(pid, own))
    sys.stdin.read()
    print(max(peak, tree_kib(pid, own)), flush=True)


if __name__ == "__main__":
    main()
