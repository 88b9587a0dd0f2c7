from __future__ import annotations

from pathlib import Path

import pytest

from hotpress._lock import RunLock
from hotpress.exceptions import LockedError


def test_a_second_run_on_the_same_archive_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    db = tmp_path / "hotpress.db"
    with RunLock(db), pytest.raises(LockedError, match="another hotpress run"), RunLock(db):
        pass


def test_the_lock_is_released_when_the_run_ends(tmp_path: Path) -> None:
    db = tmp_path / "hotpress.db"
    with RunLock(db):
        pass
    with RunLock(db, wait=0.1):
        pass
