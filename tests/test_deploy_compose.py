"""``deploy/compose.yml`` and the "N machines" section of docs/deploy.md (issue 16).

Checks that need no Docker (``tests/test_deploy_compose_run.py`` runs the file): it passes
the Compose Specification's JSON schema (the one Docker Compose validates files against, as
check-jsonschema vendors it), starts what the docs say, every hotpress command in it (and in
the systemd units of docs/deploy.md) is one the command line accepts, its config is a valid
hotpress config with a PostgreSQL archive and a broker, and the image installs extras that
exist. The systemd units of docs/deploy.md go through systemd's own ``systemd-analyze
verify`` (no systemd runs here, but its parser does).
"""

from __future__ import annotations

import copy
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import skip_or_fail
from hotpress.cli import _parser
from hotpress.config import load_settings

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yml").read_text(encoding="utf-8"))
    return data


def compose_errors(data: dict[str, Any]) -> list[str]:
    """What the Compose Specification's schema finds wrong in ``data``."""
    try:
        import check_jsonschema  # noqa: F401
    except ImportError:
        skip_or_fail("check-jsonschema is not installed (pip install -e '.[test]')")
    from jsonschema import Draft202012Validator

    vendor = resources.files("check_jsonschema") / "builtin_schemas" / "vendor"
    schema = json.loads((vendor / "compose-spec.json").read_text("utf-8"))
    return [e.message for e in Draft202012Validator(schema).iter_errors(data)]


def test_the_compose_file_passes_the_compose_specification_schema(
    compose: dict[str, Any],
) -> None:
    assert compose_errors(compose) == []
    # The schema is read and applied: a misspelt key of a service is caught.
    broken = copy.deepcopy(compose)
    name = next(iter(broken["services"]))
    broken["services"][name]["imag"] = broken["services"][name].pop("image", "x")
    assert any("imag" in error for error in compose_errors(broken))


def test_compose_starts_the_database_broker_scheduler_workers_and_web(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "rabbitmq", "scheduler", "worker", "web"}
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["rabbitmq"]["image"].startswith("rabbitmq:")
    assert services["scheduler"]["command"][0] == "watch"
    assert services["worker"]["command"][0] == "worker"
    assert services["worker"]["deploy"]["replicas"] >= 2
    for name in ("scheduler", "worker"):
        # Each waits for healthy services, and their healthchecks exist.
        for needed in ("postgres", "rabbitmq"):
            assert services[name]["depends_on"][needed]["condition"] == "service_healthy"
            assert services[needed]["healthcheck"]["test"]
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
        assert (DEPLOY / services[name]["build"]["context"] / "deploy/Dockerfile").is_file()


def test_the_web_server_serves_the_volume_the_scheduler_writes(compose: dict[str, Any]) -> None:
    services = compose["services"]
    settings = load_settings(DEPLOY / "hotpress.yml")
    assert settings.site_dir is not None
    config_mount = "/srv/hotpress/hotpress.yml"
    site_in_container = Path(config_mount).parent / settings.site_dir.name
    scheduler = dict(v.split(":", 1) for v in services["scheduler"]["volumes"])
    assert scheduler["site"] == str(site_in_container)
    web = {v.split(":")[0]: v.split(":")[1] for v in services["web"]["volumes"]}
    root = services["web"]["command"][services["web"]["command"].index("--root") + 1]
    assert web["site"] == root
    assert "site" in compose["volumes"] and "pgdata" in compose["volumes"]


def test_every_hotpress_command_of_the_compose_file_parses(compose: dict[str, Any]) -> None:
    for name in ("scheduler", "worker"):
        command = compose["services"][name]["command"]
        args = _parser().parse_args(command)
        assert args.config == "/srv/hotpress/hotpress.yml"
        mounts = compose["services"][name]["volumes"]
        assert f"./hotpress.yml:{args.config}:ro" in mounts
        assert (DEPLOY / "hotpress.yml").is_file()


