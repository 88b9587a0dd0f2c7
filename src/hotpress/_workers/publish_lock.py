"""One writer per output: publishing takes this lock (workers never publish).

SQLite archive: the run lock file beside it (``_lock.RunLock``), the one ``run`` and
``watch`` already take, so a scheduler's publish, a ``run`` and a ``publish`` by hand never
write the outputs at the same time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from hotpress._lock import RunLock
from hotpress._storage.base import Storage
from hotpress.config import Settings


@contextlib.contextmanager
def publish_lock(settings: Settings, storage: Storage, *, wait: float) -> Iterator[None]:
    """Held while one process publishes ``settings``' outputs."""
    del storage  # the PostgreSQL backend's advisory lock will be taken through it
    with RunLock(settings.database, wait=wait):
        yield
