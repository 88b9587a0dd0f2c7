"""``deploy/compose.yml`` run for real: ``docker compose up --build`` (issue 16).

The file as shipped, with one override file the test writes: the config mounted is a copy of
``deploy/hotpress.yml`` whose RSSHub is a real one in a container of the same project (the
pinned build of ``tests/support/rsshub``, its offline ``/test/…`` routes) instead of
rsshub.app, Caddy's port is a free one on 127.0.0.1 instead of 8080, and images Docker Hub
cannot give this machine are stand-ins (see ``compose_peer``). PostgreSQL and RabbitMQ are
the project's own containers, not the machine's services; the hotpress image is built from
``deploy/Dockerfile``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
import yaml

from compose_peer import Images, docker, images, require_docker
from conftest import skip_or_fail
from rsshub_peer import NODE
from rsshub_peer import SUPPORT as RSSHUB

pytestmark = [pytest.mark.network_peer, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
COMPOSE = REPO / "deploy" / "compose.yml"
ROUTES = {"one": "/test/1", "long": "/test/long", "complicated": "/test/complicated"}
ROUND_WITHIN = 240.0
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class Stack:
    project: str
    files: tuple[str, ...]
    web: str
    """Caddy's base URL on 127.0.0.1."""

    def compose(self, *args: str, timeout: float = 600, check: bool = True) -> str:
        return docker(
            "compose", "-p", self.project, *self.files, *args, timeout=timeout, check=check
        ).stdout

    def logs(self, service: str) -> list[dict[str, str]]:
        """The JSON lines ``service`` logged (``--log-format json``), all its replicas'."""
        out = self.compose("logs", "--no-color", "--no-log-prefix", service)
        # Compose 2.26 starts each line with an erase-line code even into a pipe.
        lines = (_ANSI.sub("", line) for line in out.splitlines())
        return [json.loads(line) for line in lines if line.startswith("{")]


def _config(folder: Path) -> Path:
    config = yaml.safe_load((REPO / "deploy" / "hotpress.yml").read_text(encoding="utf-8"))
    config["rsshub"] = "http://rsshub:1200"
    config["fetch"] = {"min_host_interval": 0}  # one RSSHub, three routes: no pause between
    config["sources"] = [
        {"category": ["测试", "RSSHub", name], "route": route} for name, route in ROUTES.items()
    ]
    path = folder / "hotpress.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def _override(folder: Path, config: Path, chosen: Images) -> Path:
    mount = [f"{config}:/srv/hotpress/hotpress.yml:ro"]
    build = {"args": {"PYTHON_IMAGE": chosen.python}}
    node = "/rsshub/node_modules/.bin/node"
    ready = (
        "fetch('http://127.0.0.1:1200/healthz')"
        ".then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
    )
    text = yaml.safe_dump(
        {
            "services": {
                "postgres": {"image": chosen.postgres},
                "rabbitmq": {"image": chosen.rabbitmq},
                "scheduler": {
                    "build": build,
                    "volumes": mount,
                    "depends_on": {"rsshub": {"condition": "service_healthy"}},
                },
                "worker": {"build": build, "volumes": mount},
                "web": {"image": chosen.caddy, "ports": ["127.0.0.1::80"]},
                "rsshub": {
                    "image": chosen.python,
                    "command": [node, "/rsshub/server.mjs"],
                    "working_dir": "/tmp",
                    "environment": {
                        "HOST": "0.0.0.0",
                        "PORT": "1200",
                        "NODE_ENV": "production",
                        "CACHE_TYPE": "",
                        "DISALLOW_ROBOT": "false",
                        "NO_RANDOM_UA": "true",
                        "REQUEST_RETRY": "0",
                        "NO_LOGFILES": "true",
                    },
                    "volumes": [f"{RSSHUB}:/rsshub:ro"],
                    "healthcheck": {
                        "test": ["CMD", node, "-e", ready],
                        "interval": "2s",
                        "retries": 30,
                    },
                },
            }
        },
        allow_unicode=True,
    )
    # The web port replaces the file's 8080:80 rather than adding to it (Compose 2.24's tag).
    text = text.replace("    ports:\n", "    ports: !override\n")
    path = folder / "override.yml"
    path.write_text(text, encoding="utf-8")
    return path


