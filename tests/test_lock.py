from __future__ import annotations

import os
import threading
import time
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


def test_the_lock_file_is_gone_when_the_run_ends(tmp_path: Path) -> None:
    db = tmp_path / "hotpress.db"
    with RunLock(db):
        assert (tmp_path / "hotpress.db.lock").read_text() == str(os.getpid())
    assert not (tmp_path / "hotpress.db.lock").exists()


def test_a_waiting_run_never_shares_the_lock_through_a_deleted_file(tmp_path: Path) -> None:
    """The first run deletes the lock file while a second waits on it (its descriptor on the
    deleted file); the second must lock the file at the path, so a third is refused."""
    db = tmp_path / "hotpress.db"
    first = RunLock(db).__enter__()
    holding, release = threading.Event(), threading.Event()

    def second() -> None:
        with RunLock(db, wait=10):
            holding.set()
            release.wait(10)

    waiter = threading.Thread(target=second)
    waiter.start()
    try:
        time.sleep(0.5)  # the waiter has opened the file and polls for the lock
        first.__exit__(None, None, None)
        assert holding.wait(10)
        with pytest.raises(LockedError), RunLock(db):
            pass
    finally:
        release.set()
        waiter.join(10)
