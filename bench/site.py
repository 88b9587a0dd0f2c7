"""Site build: hotpress's static site beside Hexo (stock generators) and Hugo (minimal
templates) on the same archived items: full build, no-op rebuild, rebuild after +50 items.

Peers get the items as Markdown posts with HTML bodies (written untimed before the build);
each peer step has a time bound and the table says when a peer did not finish within it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.archive import archive, copy_of, scratch
from bench.common import REPO, Section, TreeMemory, run_worker, target_row, verdict

PEERS = REPO / "bench" / "peers"
STEPS = ("full", "noop", "add50")
NAMES = {
    "hotpress": "hotpress, peers' page set",
    "hotpress-default": "hotpress, default site",
}
EARLIER = REPO / "bench" / "earlier_peers.json"


# --- hotpress -----------------------------------------------------------------------------


PEER_PAGES: dict[str, Any] = {
    "feeds": ["rss"],
    "list_feeds": False,
    "archives": False,
    "search": False,
}
"""hotpress's site options for the peers' page set: home pagination, item pages, category
pages, one feed (plus the category tree, sitemaps, robots.txt and 404, which it always has)."""


def _settings(tmp: Path, sources: tuple[Any, ...], pages: str = "default") -> Any:
    from hotpress.config import FetchConfig, Settings, SiteConfig

    return Settings(
        path=tmp / "hotpress.yml",
        database=tmp / "archive.db",
        timezone="Asia/Shanghai",
        hexo_dir=None,
        site_dir=tmp / "site",
        site=SiteConfig(**(PEER_PAGES if pages == "peers" else {})),
        fetch=FetchConfig(),
        sources=sources,
    )


def _add_fifty(storage: Any, round: int = 0) -> Any:
    """50 new items in a new source (a feed the corpus does not have); ``round`` > 0 makes
    another new source with other items, a day newer per round (a re-measured +50 on a kept
    site)."""
    from bench.corpus import render_feed
    from bench.ingest import NOW
    from hotpress.core import store_result
    from hotpress.types import FetchResult, SourceSpec, Validators

    info, body = render_feed(7, 50, salt=99 + round)
    spec = SourceSpec(
        f"/bench/extra{round}" if round else "/bench/extra",
        ("基准", "新源", "新频道"),
        "https://extra.example/",
        "新源",
        "Asia/Shanghai",
    )
    storage.sync_sources([spec])
    result = FetchResult(spec.key, spec.url, 200, body, info.content_type, Validators(), 0.0)
    return store_result(spec, result, storage, now=NOW)


def timed_steps(
    settings: Any, storage: Any, steps: tuple[str, ...], out: dict[str, Any], round: int = 0
) -> None:
    """Build the site once per step into ``out`` (wall, CPU, files written); ``add50`` first
    stores 50 new items of a new source (``round`` numbers it)."""
    from hotpress._site.build import build_site

    for step in steps:
        if step == "add50":
            _add_fifty(storage, round)
        wall, cpu = time.perf_counter(), time.process_time()
        report = build_site(settings, storage)
        out[step] = time.perf_counter() - wall
        out[f"{step}_cpu"] = time.process_time() - cpu
        out[f"{step}_written"] = report.written
        if report.error:
            raise RuntimeError(f"build_site failed: {report.error}")


def hotpress_site(db: str, pages: str = "default") -> dict[str, Any]:
    """Full build, no-op rebuild, +50 items (a new source), each timed. ``pages``: the
    default site or the peers' page set (``PEER_PAGES``). Peak memory is sampled over the
    whole process tree (the build's worker processes run at the same time as it)."""
    from hotpress._storage import SQLiteStorage

    out: dict[str, Any] = {}
    with scratch() as tmp_name, TreeMemory() as memory:
        tmp = Path(tmp_name)
        storage = SQLiteStorage(copy_of(db, tmp))
        settings = _settings(tmp, (), pages)
        timed_steps(settings, storage, STEPS, out)
        out["files"] = sum(len(f) for _, _, f in os.walk(settings.site_dir))
        storage.close()
    out["tree_mb"] = memory.peak_mb
    out["seconds"] = out["full"]
    return out


# --- the peers ----------------------------------------------------------------------------


def _posts(storage: Any, folder: Path, style: str, extra: bool = False) -> int:
    """Write the archive's items as Markdown posts (HTML bodies) for Hexo or Hugo."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    items = storage.iter_items()
    for item in items:
        if extra != (item.source_key == "/bench/extra"):
            continue
        title = item.title.replace("'", "''")
        cats = "".join(f"\n  - '{c}'" for c in item.category)
        hexo_date = item.date.strftime("%Y-%m-%d %H:%M:%S")
        date = hexo_date if style == "hexo" else item.date.isoformat()
        head = f"---\ntitle: '{title}'\ndate: {date}\ncategories:{cats}\n---\n\n"
        (folder / f"p{item.id}.md").write_text(head + item.content + "\n", encoding="utf-8")
        count += 1
    return count


def _timed_run(cmd: list[str], cwd: Path, bound: float) -> float | None:
    wall = time.perf_counter()
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=bound)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[:3]
        raise RuntimeError(f"{cmd[0]} failed: {' | '.join(tail)}")
    return time.perf_counter() - wall


def peer_site(db: str, peer: str, bound: float) -> dict[str, Any]:
    from hotpress._storage import SQLiteStorage

    out: dict[str, Any] = {}
    with scratch() as tmp_name:
        tmp = Path(tmp_name)
        storage = SQLiteStorage(copy_of(db, tmp))
        site = tmp / peer
        if peer == "hexo":
            (site / "themes").mkdir(parents=True)
            shutil.copytree(PEERS / "hexo-theme", site / "themes" / "mini")
            shutil.copy(PEERS / "hexo-config.yml", site / "_config.yml")
            # Hexo loads the plugins named in the site's package.json only when it has "hexo".
            package = json.loads((PEERS / "package.json").read_text())
            package["hexo"] = {"version": package["dependencies"]["hexo"].lstrip("~^")}
            (site / "package.json").write_text(json.dumps(package))
            (site / "node_modules").symlink_to(PEERS / "node_modules")
            posts = site / "source" / "_posts"
            cmd = ["node", str(PEERS / "run-hexo.js")]
        else:
            shutil.copytree(PEERS / "hugo-site", site)
            posts = site / "content" / "posts"
            cmd = ["hugo", "--quiet", "-d", "public"]
        out["posts"] = _posts(storage, posts, peer)
        for step in STEPS:
            if step == "add50":
                _add_fifty(storage)
                _posts(storage, posts, peer, extra=True)
            seconds = _timed_run(cmd, site, bound)
            out[step] = seconds
            if seconds is None:
                break
        storage.close()
    out["seconds"] = out["full"] if out["full"] is not None else -1.0
    return out


# --- tools --------------------------------------------------------------------------------


def ensure_peers(log: list[str]) -> dict[str, str]:
    """Install Hexo (npm ci, pinned by the lockfile) and Hugo (apt) when missing; versions."""
    versions: dict[str, str] = {}
    if shutil.which("npm") and not (PEERS / "node_modules" / "hexo").is_dir():
        log.append("Installed Hexo with `npm ci` in bench/peers (pinned by package-lock.json).")
        print("bench: installing Hexo (npm ci in bench/peers)…", flush=True)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PEERS, check=False)
    if not shutil.which("hugo") and os.geteuid() == 0 and shutil.which("apt-get"):
        log.append("Installed Hugo with `apt-get install -y hugo` (Debian's package).")
        print("bench: installing Hugo (apt-get install -y hugo)…", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "hugo"], check=False)
    package = PEERS / "node_modules" / "hexo" / "package.json"
    if package.is_file() and shutil.which("node"):
        versions["hexo"] = json.loads(package.read_text())["version"]
        versions["node"] = subprocess.run(
            ["node", "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    if shutil.which("hugo"):
        versions["hugo"] = subprocess.run(
            ["hugo", "version"], capture_output=True, text=True, check=False
        ).stdout.split()[1]
    return versions


# --- the section --------------------------------------------------------------------------


def _cell(values: list[float | None], bound: float) -> str:
    done = [v for v in values if v is not None]
    if not values:
        return "not run"
    if not done:
        return f"did not finish within {bound:.0f} s"
    done.sort()
    mid = done[len(done) // 2]
    spread = f" ({done[0]:.2f}–{done[-1]:.2f})" if len(done) > 1 else ""
    return f"{mid:.2f} s{spread}"


def _median(values: list[float | None]) -> float:
    done = sorted(v for v in values if v is not None)
    return done[len(done) // 2] if done else float("nan")


def earlier(peer: str, size: int) -> dict[str, Any] | None:
    """A peer's figures from an earlier run (bench/earlier_peers.json), for peers too slow to
    rerun every time (Hexo at 10,000 takes ~18 min); the report labels them as such."""
    if not EARLIER.is_file():
        return None
    saved = json.loads(EARLIER.read_text())
    found: dict[str, Any] | None = saved.get("results", {}).get(peer, {}).get(str(size))
    if found is not None:
        source = saved.get("sources", {}).get(f"{peer}:{size}") or saved.get("source")
        found.setdefault("source", source or "an earlier run")
    return found


def run(
    quick: bool,
    runs: int,
    sizes: list[int],
    peer_sizes: dict[str, list[int]],
    bound: float,
    peer_runs: int = 1,
    *,
    big_runs: int | None = None,
    reuse: dict[str, list[int]] | None = None,
) -> Section:
    """``big_runs``: hotpress runs at sizes ≥ 100,000 (default ``runs``); ``reuse``: peer
    sizes taken from bench/earlier_peers.json instead of being run."""
    sec = Section("Site build: full, no-op, +50 items — hotpress vs Hexo vs Hugo")
    reuse = reuse or {}
    try:
        from hotpress._site.build import build_site  # noqa: F401
    except ImportError as exc:
        sec.notes.append(f"Not available: hotpress._site.build_site cannot be imported ({exc}).")
        return sec
    log: list[str] = []
    versions = ensure_peers(log) if not quick and any(peer_sizes.values()) else {}
    sec.setup = [
        f"hotpress: median of {runs} runs per size; peers: {peer_runs} run(s) per size, each "
        f"step bounded at {bound:.0f} s. Page sets: home pagination (30 per page), item pages, "
        "category pages, one feed — hotpress builds that set with `site: {feeds: [rss], "
        'list_feeds: false, archives: false, search: false}` ("peers\' page set", judged '
        'against the peers); "default site" adds month lists and archive pages, RSS + Atom + '
        "JSON Feed for every list and the search index (shown beside them; judged alone for "
        "no-op, +50 items and memory at the largest size).",
        "hotpress's peak memory is that of its whole process tree (the main process and the "
        "worker processes a full build starts), sampled every 20 ms; the peers' is ru_maxrss of "
        "their process.",
        "Peers: " + (", ".join(f"{k} {v}" for k, v in versions.items()) or "skipped (--quick)"),
        *log,
    ]
    sec.header = ["size", "tool", "full build", "no-op rebuild", "+50 items", "peak memory"]
    results: dict[tuple[str, int], dict[str, list[float | None]]] = {}
    peaks: dict[tuple[str, int], float] = {}
    all_sizes = sorted(
        {
            *sizes,
            *(s for v in peer_sizes.values() for s in v),
            *(s for v in reuse.values() for s in v),
        }
    )
    reused: dict[tuple[str, int], str] = {}
    for size in all_sizes:
        own_runs = runs if size < 100_000 or big_runs is None else big_runs
        # The peers' page set is judged against the peers; the default site is shown beside
        # it and judged alone at 100,000 and more (no-op, +50 items, memory).
        ours = ["hotpress", "hotpress-default"] if size < 100_000 else ["hotpress-default"]
        plan = [(tool, own_runs) for tool in ours] if size in sizes else []
        plan += [(p, peer_runs) for p, s in peer_sizes.items() if size in s and p in versions]
        plan += [(p, 0) for p, s in reuse.items() if size in s and (p, peer_runs) not in plan]
        db = str(archive(size)) if any(count for _, count in plan) else ""
        for tool, count in plan:
            got: dict[str, list[float | None]] = {s: [] for s in STEPS}
            old = earlier(tool, size) if count == 0 else None
            if count == 0 and old is None:
                sec.notes.append(f"{tool} at {size:,}: no earlier figures to reuse.")
                continue
            if old is not None:
                for s in STEPS:
                    if s in old:  # a step after one that did not finish was not run
                        got[s].append(old[s])
                peaks[(tool, size)] = old.get("rss_mb", float("nan"))
                reused[(tool, size)] = str(old["source"])
            for _ in range(count):
                if tool.startswith("hotpress"):
                    pages = "default" if tool == "hotpress-default" else "peers"
                    r = run_worker("bench.site:hotpress_site", db=db, pages=pages)
                else:
                    r = run_worker(
                        "bench.site:peer_site", timeout=bound * 4, db=db, peer=tool, bound=bound
                    )
                if "error" in r:
                    sec.notes.append(f"{tool} at {size:,}: {r['error']}")
                    break
                for s in STEPS:
                    if s in r:  # a step after one that did not finish is not run
                        got[s].append(r[s])
                peak = max(r["rss_mb"], r.get("tree_mb", 0.0))  # the process tree's, if known
                peaks[(tool, size)] = max(peaks.get((tool, size), 0.0), peak)
            results[(tool, size)] = got
            peak = peaks.get((tool, size))
            sec.rows.append(
                [
                    f"{size:,}",
                    f"{tool} (earlier run¹)" if old is not None else NAMES.get(tool, tool),
                    *(_cell(got[s], bound) for s in STEPS),
                    f"{peak:,.0f} MB" if peak else "n/a",
                ]
            )
            print(f"bench: site {tool} {size:,}: {sec.rows[-1][2:]}", flush=True)
    for (tool, size), source in sorted(reused.items()):
        sec.notes.append(
            f"¹ Not run in this invocation: {tool} at {size:,} is from {source}. The peers "
            "did not change (same lockfile, same Debian package); the figures are from the "
            "same machine but under that run's load, so ratios against them are less exact "
            "than same-run ratios."
        )
    if big_runs is not None and any(s >= 100_000 for s in sizes):
        sec.setup.append(f"hotpress at 100,000 and more: {big_runs} run(s) (time).")
    _targets(sec, results, peaks, sizes, bound, set(reused))
    return sec


def _targets(
    sec: Section,
    results: dict[tuple[str, int], dict[str, list[float | None]]],
    peaks: dict[tuple[str, int], float],
    sizes: list[int],
    bound: float,
    reused: set[tuple[str, int]],
) -> None:
    def full(tool: str, size: int) -> float:
        return _median(results.get((tool, size), {}).get("full", []))

    for size, peer, goal, text in (
        (10_000, "hexo", 20.0, "≥ 20×"),
        (10_000, "hugo", 1.0, "> 1×"),
        (30_000, "hugo", 1.0, "> 1×"),
    ):
        if (peer, size) in results and ("hotpress", size) in results:
            x = full(peer, size) / full("hotpress", size)
            if x != x and results[(peer, size)]["full"] == [None]:
                # The peer's time is only known to exceed the bound: a lower bound on the ratio.
                least = bound / full("hotpress", size)
                result = (
                    "pass"
                    if least >= goal
                    else f"undecided (needs {peer} ≥ {goal * full('hotpress', size):.0f} s)"
                )
                sec.targets.append(
                    [
                        f"full build at {size:,} vs {peer}",
                        text,
                        f"≥ {least:.1f}× ({peer} did not finish within {bound:.0f} s)",
                        result,
                    ]
                )
                continue
            old = " (peer from the earlier run¹)" if (peer, size) in reused else ""
            sec.targets.append(
                target_row(
                    f"full build at {size:,} vs {peer}",
                    text,
                    (f"{x:.1f}× faster" if x >= 1 else f"{1 / x:.1f}× slower") + old,
                    x,
                    goal,
                )
            )
    big = max(sizes) if sizes else 0
    judged = "hotpress-default" if ("hotpress-default", big) in results else "hotpress"
    if (judged, big) in results:
        got = results[(judged, big)]
        noop, add = _median(got["noop"]), _median(got["add50"])
        sec.targets.append(
            [
                f"no-op rebuild at {big:,}",
                "≤ 1 s",
                f"{noop:.2f} s",
                verdict(noop, 1.0, higher_is_better=False),
            ]
        )
        sec.targets.append(
            [
                f"+50 items at {big:,}",
                "≤ 2 s",
                f"{add:.2f} s",
                verdict(add, 2.0, higher_is_better=False),
            ]
        )
        peak = peaks.get((judged, big), float("nan"))
        sec.targets.append(
            [
                f"peak memory at {big:,}",
                "≤ 500 MB",
                f"{peak:,.0f} MB",
                verdict(peak, 500, higher_is_better=False),
            ]
        )
