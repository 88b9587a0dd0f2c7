"""Search: hotpress's own index beside Pagefind on the same items.

hotpress's index is built on its own (``searchindex.update_index`` over the archive, as the
site build calls it): full build, no-op, +50 items. Both are then queried in a real Chromium
(Debian's ``/usr/bin/chromium`` through Playwright), a fresh browser context (cold cache) per
query: bytes and requests of everything the page loads (HTML, CSS, scripts, index), and the
time from pressing Enter to the results. Pagefind (``pagefind[extended]``) indexes one HTML
page per item holding the same title, category and body; its page loads ``pagefind.js`` and
the records of its first 20 results, as hotpress's page shows 20.
"""

from __future__ import annotations

import json
import re
import resource
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.archive import archive, copy_of, scratch
from bench.common import CACHE, REPO, Section, run_worker, target_row
from bench.corpus import _TITLE_WORDS
from bench.search_browser import CHROMIUM, measure, page_files, pagefind_index, tree_size
from hotpress._site import searchindex

PAGEFIND_MAX = 30_000
"""Pagefind runs up to this size (its input is one HTML page per item). At 100,000 (2026-12-05,
Pagefind 1.5.2 extended) the kernel's OOM killer stopped it after ~10 minutes in its "Building
search indexes" stage at 23.5 GB resident: it cannot index that many pages on a 24 GiB
machine, and would take the other jobs' memory while it tries."""


def _docs(storage: Any, ids: list[int], zone: Any) -> list[Any]:
    from hotpress._site.search import Doc

    return [
        Doc(
            item.id,
            f"/items/{item.id}.html",
            item.title,
            item.date.astimezone(zone).strftime("%Y-%m-%d"),
            " / ".join(item.category),
            item.content,
        )
        for item, _ in storage.site_items(ids, "site").values()
    ]


def _update(storage: Any, root: Path, state: dict[str, str], zone: Any) -> dict[str, str]:
    from hotpress._publish.writer import Writer
    from hotpress._site import searchindex

    segments = searchindex.SegmentDigests("bench")
    revisions = {s.id: s.revision for s in storage.site_sources()}
    for row in storage.site_order():
        segments.add(row.id, row.revision, revisions[row.source_id])
    cats = [" / ".join(s.category) for s in storage.site_sources()]
    with Writer(root, durable=False) as writer:
        new, _ = searchindex.update_index(
            segments.digests(),
            segments.ids,
            state,
            lambda k: _docs(storage, segments.ids[k], zone),
            writer.write,
            cats,
            state.get("@search-base"),
        )
    return new


def _more(storage: Any, key: str, salt: int) -> None:
    """50 new items in a new source (as ``bench.site._add_fifty``, another feed)."""
    from bench.corpus import render_feed
    from bench.ingest import NOW
    from hotpress.core import store_result
    from hotpress.types import FetchResult, SourceSpec, Validators

    info, body = render_feed(8, 50, salt=salt)
    spec = SourceSpec(key, ("基准", "合并"), "https://merged.example/", "合并", "Asia/Shanghai")
    storage.sync_sources([spec])
    result = FetchResult(spec.key, spec.url, 200, body, info.content_type, Validators(), 0.0)
    store_result(spec, result, storage, now=NOW)


def queries(storage: Any) -> list[tuple[str, str, dict[str, str]]]:
    """The fixed query set: (kind, query, filters); phrases come from one item's lead, so
    they exist in the archive whatever its size (the corpus is seeded)."""
    from zoneinfo import ZoneInfo

    from hotpress._site.searchindex import lead

    middle = storage.count_items() // 2
    (doc,) = _docs(storage, [middle], ZoneInfo("UTC"))
    text = lead(doc)[20:]
    run = max(re.split(r"[^\u4e00-\u9fff]+", text), key=len)  # a run of Han characters
    word = next((w for w in _TITLE_WORDS if w in doc.title), "发布")
    return [
        ("common two-character word (title)", "发布", {}),
        ("common word, category filter", "数据", {"c": "基准 / 源3"}),
        ("rare word", run[2:4], {}),
        ("3-character phrase", run[4:7], {}),
        ("4-character phrase", run[5:9], {}),
        ("6-character phrase", run[3:9], {}),
        ("digit word", "17", {}),
        ("mixed: title word + phrase", f"{word} {run[5:8]}", {}),
        ("single character (titles)", "融", {}),
    ]


