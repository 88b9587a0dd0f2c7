"""Posts written by hotpress, read by a real Hexo (the version pinned in tests/hexo_check).

Needs Node.js and npm; Hexo is installed once into a folder under the system temp directory
named after the hash of ``tests/hexo_check/package.json`` and reused by later runs. Every post
must be read (Hexo silently skips a post whose front matter it cannot parse), with its title,
categories, author, date and images exactly as hotpress meant them, and ``hexo generate`` must
succeed (one bad Nunjucks tag in any body aborts the whole build).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

import lxml.html
import pytest

from conftest import skip_or_fail
from hotpress._normalize.sanitize import sanitize_html
from hotpress._publish.filenames import category_dir, post_filename
from hotpress._publish.hexo import render_post
from hotpress._publish.theme_text import theme_text
from hotpress._publish.writer import Writer

pytestmark = pytest.mark.network_peer

CHECK = Path(__file__).resolve().parent / "hexo_check"
MIN_NODE = (20, 19)
START = datetime(2021, 6, 17, 2, 4, 43, tzinfo=UTC)
HOSTILE_NAMES = [
    *("知乎", "a: b", "#x", "- y", "'q'", '"dq"', "x #y", "[l]", "{m}", "&a", "*b", "!t"),
    *("|", "> f", "%d", "@u", "---", "yes", "null", "~", "1e3", "0o17", "2024-01-15"),
    *("12:30", "it's", "C#", "B 站每周必看", "tab\there", "back\\slash", "知乎: 热榜"),
]


@dataclass(frozen=True)
class Expected:
    title: str
    categories: list[str]
    author: str
    date: datetime
    image: str | None
    body: str
    marker: str


def _node_ok() -> None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        skip_or_fail("node and npm are needed to run a real Hexo")
        return
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    found = tuple(int(n) for n in re.findall(r"\d+", version.stdout)[:2])
    if found < MIN_NODE:
        skip_or_fail(f"Hexo 8 needs Node >= 20.19, found {version.stdout.strip()}")


def _hexo_modules(folder: Path = CHECK) -> Path:
    """node_modules holding the pinned Hexo of ``folder`` (package.json + package-lock.json,
    `npm ci`), installed once per lockfile content."""
    spec = (folder / "package.json").read_bytes()
    lock = (folder / "package-lock.json").read_bytes()
    key = hashlib.sha256(spec + lock).hexdigest()[:12]
    cache = Path(tempfile.gettempdir()) / f"hotpress-hexo-{key}"
    if (cache / "node_modules" / "hexo" / "package.json").is_file():
        return cache / "node_modules"
    staging = Path(tempfile.mkdtemp(prefix="hotpress-hexo-install-"))
    (staging / "package.json").write_bytes(spec)
    (staging / "package-lock.json").write_bytes(lock)
    npm = shutil.which("npm") or "npm"
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=staging,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        skip_or_fail(f"npm install of Hexo failed: {done.stderr[-2000:]}")
    try:
        os.replace(staging, cache)  # atomic: a parallel run sees all of it or nothing
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another run got there first
    return cache / "node_modules"


def _generate(site: Path, modules: Path) -> subprocess.CompletedProcess[str]:
    """`hexo generate` in ``site`` with the pinned Hexo."""
    return subprocess.run(
        ["node", str(modules / "hexo" / "bin" / "hexo"), "generate"],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _cases(corpora: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((corpora / "hexo" / "cases.json").read_text("utf-8"))
    assert (len(data["titles"]), len(data["bodies"])) == (49, 21)
    return data


def _posts(corpora: Path) -> list[Expected]:
    cases = _cases(corpora)
    posts: list[Expected] = []
    for n, case in enumerate(cases["titles"]):
        name = HOSTILE_NAMES[n % len(HOSTILE_NAMES)]
        marker = f"MARK-title-{n}"
        posts.append(
            Expected(
                title=case["title"],
                categories=["社交媒体", name, "热榜"],
                author=HOSTILE_NAMES[(n + 7) % len(HOSTILE_NAMES)],
                date=START + timedelta(minutes=n),
                image="https://pic1.zhimg.com/v2-a_1440w.jpg?x='1'&y=2" if n % 3 == 0 else None,
                body=f"<p>{marker} {case['id']}</p>",
                marker=marker,
            )
        )
    bodies = [
        *cases["bodies"],
        {"id": "blank_lines", "body": "<pre><code>a\n\n    b *c*\n# d\n</code></pre><p>MARK</p>"},
        {"id": "leading_blank_line", "body": "\n\n<p>_x_ **y**\n\n- z MARK</p>"},
    ]
    for n, case in enumerate(bodies):
        # As the pipeline publishes it (sanitized) and raw, to test the Nunjucks step alone.
        for kind, body in (("sanitized", sanitize_html(case["body"])), ("raw", case["body"])):
            posts.append(
                Expected(
                    title=f"body {case['id']} {kind}",
                    categories=["编程", "body", kind],
                    author="知乎",
                    date=START - timedelta(days=n),
                    image=None,
                    body=body,
                    marker="MARK",
                )
            )
    return posts


@pytest.fixture(scope="module")
def hexo_run(
    corpora: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess[str], dict[str, Expected], dict[str, dict[str, Any]]]:
    _node_ok()
    modules = _hexo_modules()
    site = tmp_path_factory.mktemp("hexo-site")
    shutil.copytree(CHECK / "site", site, dirs_exist_ok=True)
    shutil.copy(CHECK / "package.json", site / "package.json")
    (site / "node_modules").symlink_to(modules)

    writer = Writer(site / "source")
    expected: dict[str, Expected] = {}
    for n, post in enumerate(_posts(corpora)):
        folder = PurePosixPath("_posts") / category_dir(post.categories)
        identity = hashlib.sha256(str(n).encode()).hexdigest()
        in_folder = {key.rsplit("/", 1)[1] for key in expected if key.startswith(f"{folder}/")}
        name = post_filename(post.title, identity, in_folder.__contains__)
        data = render_post(
            title=post.title,
            categories=post.categories,
            author=post.author,
            date=post.date,
            cover=post.image,
            identity=identity,
            body_html=post.body,
        )
        assert writer.write(folder / name, data)
        expected[str(folder / name)] = post

    done = _generate(site, modules)
    report = site / "public" / "hotpress-check.json"
    read = (
        {p["source"]: p for p in json.loads(report.read_text("utf-8"))} if report.exists() else {}
    )
    return done, expected, read


Run = tuple[subprocess.CompletedProcess[str], dict[str, Expected], dict[str, dict[str, Any]]]


def test_hexo_generate_succeeds_without_errors(hexo_run: Run) -> None:
    done, _, _ = hexo_run
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-3000:]
    assert "Process failed" not in log, log[-3000:]
    assert "ERROR" not in log, log[-3000:]


def test_every_post_is_read_by_hexo(hexo_run: Run) -> None:
    _, expected, read = hexo_run
    assert len(expected) == 49 + 2 * (21 + 2)
    assert sorted(read) == sorted(expected)


def test_every_front_matter_field_reads_back_exactly(hexo_run: Run) -> None:
    _, expected, read = hexo_run
    wrong: list[tuple[str, object, object]] = []
    for source, post in expected.items():
        got = read.get(source)
        if got is None:
            continue  # reported by test_every_post_is_read_by_hexo
        want = {
            # Exactly, with look-alikes for what HTML reads (see test_theme_text.py).
            "title": theme_text(post.title),
            "categories": sorted(theme_text(level) for level in post.categories),
            "author": theme_text(post.author),
            "date": post.date.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "comments": False,
        }
        have = {key: got[key] for key in want}
        have["categories"] = sorted(got["categories"])
        if have != want:
            wrong.append((source, have, want))
        image = got["headimg"]
        if image != got["thumbnail"] or (post.image or "https://picsum.photos/") not in image:
            wrong.append((source, image, post.image))
    assert wrong == []


def _text(fragment: str) -> str:
    if not fragment.strip():
        return ""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    return " ".join(root.text_content().split())


def test_every_body_keeps_its_marker_and_its_text(hexo_run: Run) -> None:
    _, expected, read = hexo_run
    wrong = []
    for source, post in expected.items():
        got = read.get(source)
        if got is None:
            continue
        content = got["content"]
        if post.marker not in content:
            wrong.append((source, "marker", content))
        elif "sanitized" in post.title and _text(post.body) not in _text(content):
            wrong.append((source, _text(post.body), _text(content)))
    assert wrong == []


@pytest.fixture(scope="module")
def example_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], list[Any], dict[str, dict[str, Any]]]:
    """The bundled example (examples/hotpress.yml) published by `hotpress run` into a real
    Hexo site's source/_posts, then `hexo generate`."""
    from hotpress import cli
    from hotpress._storage import SQLiteStorage

    _node_ok()
    modules = _hexo_modules()
    site = tmp_path_factory.mktemp("hexo-example")
    shutil.copytree(CHECK / "site", site, dirs_exist_ok=True)
    shutil.copy(CHECK / "package.json", site / "package.json")
    (site / "node_modules").symlink_to(modules)
    examples = Path(__file__).resolve().parent.parent / "examples"
    shutil.copytree(examples / "feeds", site / "feeds")
    config = site / "hotpress.yml"
    text = (examples / "hotpress.yml").read_text("utf-8")
    text = text.replace("hexo: blog/source/_posts", "hexo: source/_posts").replace(
        "  site: public\n", ""
    )
    config.write_text(text, encoding="utf-8")
    assert cli.main(["run", "-q", "-c", str(config)]) == 0
    with SQLiteStorage(site / "example.db") as store:
        items = list(store.iter_items())
    done = _generate(site, modules)
    report = site / "public" / "hotpress-check.json"
    read = {p["title"]: p for p in json.loads(report.read_text("utf-8"))} if report.exists() else {}
    return done, items, read


def test_the_example_feeds_build_in_real_hexo_with_every_title_exact(
    example_run: tuple[subprocess.CompletedProcess[str], list[Any], dict[str, dict[str, Any]]],
) -> None:
    done, items, read = example_run
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-3000:]
    assert "Process failed" not in log, log[-3000:]
    assert len(items) == 14
    assert sorted(read) == sorted(theme_text(item.title) for item in items)
    for item in items:
        got = read[theme_text(item.title)]
        assert got["categories"] == list(item.category)
        assert got["date"] == item.date.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        assert _text(item.content)[:20] in _text(got["content"])
