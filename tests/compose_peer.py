"""Docker and Docker Compose for running ``deploy/compose.yml`` for real.

``.ci/run`` installs Debian's Docker engine, debootstrap and the Compose v2 plugin, and starts
the daemon. The compose file's third-party images (``postgres:15``, ``rabbitmq:3.13``,
``caddy:2`` and the Dockerfile's ``python:3.11-slim``) come from Docker Hub, which this
project's machines cannot reach: an image that is neither on the machine nor pullable is
replaced by a stand-in built from Debian bookworm's own packages (``tests/support/compose``:
PostgreSQL 15, RabbitMQ 3.10, Caddy 2.6, Python 3.11), on a base image debootstrap makes once.
The stand-ins honour the official images' environment (``POSTGRES_*``, ``RABBITMQ_DEFAULT_*``),
data directories and commands, so the compose file runs unchanged but for the image names.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import certifi

from conftest import skip_or_fail

SUPPORT = Path(__file__).resolve().parent / "support" / "compose"
BASE = "hotpress-standin/debian:bookworm"
MIRROR = "http://deb.debian.org/debian"
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
"""The host's CA bundle, which pip on this machine trusts (its HTTPS goes through a proxy)."""

OFFICIAL = {
    "python": "python:3.11-slim",
    "postgres": "postgres:15",
    "rabbitmq": "rabbitmq:3.13",
    "caddy": "caddy:2",
}
MIN_COMPOSE = (2, 24)
"""``!override`` in an override file (the test's web port) came with Compose 2.24."""


def docker(
    *args: str, timeout: float = 600, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """``docker ARGS``, output captured; a failure shows what docker said."""
    done = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(
            f"docker {' '.join(args)} exited with {done.returncode}:\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done


def require_docker() -> None:
    """A running Docker daemon and Compose v2 (2.24 or newer), or skip/fail."""
    if shutil.which("docker") is None:
        skip_or_fail("docker is not installed (.ci/run installs Debian's docker.io)")
    info = docker("info", "--format", "{{.ServerVersion}}", timeout=30, check=False)
    if info.returncode != 0:
        skip_or_fail(f"no Docker daemon answers: {info.stderr.strip()[:300]}")
    version = docker("compose", "version", "--short", timeout=30, check=False)
    if version.returncode != 0:
        skip_or_fail("the Docker Compose v2 plugin is not installed (`docker compose`)")
    numbers = tuple(int(p) for p in version.stdout.strip().lstrip("v").split("-")[0].split(".")[:2])
    if numbers < MIN_COMPOSE:
        skip_or_fail(f"Docker Compose {version.stdout.strip()} is older than 2.24")


def _present(image: str) -> bool:
    return docker("image", "inspect", image, timeout=30, check=False).returncode == 0


def _base() -> None:
    """The stand-ins' base: Debian bookworm from debootstrap, imported once."""
    if _present(BASE):
        return
    if shutil.which("debootstrap") is None:
        skip_or_fail("debootstrap is not installed (.ci/run installs it) for the stand-in images")
    with tempfile.TemporaryDirectory(prefix="hotpress-rootfs-") as root:
        made = subprocess.run(
            ["debootstrap", "--variant=minbase", "bookworm", root, MIRROR],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if made.returncode != 0:
            skip_or_fail(f"debootstrap failed: {made.stderr.strip()[-500:]}")
        sources = Path(root, "etc/apt/sources.list")
        sources.write_text(
            f"deb {MIRROR} bookworm main\ndeb {MIRROR} bookworm-updates main\n"
            "deb http://deb.debian.org/debian-security bookworm-security main\n"
        )
        shutil.rmtree(Path(root, "var/cache/apt/archives"), ignore_errors=True)
        tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
        assert tar.stdout is not None
        imported = subprocess.run(
            ["docker", "import", "-", BASE], stdin=tar.stdout, capture_output=True, timeout=600
        )
        tar.stdout.close()
        tar.wait()
        assert imported.returncode == 0, imported.stderr


@dataclass(frozen=True)
class Images:
    """The image each of the compose file's third-party images is run as."""

    python: str
    postgres: str
    rabbitmq: str
    caddy: str


def images() -> Images:
    """Each official image if the machine has it or can pull it, else its stand-in (built, or
    taken from docker's build cache)."""
    chosen: dict[str, str] = {}
    for name, official in OFFICIAL.items():
        if _present(official) or docker("pull", official, timeout=300, check=False).returncode == 0:
            chosen[name] = official
            continue
        _base()
        standin = f"hotpress-standin/{official}"
        with tempfile.TemporaryDirectory(prefix="hotpress-standin-") as context:
            for file in SUPPORT.iterdir():
                shutil.copy2(file, context)
            # (No system bundle: certifi's, the one pip itself carries.)
            shutil.copy2(
                HOST_CA if HOST_CA.is_file() else certifi.where(), f"{context}/host-ca.crt"
            )
            dockerfile = str(Path(context, f"{name}.Dockerfile"))
            docker("build", "-q", "-t", standin, "-f", dockerfile, context, timeout=900)
        chosen[name] = standin
    return Images(**chosen)