def search_bench(db: str, pagefind: bool = True) -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    from bench.site import _add_fifty
    from hotpress._storage import SQLiteStorage

    merge = searchindex.MERGE

    zone = ZoneInfo("Asia/Shanghai")
    out: dict[str, Any] = {}
    with scratch() as tmp_name:
        tmp = Path(tmp_name)
        storage = SQLiteStorage(copy_of(db, tmp))
        root = tmp / "site"
        state: dict[str, str] = {}
        # A merge is a full build of the base: timed apart up to 100,000 items only.
        steps = (
            ("full", "noop", "merge", "add50")
            if storage.count_items() <= 100_000
            else ("full", "noop", "add50")
        )
        for step in steps:
            if step == "merge":  # the build that finds the delta full folds it into the base
                _more(storage, "/bench/merged", 98)
                searchindex.MERGE = 0
            if step == "add50":  # queries then read a delta level too, as between merges
                searchindex.MERGE = merge
                _add_fifty(storage)
            started = time.perf_counter()
            state = _update(storage, root, state, zone)
            out[step] = time.perf_counter() - started
        out["index_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out["bytes"], out["files"], out["blocks"] = tree_size(root / "search-index")
        page_files(root)
        wanted = queries(storage)
        if pagefind:
            out["pagefind"] = pagefind_index(storage, root)
        storage.close()
        out["queries"] = measure(root, wanted, pagefind and "error" not in out.get("pagefind", {}))
    return out


def _kb(value: float) -> str:
    return f"{value / 1000:,.0f} KB"


def _saved(size: int) -> Path:
    return CACHE / f"search-{size}.json"


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def run(
    quick: bool, sizes: list[int], pagefind: bool = True, reuse: list[int] | None = None
) -> Section:
    """``reuse``: sizes whose figures are read from the run that saved them in the bench
    cache (``search-<size>.json``) instead of being measured again."""
    sec = Section("Search: bytes per query, index size and update time — hotpress vs Pagefind")
    if not Path(CHROMIUM).is_file():
        sec.notes.append(f"Not measured: {CHROMIUM} is missing (apt-get install chromium).")
        return sec
    try:
        import pagefind as _pf  # noqa: F401
    except ImportError:
        pagefind = False
    sec.setup = [
        "hotpress: `searchindex.update_index` alone over the archive (full index, no-op, +50 "
        "items in a new source); queries in Chromium, a fresh context (cold cache) each: "
        "bytes = response bodies + headers of everything the search page loads (its HTML, "
        "CSS and scripts included), time = Enter to results shown (first 20).",
        "Pagefind "
        + (
            "(`pagefind[extended]`, one page per item, same text): its index build "
            "time and size; per query the bytes of `pagefind.js`, its WebAssembly, index chunks "
            "and the records of its first 20 results."
            if pagefind
            else "not installed: skipped."
        ),
    ]
    if pagefind:
        sec.setup.append(
            f"Pagefind runs up to {PAGEFIND_MAX:,} items: at 100,000 the kernel's OOM killer "
            "stopped it at 23.5 GB resident on this 24 GiB machine (see `PAGEFIND_MAX` in "
            "bench/search.py)."
        )
    sec.header = ["size", "query", "hotpress bytes", "requests", "time", "results"]
    if pagefind:
        sec.header += ["Pagefind bytes", "requests", "time", "results"]
    figures: dict[int, dict[str, Any]] = {}
    reuse = reuse or []
    for size in sorted({*sizes, *reuse}):
        if size in reuse and size not in sizes:
            if not _saved(size).is_file():
                sec.notes.append(f"{size:,}: no saved figures to reuse ({_saved(size)}).")
                continue
            r = json.loads(_saved(size).read_text(encoding="utf-8"))
            sec.notes.append(
                f"{size:,} items: figures from an earlier run ({r['when']}, commit "
                f"{r['commit']}), saved in the bench cache and reused by `--reuse-search`."
            )
        else:
            # Pagefind indexes one HTML page per item: at 1,000,000 that is ~8 GB of pages.
            peer = pagefind and size <= PAGEFIND_MAX
            started = datetime.now(UTC)
            r = run_worker("bench.search:search_bench", db=str(archive(size)), pagefind=peer)
            if "error" in r:
                sec.notes.append(f"{size:,}: {r['error']}")
                continue
            if size == 100_000 and not quick:
                # The whole default site (search included), for the +50 and no-op targets.
                r["site"] = run_worker(
                    "bench.site:hotpress_site", db=str(archive(size)), pages="default"
                )
            r["when"] = f"{started:%Y-%m-%d %H:%M}–{datetime.now(UTC):%H:%M} UTC"
            r["commit"] = _commit()
            if not quick:
                _saved(size).write_text(json.dumps(r, ensure_ascii=False), encoding="utf-8")
        figures[size] = r
        for q in r["queries"]:
            label = f"{q['kind']}: `{q['query']}`" + (
                " + " + ", ".join(f"{k}={v}" for k, v in q["filters"].items())
                if q["filters"]
                else ""
            )
            row = [
                f"{size:,}",
                label,
                _kb(q["bytes"]),
                str(q["requests"]),
                f"{q['ms']:.0f} ms",
                str(q["results"]),
            ]
            if pagefind and "pf" in q:
                pf = q["pf"]
                row += [
                    _kb(pf["bytes"]),
                    str(pf["requests"]),
                    f"{pf['ms']:.0f} ms",
                    str(pf["results"]),
                ]
            elif pagefind:
                row += ["n/a"] * 4
            sec.rows.append(row)
        pf_build = r.get("pagefind", {})
        sec.notes.append(
            f"{size:,} items: hotpress index {r['bytes'] / 1e6:,.1f} MB in {r['files']:,} files "
            f"({r['blocks'] / 1e6:,.1f} MB of disk blocks), "
            f"full build {r['full']:.1f} s, no-op {r['noop']:.2f} s, +50 items {r['add50']:.2f} s, "
            + (
                f"a build that merges the delta into the base {r['merge']:.1f} s (one build in "
                f"~{searchindex.MERGE // 50} of +50 items)"
                if "merge" in r
                else "a merge costs about a full build"
            )
            + (
                f"; Pagefind index {pf_build['bytes'] / 1e6:,.1f} MB in {pf_build['files']:,} "
                f"files ({pf_build['blocks'] / 1e6:,.1f} MB of disk blocks), built in "
                f"{pf_build['seconds']:.1f} s at a peak of {pf_build.get('rss_mb', 0):,.0f} MB "
                "resident (full only: it cannot update part of an index)"
                if "bytes" in pf_build
                else (f"; Pagefind: {pf_build['error']}" if "error" in pf_build else "")
            )
            + f"; peak memory of the index build process {r['index_rss_mb']:.0f} MB."
        )
        whole = r.get("site", {})
        if "full" in whole:
            sec.notes.append(
                f"{size:,} items, whole default site (search included, `bench.site`): full "
                f"build {whole['full']:.1f} s, no-op {whole['noop']:.2f} s, +50 items "
                f"{whole['add50']:.2f} s, peak memory {whole.get('tree_mb', 0):.0f} MB."
            )
        elif "error" in whole:
            sec.notes.append(f"{size:,} items, whole site: {whole['error']}")
        print(f"bench: search {size:,}: {' '.join(sec.notes[-2:])}", flush=True)
    _targets(sec, figures)
    return sec


def _targets(sec: Section, figures: dict[int, dict[str, Any]]) -> None:
    for size, limit in ((100_000, 300_000), (1_000_000, 400_000)):
        if size in figures:
            worst = max(q["bytes"] for q in figures[size]["queries"])
            sec.targets.append(
                target_row(
                    f"bytes per query at {size:,} (worst of the set)",
                    f"≤ {limit // 1000} KB",
                    _kb(worst),
                    worst,
                    limit,
                    higher_is_better=False,
                )
            )
    if 100_000 in figures:
        r = figures[100_000]
        slowest = max(q["ms"] for q in r["queries"])
        low = {"higher_is_better": False}
        sec.targets += [
            target_row("results at 100,000 (slowest query)", "≤ 500 ms",
                       f"{slowest:.0f} ms", slowest, 500, **low),
            target_row("index on disk at 100,000 (disk blocks)", "≤ 100 MB",
                       f"{r['blocks'] / 1e6:.1f} MB ({r['bytes'] / 1e6:.1f} MB of bytes)",
                       r["blocks"], 100e6, **low),
            target_row("index part of +50 items at 100,000", "≤ 2 s",
                       f"{r['add50']:.2f} s", r["add50"], 2, **low),
            target_row("index part of a no-op at 100,000", "≤ 1 s",
                       f"{r['noop']:.2f} s", r["noop"], 1, **low),
        ]  # fmt: skip
        whole = r.get("site", {})
        if "add50" in whole:
            sec.targets += [
                target_row("whole site, +50 items at 100,000", "≤ 2 s",
                           f"{whole['add50']:.2f} s", whole["add50"], 2, **low),
                target_row("whole site, no-op at 100,000", "≤ 1 s",
                           f"{whole['noop']:.2f} s", whole["noop"], 1, **low),
            ]  # fmt: skip
    if not figures:
        sec.notes.append("No size was measured.")
    elif max(figures) < 100_000:
        sec.notes.append(f"Quick run ({max(figures):,} items): the targets are judged at 100,000.")


__all__ = ["queries", "run", "search_bench"]