def _until(what: str, check: Callable[[], bool], within: float) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within:g} s")
        time.sleep(1)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_docker()
    if not NODE.exists():
        skip_or_fail(f"RSSHub is not installed: run `npm ci` in {RSSHUB}")
    chosen = images()
    folder = tmp_path_factory.mktemp("compose")
    override = _override(folder, _config(folder), chosen)
    files = ("-f", str(COMPOSE), "-f", str(override))
    project = f"hotpress_test_{os.getpid()}_{secrets.token_hex(3)}"
    started = Stack(project, files, "")
    try:
        started.compose("up", "-d", "--build", "--wait", "--wait-timeout", "300", timeout=1200)
        host_port = started.compose("port", "web", "80").strip()
        yield replace(started, web=f"http://{host_port}")
    finally:
        started.compose("down", "-v", "--rmi", "local", "--timeout", "30", check=False)


@pytest.fixture(scope="module")
def round_done(stack: Stack) -> list[dict[str, str]]:
    """The scheduler's log once its first round has published."""

    def published() -> bool:
        return any(line["message"].startswith("site: ") for line in stack.logs("scheduler"))

    _until("the scheduler's first round", published, ROUND_WITHIN)
    return stack.logs("scheduler")


def test_both_workers_start_and_the_first_round_refreshes_every_source(
    stack: Stack, round_done: list[dict[str, str]]
) -> None:
    messages = [line["message"] for line in round_done]

    # deploy.replicas: 2, each its own container and Celery node; the scheduler goes on as
    # soon as one answers, so it may have seen only the first ready.
    def ready() -> set[str]:
        return {
            m for m in (line["message"] for line in stack.logs("worker")) if m.endswith(" ready.")
        }

    _until("both workers ready", lambda: len(ready()) == 2, 120)
    assert any(
        re.fullmatch(r"(1 worker answers: \S+|2 workers answer: \S+, \S+)", m) for m in messages
    )
    assert "sent 3 due sources in 1 tasks" in messages
    assert any(
        re.fullmatch(r"round: 3 due, 3 ok, 0 failed; \d+ new, 0 updated", m) for m in messages
    )
    refreshed = [
        line["message"] for line in stack.logs("worker") if line["message"].startswith("refreshed ")
    ]
    assert len(refreshed) == 1 and refreshed[0].startswith("refreshed 3 sources (0 failed, ")


def test_the_archive_in_the_compose_postgresql_holds_every_route(
    stack: Stack, round_done: list[dict[str, str]]
) -> None:
    listed = json.loads(
        stack.compose(
            "exec",
            "-T",
            "scheduler",
            "hotpress",
            "sources",
            "-c",
            "/srv/hotpress/hotpress.yml",
            "--json",
        )
    )
    assert {row["key"]: row["status"] for row in listed} == {r: "ok" for r in ROUTES.values()}
    assert all(row["items_total"] > 0 for row in listed)
    count = stack.compose(
        "exec",
        "-T",
        "postgres",
        "psql",
        "-U",
        "hotpress",
        "-d",
        "hotpress",
        "-tAc",
        "SELECT count(*) FROM items",
    )
    assert int(count) == sum(row["items_total"] for row in listed)


def test_caddy_serves_the_site_the_scheduler_wrote(
    stack: Stack, round_done: list[dict[str, str]]
) -> None:
    index = httpx.get(f"{stack.web}/", timeout=10)
    assert index.status_code == 200
    assert "<title>热点" in index.text
    post = re.search(r'<a href="(/items/[0-9a-f]+\.html)">Complicated Title', index.text)
    assert post is not None, index.text[:2000]
    page = httpx.get(f"{stack.web}{post.group(1)}", timeout=10)
    assert page.status_code == 200 and "Complicated Title" in page.text
    for name in ROUTES:
        assert f'/rsshub/{name}/"' in index.text  # each channel's page is linked


def test_stopping_the_stack_lets_the_scheduler_and_workers_end_cleanly(
    stack: Stack, round_done: list[dict[str, str]]
) -> None:
    stack.compose("stop", "--timeout", "60", "scheduler", "worker")
    states = stack.compose("ps", "-a", "--format", "{{.Service}} {{.State}} {{.ExitCode}}")
    ours = sorted(
        line for line in states.splitlines() if line.split()[0] in ("scheduler", "worker")
    )
    assert ours == ["scheduler exited 0", "worker exited 0", "worker exited 0"]
    said = [line["message"] for line in stack.logs("scheduler")]
    assert said[-1] == "stopped after 1 rounds"
