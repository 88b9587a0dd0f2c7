"""Render the sections as docs/benchmarks.md: machine, versions, sizes, tables, targets."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bench.common import Section, table

PACKAGES = ("hotpress", "lxml", "nh3", "httpx", "feedparser", "requests", "Jinja2", "orjson")


def machine() -> list[str]:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = os.getloadavg()
    return [
        f"- Machine: {platform.machine()}, {os.cpu_count()} cores ({cpu}){mem}, "
        f"{platform.system()} {platform.release()}; load average at the end "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}.",
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}.",
    ]


def versions() -> str:
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return "- Packages: " + ", ".join(found) + "."


def git_rev(repo: Path) -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def render(
    sections: list[Section],
    *,
    quick: bool,
    command: str,
    repo: Path,
    seconds: float,
    preface: str = "",
) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
        f"(commit {git_rev(repo)} plus the working tree; run took {seconds / 60:.1f} min"
        f"{', QUICK sizes: not the figures the targets are about' if quick else ''}).",
        "Regenerate with `python -m bench` (all, long) or `python -m bench --only ingest,fetch`.",
        "",
        *machine(),
        versions(),
        "- These machines may be shared with other jobs (see the load average): figures are "
        "medians of fresh-process runs and every claim is a ratio against a reference "
        "measured in the same run.",
        "",
    ]
    if preface:
        lines += [preface.strip(), ""]
    for sec in sections:
        lines += [f"## {sec.title}", ""]
        lines += [f"- {s}" for s in sec.setup] + ([""] if sec.setup else [])
        if sec.rows:
            lines += [*table(sec.header, sec.rows), ""]
        if sec.targets:
            lines += ["Targets:", "", *table(["target", "goal", "measured", "result"], sec.targets)]
            lines.append("")
        lines += [f"- {n}" for n in sec.notes] + ([""] if sec.notes else [])
    return "\n".join(lines).rstrip() + "\n"
