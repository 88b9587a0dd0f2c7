"""Real Hexo sites with the themes people use, and the hostile values published into them
(tests/test_hexo_themes_browser.py, tests/test_hexo_abbrlink.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hotpress._publish.hexo import render_post
from hotpress._publish.writer import Writer

HERE = Path(__file__).resolve().parent
THEMES = {"volantis6": "volantis6", "volantis5": "volantis5", "landscape": "hexo-theme-landscape"}

ISSUE_TITLES = [
    "Vue 3.4 新特性：<script setup> 的 defineModel",
    "<img src=x onerror=alert('title-img')>",
    "悬停' onmouseover='alert(\"title-sq\")' x='",
]
# The neighbours the same mistake lets through: the other quote, other elements whose content
# swallows the page, the contexts a title is printed in (<title>, JSON-LD, JS strings, URLs),
# and text that only looks like markup once a theme escapes it twice.
NEIGHBOUR_TITLES = [
    'a" onmouseover="alert(\'title-dq\')" x="',
    "</title><script>alert('title-tt')</script>",
    "</script><script>alert('title-js')</script>",
    "<svg/onload=alert('title-svg')>",
    "<iframe srcdoc=\"<script>alert('title-if')</script>\"></iframe>",
    "<a href=javascript:alert('title-a')>点我</a>",
    "--><img src=x onerror=alert('title-cm')><!--",
    "<!-- 注释吞掉后文",
    "<style>body{display:none}</style>隐身",
    "<textarea>吞掉后文",
    "<plaintext>吞掉后文",
    "<noscript><p title=\"</noscript><img src=x onerror=alert('title-ns')>\">",
    "&lt;img src=x onerror=alert('title-ent')&gt; 已转义",
    "&#39; onmouseover=&#39;alert(1)&#39; 实体引号",
    'It\'s "quoted" & <b>bold</b> — Tom & Jerry',
    "\\'; alert('title-bs'); //",
    "${alert('title-tpl')} {{7*7}} `反引号`",
    "‘已经是’ “弯引号” ＜全角＞",
]
HOSTILE_NAMES = [
    "<img src=x onerror=alert('cat-img')>",
    "悬停' onmouseover='alert(\"cat-sq\")' x='",
    'a" onmouseover="alert(\'cat-dq\')" x="',
    "</title><plaintext>",
    "Tom & Jerry &lt;b&gt;",
]


def hostile_feed(titles: list[tuple[int, str]]) -> dict[str, Any]:
    start = datetime(2021, 6, 17, 2, 4, 43, tzinfo=UTC)
    return {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "hostile",
        "items": [
            {
                "id": f"hostile-{n}",
                "url": f"https://example.com/p/{n}",
                "title": title,
                "content_html": f"<p>BODYMARK{n:04d} 正文</p>",
                "date_published": (start + timedelta(minutes=n)).isoformat(),
            }
            for n, title in titles
        ],
    }


def benign_source(root: Path) -> Path:
    """A site of one harmless post: which page errors the theme has without any title."""
    source = root / "benign"
    if not source.is_dir():
        post = render_post(
            title="Hello World",
            categories=["测试", "标题"],
            author="知乎",
            date=datetime(2021, 6, 17, tzinfo=UTC),
            cover=None,
            identity="0" * 64,
            body_html="<p>BODYMARK9999 正文</p>",
        )
        Writer(source / "_posts" / "测试" / "标题").write("Hello World.md", post)
    return source


def make_site(
    root: Path, modules: Path, theme: str, name: str, *, permalink: str | None = None
) -> Path:
    """A Hexo site with ``theme`` and the renderers and generators it needs; with
    ``permalink``, hexo-abbrlink too (e.g. ``p/:abbrlink.html``, as on the original site)."""
    site = root / name
    shutil.copytree(HERE / "site", site)
    config = (site / "_config.yml").read_text("utf-8") + f"theme: {theme}\n"
    if permalink is not None:
        config = config.replace("permalink: :year/:month/:day/:title/", f"permalink: {permalink}")
    (site / "_config.yml").write_text(config, encoding="utf-8")
    spec = json.loads((HERE / "package.json").read_text("utf-8"))
    # The site's package.json decides which plugins Hexo loads: the renderers and generators.
    plugins = {k: v for k, v in spec["dependencies"].items() if k.startswith("hexo")}
    if permalink is None:
        plugins.pop("hexo-abbrlink")
    spec["dependencies"] = plugins
    (site / "package.json").write_text(json.dumps(spec), encoding="utf-8")
    (site / "node_modules").symlink_to(modules)
    (site / "themes").mkdir()
    (site / "themes" / theme).symlink_to(modules / THEMES[theme])
    return site


def generate(site: Path, modules: Path) -> tuple[str, list[dict[str, Any]]]:
    """`hexo generate`: its log and every post as Hexo read it (scripts/pages.js)."""
    done = subprocess.run(
        ["node", str(modules / "hexo" / "bin" / "hexo"), "generate"],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-3000:]
    pages = json.loads((site / "public" / "hotpress-pages.json").read_text("utf-8"))
    return log, pages


def build(
    root: Path, modules: Path, theme: str, source: Path, name: str
) -> tuple[str, list[dict[str, Any]]]:
    site = make_site(root, modules, theme, name)
    shutil.copytree(source, site / "source")
    return generate(site, modules)
