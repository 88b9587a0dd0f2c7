"""`hotpress init --github-actions`: the workflow parses, passes GitHub's workflow schema
(the one check-jsonschema vendors, read offline) and does what the README promises."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from conftest import skip_or_fail
from hotpress import cli


def workflow_schema() -> dict[str, Any]:
    try:
        import check_jsonschema  # noqa: F401
    except ImportError:
        skip_or_fail("check-jsonschema is not installed (pip install -e '.[test]')")
    vendor = resources.files("check_jsonschema") / "builtin_schemas" / "vendor"
    schema: dict[str, Any] = json.loads((vendor / "github-workflows.json").read_text("utf-8"))
    return schema


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "hotpress.yml").write_text(
        "database: data/hotpress.db\noutput:\n  hexo: blog/source/_posts\n  site: public\n"
        "sources:\n  - category: [a]\n    url: a.xml\n",
        encoding="utf-8",
    )
    return tmp_path


def init(repo: Path, *extra: str) -> dict[str, Any]:
    config = str(repo / "hotpress.yml")
    assert (
        cli.main(["init", "-q", "--github-actions", "--repo", str(repo), "-c", config, *extra]) == 0
    )
    text = (repo / ".github" / "workflows" / "hotpress.yml").read_text(encoding="utf-8")
    # YAML 1.2, as GitHub reads it (PyYAML's 1.1 would turn the `on:` key into True).
    data: dict[str, Any] = YAML(typ="safe", pure=True).load(text)
    return data


def steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = workflow["jobs"][job]["steps"]
    return found


def uses(workflow: dict[str, Any], job: str, action: str) -> list[dict[str, Any]]:
    return [s for s in steps(workflow, job) if s.get("uses", "").startswith(action + "@")]


@pytest.mark.parametrize("extra", [(), ("--pages",)])
def test_the_workflow_passes_the_github_workflow_schema(repo: Path, extra: tuple[str, ...]) -> None:
    from jsonschema import Draft7Validator

    schema = workflow_schema()
    errors = [e.message for e in Draft7Validator(schema).iter_errors(init(repo, *extra))]
    assert errors == []


@pytest.mark.parametrize("extra", [(), ("--pages",)])
def test_the_workflow_runs_hourly_and_on_demand(repo: Path, extra: tuple[str, ...]) -> None:
    workflow = init(repo, *extra)
    on = workflow["on"]
    (cron,) = on["schedule"]
    minute, hour, *rest = cron["cron"].split()
    assert minute.isdigit() and 0 <= int(minute) < 60 and hour == "*" and rest == ["*", "*", "*"]
    assert "workflow_dispatch" in on
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_hexo_mode_caches_the_archive_and_commits_the_posts(repo: Path) -> None:
    workflow = init(repo)
    assert workflow["env"]["HOTPRESS_CONFIG"] == "hotpress.yml"
    (restore,) = uses(workflow, "run", "actions/cache/restore")
    (save,) = uses(workflow, "run", "actions/cache/save")
    assert restore["with"]["path"] == save["with"]["path"] == "data/hotpress.db"
    assert restore["with"]["key"] == save["with"]["key"]
    assert restore["with"]["restore-keys"] == "hotpress-db-"
    assert save["if"] == "always()"  # a failed run still keeps what it stored
    names = [s.get("name") for s in steps(workflow, "run")]
    assert names.index("Restore the archive") < names.index("Fetch and publish")
    assert names.index("Fetch and publish") < names.index("Save the archive")
    commit = steps(workflow, "run")[-1]["run"]
    assert 'git add -A -- "blog/source/_posts"' in commit and "git push" in commit
    assert workflow["permissions"] == {"contents": "write"}


def test_pages_mode_uploads_the_built_site(repo: Path) -> None:
    workflow = init(repo, "--pages")
    (upload,) = uses(workflow, "build", "actions/upload-pages-artifact")
    assert upload["with"]["path"] == "public"
    (restore,) = uses(workflow, "build", "actions/cache/restore")
    assert restore["with"]["path"].split() == ["data/hotpress.db", "public"]
    assert uses(workflow, "deploy", "actions/deploy-pages")
    assert workflow["jobs"]["deploy"]["needs"] == "build"
    assert workflow["permissions"]["pages"] == "write"


def test_init_never_overwrites_a_workflow_silently(repo: Path) -> None:
    init(repo)
    config = str(repo / "hotpress.yml")
    args = ["init", "-q", "--github-actions", "--repo", str(repo), "-c", config]
    assert cli.main(args) == 1
    assert cli.main([*args, "--force"]) == 0


def test_pages_mode_without_a_site_output_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "hotpress.yml"
    config.write_text("output:\n  hexo: posts\n", encoding="utf-8")
    args = ["init", "-q", "--github-actions", "--pages", "--repo", str(tmp_path)]
    assert cli.main([*args, "-c", str(config)]) == 1
    assert not (tmp_path / ".github").exists()


def test_an_archive_outside_the_repository_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    config = repo / "hotpress.yml"
    config.write_text("database: ../elsewhere.db\noutput:\n  hexo: posts\n", encoding="utf-8")
    assert cli.main(["init", "-q", "--github-actions", "--repo", str(repo), "-c", str(config)]) == 1
