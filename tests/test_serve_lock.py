"""``serve`` builds through ``Storage`` and under the run lock, like any run (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotpress._lock import RunLock
from hotpress._site.serve import _build_once
from hotpress.config import load_settings
from hotpress.exceptions import LockedError


def test_a_serve_build_waits_for_the_run_that_holds_the_archive(tmp_path: Path) -> None:
    path = tmp_path / "hotpress.yml"
    path.write_text(
        "timezone: Asia/Shanghai\noutput:\n  site: public\nsources: []\n", encoding="utf-8"
    )
    settings = load_settings(path)
    with RunLock(settings.database), pytest.raises(LockedError):
        _build_once(settings, wait=0.0)
    assert not (tmp_path / "public" / "index.html").exists()
    report = _build_once(settings, wait=0.0)  # the lock is free again
    assert report.error is None
    assert (tmp_path / "public" / "index.html").is_file()
