"""``deploy/compose.yml`` run as the processes it would start, against the real services.

There is no Docker on this machine (nor in CI), so the compose file itself is never started.
What it deploys is run instead, as close to it as a machine without containers allows:
the compose file's own scheduler and worker commands (its worker replica count), with
``deploy/hotpress.yml`` as the config, its server URLs pointed at this machine's PostgreSQL
and RabbitMQ (a database and a vhost of the test's own) and its RSSHub at a real local
RSSHub. Its routes need the real Chinese sites, so each is replaced by one of RSSHub's
offline test routes, keeping the category tree and the hot-list flags. The web service is a
static file server over the folder the scheduler publishes into, as Caddy's ``file-server``
is over the ``site`` volume.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from feedserver import free_closed_port
from rsshub_peer import fixture_rsshub, stop_process  # noqa: F401  (the `rsshub` fixture)
from workers_support import query, wait_for_workers, wait_until

pytestmark = pytest.mark.network_peer

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
MOUNTED = "/srv/hotpress/hotpress.yml"  # where compose mounts the config
OFFLINE_ROUTES = ("/test/1", "/test/sort", "/test/long")


def _config(folder: Path, database: str, broker: str, rsshub: str) -> tuple[Path, list[Any]]:
    """deploy/hotpress.yml with this machine's servers; the sources it had, for the checks."""
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "hotpress.yml").read_text(encoding="utf-8"))
    assert data["database"].startswith("postgresql://") and data["broker"].startswith("amqp://")
    data.update(database=database, broker=broker, rsshub=rsshub)
    sources = data["sources"]
    assert len(sources) <= len(OFFLINE_ROUTES)
    for source, route in zip(sources, OFFLINE_ROUTES, strict=False):
        source["route"] = route
    data["fetch"] = {"min_host_interval": 0}  # one local RSSHub: no pause between its routes
    path = folder / "hotpress.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path, sources


def _command(service: dict[str, Any], config: Path) -> list[str]:
    """A service's ``command`` (the image's entry point is ``hotpress``), config path local."""
    args = [str(config) if arg == MOUNTED else str(arg) for arg in service["command"]]
    return [sys.executable, "-m", "hotpress", *args]


@contextlib.contextmanager
def _started(command: list[str], folder: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, cwd=folder, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield proc
        finally:
            stop_process(proc, grace=60)


def test_the_compose_deployment_publishes_a_site_the_web_service_serves(
    tmp_path: Path, pg_url: str, rabbit_vhost: str, rsshub: str
) -> None:
    compose: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yml").read_text("utf-8"))
    services = compose["services"]
    config, sources = _config(tmp_path, pg_url, rabbit_vhost, rsshub)
    site = tmp_path / "public"  # compose: /srv/hotpress/public, the `site` volume
    port = free_closed_port()
    replicas = services["worker"]["deploy"]["replicas"]
    with contextlib.ExitStack() as stack:
        workers = [
            stack.enter_context(
                _started(_command(services["worker"], config), tmp_path, tmp_path / f"w{n}.log")
            )
            for n in range(replicas)
        ]
        wait_for_workers(rabbit_vhost, replicas, timeout=90)
        scheduler = stack.enter_context(
            _started(_command(services["scheduler"], config), tmp_path, tmp_path / "sched.log")
        )
        site.mkdir(exist_ok=True)
        stack.enter_context(
            _started(
                [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                site,
                tmp_path / "web.log",
            )
        )

        def stored() -> list[tuple[Any, ...]]:
            return query(
                pg_url,
                tmp_path,
                "SELECT s.key, COUNT(*) FROM items i JOIN sources s ON s.id = i.source_id"
                " GROUP BY s.key",
            )

        def published() -> bool:
            with contextlib.suppress(Exception):
                counts = dict(stored())
                return len(counts) == len(sources) and (site / "index.html").exists()
            return False

        wait_until(published, 120, "every source stored and the site published")
        titles = [row[0] for row in query(pg_url, tmp_path, "SELECT title FROM items")]
        index = ""

        def served() -> bool:
            nonlocal index
            with contextlib.suppress(httpx.HTTPError):
                index = httpx.get(f"http://127.0.0.1:{port}/", timeout=5).text
            return any(title in index for title in titles)

        wait_until(served, 60, "the web service to serve the published index")
        for source in sources:  # the compose config's category tree, as the site shows it
            assert all(name in index for name in source["category"][:1]), source
        assert all(proc.poll() is None for proc in [*workers, scheduler])
        # SIGTERM, as `docker compose stop` sends it: the scheduler ends its round and exits.
        scheduler.send_signal(signal.SIGTERM)
        assert scheduler.wait(120) == 0, (tmp_path / "sched.log").read_text()
    logs = (tmp_path / "sched.log").read_text(encoding="utf-8")
    assert '"level": "error"' not in logs.lower(), logs
    # Every route stored once, by whichever worker took it.
    keys = {row[0] for row in stored()}
    assert keys == {source["route"] for source in sources}
