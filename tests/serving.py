"""``serve`` in a thread for a test: the address it answers on and the reports of its builds."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from hotpress._publish.posts import OutputReport
from hotpress._site.serve import serve
from hotpress.config import Settings


@contextmanager
def serving(settings: Settings) -> Iterator[tuple[str, queue.Queue[OutputReport]]]:
    """Start ``serve`` on a free port (rebuild poll every 50 ms); stop it and wait on exit."""
    ready: queue.Queue[str] = queue.Queue()
    builds: queue.Queue[OutputReport] = queue.Queue()
    stop = threading.Event()
    thread = threading.Thread(
        target=serve,
        args=(settings,),
        kwargs={
            "port": 0,
            "interval": 0.05,
            "on_ready": ready.put,
            "on_build": builds.put,
            "stop": stop,
        },
    )
    thread.start()
    try:
        yield ready.get(timeout=30), builds
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