def test_the_compose_config_uses_the_compose_services(compose: dict[str, Any]) -> None:
    settings = load_settings(DEPLOY / "hotpress.yml")
    assert isinstance(settings.database, str)
    assert settings.database.startswith("postgresql://hotpress:")
    assert "@postgres:5432/hotpress" in settings.database
    assert settings.broker is not None and "@rabbitmq:5672/" in settings.broker
    env = compose["services"]["rabbitmq"]["environment"]
    user, password = env["RABBITMQ_DEFAULT_USER"], env["RABBITMQ_DEFAULT_PASS"]
    assert settings.broker.startswith(f"amqp://{user}:{password}@")
    pg = compose["services"]["postgres"]["environment"]
    assert f"//{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}@" in settings.database


def test_the_image_installs_extras_that_exist() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    extras = re.search(r'pip install [^"]*"/src\[([\w,]+)\]"', dockerfile)
    assert extras is not None
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    known = project["project"]["optional-dependencies"]
    assert set(extras.group(1).split(",")) == {"workers", "postgresql"}
    assert set(extras.group(1).split(",")) <= set(known)
    assert any(d.startswith("celery") for d in known["workers"])
    for copied in re.findall(r"^COPY (.+) /src", dockerfile, re.MULTILINE):
        for path in copied.split():
            assert (REPO / path).exists(), path


UNIT = re.compile(r"`(/etc/systemd/system/[^`]+)`[^`]*?:\s*\n\s*```ini\n(.*?)```", re.DOTALL)


def unit_problems(folder: Path, units: dict[str, str]) -> str:
    """What systemd's own ``systemd-analyze verify`` says of ``units`` (file name: text),
    their ``ExecStart`` pointed at this environment's ``hotpress``: unknown keys, values it
    cannot parse, a command that is not there. Empty when it says nothing."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        skip_or_fail("systemd-analyze is not installed (Debian: apt install systemd)")
    hotpress = Path(sys.executable).with_name("hotpress")
    assert hotpress.is_file(), hotpress
    for name, text in units.items():
        (folder / name).write_text(text.replace("/srv/hotpress/venv/bin/hotpress", str(hotpress)))
    done = subprocess.run(
        [tool, "verify", "--man=no", *(str(folder / name) for name in units)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return (done.stdout + done.stderr).strip() + (
        f" (exit {done.returncode})" * bool(done.returncode)
    )


def test_every_systemd_unit_of_the_deploy_docs_passes_systemd_analyze_verify(
    tmp_path: Path,
) -> None:
    text = (REPO / "docs/deploy.md").read_text(encoding="utf-8")
    units = {Path(path).name: body for path, body in UNIT.findall(text)}
    assert len(units) == text.count("```ini") == 5, sorted(units)
    assert unit_problems(tmp_path, units) == ""
    # The tool reads them: a misspelt key and a missing command are said.
    name = "hotpress-worker@.service"
    broken = units[name].replace("TimeoutStopSec=", "TimeoutStopSecs=")
    assert "Unknown key 'TimeoutStopSecs'" in unit_problems(tmp_path, {name: broken})
    gone = units["hotpress.service"].replace("/venv/bin/hotpress", "/venv/bin/hotpres")
    assert "is not executable" in unit_problems(tmp_path, {"hotpress.service": gone})


def test_the_systemd_units_of_n_machines_run_commands_that_parse() -> None:
    text = (REPO / "docs/deploy.md").read_text(encoding="utf-8")
    section = text.split("## N machines", 1)[1]
    starts = re.findall(r"^ExecStart=(\S+hotpress) (.+)$", section, re.MULTILINE)
    commands = {shlex.split(rest)[0] for _, rest in starts}
    assert commands == {"watch", "worker"}
    for _, rest in starts:
        _parser().parse_args(shlex.split(rest.replace("%i", "1")))
