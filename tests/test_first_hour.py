"""What a new user meets in the first hour, through the command line they run (issue 12)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from rich.cells import cell_len
from rich.console import Console

from conftest import REPO
from hotpress import cli, core
from hotpress._catalog import fetch_catalog
from hotpress._cli.pipeline import print_sources
from hotpress._fetch import FetchSettings, fetch_all, make_client
from hotpress._health import source_states
from hotpress._storage import open_storage
from hotpress.config import load_settings, parse_settings
from hotpress.exceptions import CatalogError, ConfigError
from hotpress.types import FetchRequest

EXAMPLES = REPO / "examples"
KEYS = (
    "feeds/zhihu-hot.xml",
    "feeds/oschina-news.xml",
    "feeds/juejin-frontend.atom",
    "feeds/jinse-lives.xml",
    "feeds/36kr-newsflashes.json",
)


@pytest.fixture
def example(tmp_path: Path) -> Path:
    target = tmp_path / "examples"
    shutil.copytree(EXAMPLES, target, ignore=shutil.ignore_patterns("*.db*", "blog", "public"))
    return target / "hotpress.yml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- serve ------------------------------------------------------------------------------


def test_serve_on_a_taken_port_says_so_in_one_line_and_exits_1(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["serve", "-c", str(example), "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert f"port {port} is already in use" in err and "--port" in err
    assert "Traceback" not in err and "Errno" not in err


def test_ctrl_c_stops_serve_cleanly_with_exit_0(example: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hotpress", "serve", "-c", str(example), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line
        assert httpx.get(url.group(0), timeout=10).status_code == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "ERROR" not in err and "Traceback" not in err
    assert "stopped" in out


# --- sources ----------------------------------------------------------------------------


def test_sources_before_any_run_creates_no_archive_and_says_so(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["sources", "-c", str(example)]) == 0
    out = capsys.readouterr().out
    assert "nothing has been fetched yet" in out
    assert cli.main(["sources", "--json", "-c", str(example)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in rows] == ["new"] * 5
    assert not list(example.parent.glob("example.db*"))


def test_sources_in_a_pipe_is_one_line_per_source_with_every_column(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run", "-q", "-c", str(example)]) == 0
    assert cli.main(["sources", "-c", str(example)]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[1].split()
    assert header[:3] == ["source", "status", "category"] and header[-2:] == ["last", "error"]
    for key, spec in zip(KEYS, load_settings(example).sources, strict=True):
        (line,) = [x for x in lines if key in x]  # one line, not wrapped pieces
        assert line.startswith(key) and " ok " in line
        assert " / ".join(spec.category) in line and spec.url in line
    assert len(lines) == 2 + len(KEYS)


@pytest.mark.parametrize("width", [60, 80, 100])
def test_sources_on_a_narrow_terminal_fit_without_wrapping(example: Path, width: int) -> None:
    # A long error text must be cut, not wrapped.
    broken = example.parent / "feeds" / "36kr-newsflashes.json"
    broken.write_text("{" * 10 + "no feed here " * 30, encoding="utf-8")
    assert cli.main(["run", "-q", "-c", str(example)]) == 0
    settings = load_settings(example)
    storage = open_storage(settings.database)
    try:
        now = core.utcnow()
        states = source_states(settings.sources, storage, now)
    finally:
        storage.close()
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=True, color_system=None)
    print_sources(states, now, "5 sources", console)
    text = buffer.getvalue()
    lines = text[: text.index("(not shown at")].splitlines()
    assert all(cell_len(line) <= width for line in lines), lines
    for key in KEYS:
        # The name may be cut with … but each source is one line.
        assert sum(1 for x in lines if x.startswith(key[:12])) == 1, (key, lines)
    failing = next(x for x in lines if x.startswith(KEYS[4][:12]))
    assert "failing" in failing and "…" in failing
    assert f"(not shown at {width} columns: " in text


# --- config -----------------------------------------------------------------------------


def test_a_config_with_several_problems_shows_them_all_unknown_keys_first(
    tmp_path: Path,
) -> None:
    text = (
        "sources:\n"
        "  - categroy: [社交媒体, 知乎, 知乎热榜]\n"
        "    route: /zhihu/hot\n"
        "  - category: [a]\n"
        "    url: https://example.com/feed\n"
        "    interval: -3\n"
        "    autor: me\n"
    )
    path = tmp_path / "hotpress.yml"
    with pytest.raises(ConfigError) as info:
        parse_settings(text, path)
    lines = str(info.value).splitlines()
    assert lines[0] == f"{path}: 4 problems:"
    assert lines[1].startswith(
        f"  {path}:2: sources[0].categroy: unknown key (did you mean 'category'?)"
    )
    assert lines[2].startswith(f"  {path}:7: sources[1].autor: unknown key (did you mean")
    assert "sources[0].category: required key is missing (is 'categroy' meant" in lines[3]
    assert f"{path}:6: sources[1].interval:" in lines[4]
    assert (info.value.line, info.value.key) == (2, "sources[0].categroy")


def test_config_problems_are_capped_and_counted(tmp_path: Path) -> None:
    text = "".join(f"key{n}: 1\n" for n in range(30))
    with pytest.raises(ConfigError) as info:
        parse_settings(text, tmp_path / "hotpress.yml")
    lines = str(info.value).splitlines()
    assert lines[0].endswith("30 problems:") and lines[-1] == "  … and 10 more"
    assert len(lines) == 1 + 20 + 1


def test_problems_found_after_validation_are_all_listed_too(tmp_path: Path) -> None:
    text = (
        "timezone: Mars/Olympus\n"
        "sources:\n"
        "  - category: [a]\n    route: /x\n    timezone: Nowhere\n"
        "  - category: [b]\n    route: /x\n"
    )
    with pytest.raises(ConfigError) as info:
        parse_settings(text, tmp_path / "hotpress.yml")
    message = str(info.value)
    assert "3 problems" in message
    assert "timezone: unknown timezone 'Mars/Olympus'" in message
    assert "sources[0].timezone: unknown timezone 'Nowhere'" in message
    assert "sources[1]: duplicate source '/x'" in message


# --- one wording per network failure ----------------------------------------------------


def _closed_port_base() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there any more


async def _fetch_error(url: str, transport: httpx.AsyncBaseTransport | None = None) -> str:
    settings = FetchSettings(retries=0)
    async with make_client(settings, transport=transport) as client:
        (result,) = await fetch_all(
            [FetchRequest(source_key="/x", url=url)], client=client, settings=settings
        )
    assert result.error is not None
    return result.error


def _catalog_error(base: str, transport: httpx.BaseTransport | None = None) -> str:
    with httpx.Client(transport=transport) as client, pytest.raises(CatalogError) as info:
        fetch_catalog(base, client)
    return str(info.value)


def test_a_refused_connection_reads_the_same_from_catalog_and_run() -> None:
    base = _closed_port_base()
    run_words = asyncio.run(_fetch_error(base + "/zhihu/hot"))
    catalog_words = _catalog_error(base)
    assert run_words == "connection refused"
    assert catalog_words == f"{base}/api/namespace: {run_words}"


def test_a_dns_failure_reads_the_same_from_catalog_and_run() -> None:
    """The resolver's failure as httpx raises it (``ConnectError`` from ``gaierror``), put
    in by the transport: the test must not depend on a DNS server."""

    def fail(request: httpx.Request) -> httpx.Response:
        try:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        except socket.gaierror as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc

    run_words = asyncio.run(
        _fetch_error("https://rsshub.example/zhihu/hot", httpx.MockTransport(fail))
    )
    catalog_words = _catalog_error("https://rsshub.example", httpx.MockTransport(fail))
    assert run_words == "could not resolve the host name rsshub.example"
    assert catalog_words == f"https://rsshub.example/api/namespace: {run_words}"
    assert "Errno" not in catalog_words


# --- counts -----------------------------------------------------------------------------


def test_summaries_say_written_up_to_date_and_total_for_both_outputs(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run", "-c", str(example)]) == 0
    first = capsys.readouterr().out
    assert "hexo: 14 written, 0 already up to date (14 posts)" in first
    site = re.search(r"site: (\d+) written, 0 already up to date \((\d+) files\)", first)
    assert site and site.group(1) == site.group(2)
    files = int(site.group(1))
    assert cli.main(["run", "-c", str(example)]) == 0
    second = capsys.readouterr().out
    assert "hexo: 0 written, 14 already up to date (14 posts)" in second
    assert f"site: 0 written, {files} already up to date ({files} files)" in second
    assert cli.main(["publish", "--force", "-c", str(example)]) == 0
    forced = capsys.readouterr().out
    assert "hexo: 0 written, 14 already up to date (14 posts)" in forced
    assert f"site: 0 written, {files} already up to date ({files} files)" in forced
    assert cli.main(["build", "-c", str(example)]) == 0
    built = capsys.readouterr().out
    assert f"site: 0 written, {files} already up to date ({files} files)" in built


# --- help -------------------------------------------------------------------------------

COMMANDS = [
    "init",
    "run",
    "fetch",
    "publish",
    "build",
    "serve",
    "sources",
    "watch",
    "catalog",
    "add",
    "remove",
    "opml",
    "prune",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_has_a_description_and_an_example(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    paragraphs = text.split("\n\n")
    assert paragraphs[1].strip().endswith("."), paragraphs[1]  # the description
    assert re.search(rf"^examples?:\n  hotpress {command}\b", text, re.MULTILINE), text
    if "--wait" in text:
        assert "--wait SECONDS" in text


def test_remove_help_says_a_file_source_is_named_by_its_path(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["remove", "--help"])
    assert "file source's path" in " ".join(capsys.readouterr().out.split())
    assert cli.main(["remove", "feeds/jinse-lives.xml", "-c", str(example)]) == 0
    assert "feeds/jinse-lives.xml" not in {s.key for s in load_settings(example).sources}


# --- the lock file ----------------------------------------------------------------------


def test_no_lock_file_is_left_after_a_run(example: Path) -> None:
    assert cli.main(["run", "-q", "-c", str(example)]) == 0
    assert (example.parent / "example.db").is_file()
    assert not (example.parent / "example.db.lock").exists()


def test_many_sources_failing_alike_are_one_summary_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = f"http://127.0.0.1:{free_port()}"  # nothing listens: every route is refused
    routes = "".join(f"  - category: [a, r{n}]\n    route: /r/{n}\n" for n in range(5))
    config = tmp_path / "hotpress.yml"
    config.write_text(f"rsshub: {base}\nfetch:\n  retries: 0\nsources:\n{routes}", "utf-8")
    assert cli.main(["fetch", "-c", str(config)]) == 1
    lines = [x for x in capsys.readouterr().out.splitlines() if "failed" in x]
    assert lines[0] == "sources: 0 ok, 5 failed; items: 0 new, 0 updated"
    assert lines[1:] == ["  failed 5 sources (/r/0, /r/1, /r/2, …): connection refused"]


def test_run_due_with_nothing_due_says_when_the_next_source_is(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run", "-q", "-c", str(example)]) == 0
    assert cli.main(["run", "--due", "-c", str(example)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^sources: none is due yet \(the next one in (59m|1h)\)$", out, re.M), out


def test_a_run_without_outputs_says_nothing_was_published(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(EXAMPLES / "feeds" / "zhihu-hot.xml", tmp_path / "feed.xml")
    config = tmp_path / "hotpress.yml"
    config.write_text("sources:\n  - category: [a]\n    url: feed.xml\n", encoding="utf-8")
    assert cli.main(["run", "-c", str(config)]) == 0
    assert "outputs: none configured, nothing published" in capsys.readouterr().out
