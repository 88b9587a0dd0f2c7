"""The benchmarks' quick size runs end to end (CI keeps them from rotting)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_quick_benchmarks_write_a_report_with_every_section(tmp_path: Path) -> None:
    report = tmp_path / "benchmarks.md"
    env = {**os.environ, "HOTPRESS_BENCH_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(report)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    text = report.read_text(encoding="utf-8")
    for heading in ("## Ingest", "## Fetch", "## Hexo output", "## Site build", "## Search"):
        assert heading in text
    # Each measured section states its targets with a verdict, not just numbers.
    assert text.count("Targets:") >= 2
    assert "| whole pipeline vs feedparser parse-only | ≥ 10× |" in text
    assert "answered 304" in text
    assert "| own RSSHub: hotpress defaults, rerun (304s) |" in text
    assert "| own RSSHub rerun: hotpress vs the old script | > 1× |" in text
    assert "hotpress, default site" in text and "hotpress, peers' page set" in text
    assert "one date vs distinct dates | ≤ 1.5× |" in text
    assert "n/a" not in text.split("## Fetch")[1].split("##")[0]
