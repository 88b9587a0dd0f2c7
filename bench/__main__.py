"""``python -m bench [--quick] [--only ingest,fetch,site,hexo,search]``: run, print, write
the report.

The prose of docs/benchmarks.md that is not measured (profiles, decisions) lives in
bench/notes.md and is copied into the report under the tables' preface.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench import fetch, fullcontent, hexo_out, ingest, pg, search, site, site_ties
from bench.archive import empty_trash
from bench.common import REPO, Section, table
from bench.report import render

ALL = ("ingest", "fetch", "hexo", "site", "fullcontent", "search", "postgresql")
TITLES = {
    "ingest": "## Ingest",
    "fetch": "## Fetch",
    "hexo": "## Hexo output",
    "site": "## Site",
    "fullcontent": "## Full content",
    "search": "## Search",
    "postgresql": "## PostgreSQL",
}


def _ints(text: str) -> list[int]:
    """``10000,30000`` → ``[10000, 30000]`` (an argparse type: a bad list is a usage error)."""
    try:
        sizes = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma list of item counts: {text!r}") from None
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"item counts must be positive: {text!r}")
    return sizes


def _pairs(text: str) -> dict[str, list[int]]:
    """``hexo:10000,hexo:1000`` → ``{"hexo": [10000, 1000]}`` (an argparse type); every pair
    must name a peer whose figures bench/earlier_peers.json holds, so a long run cannot end
    with a peer missing."""
    found: dict[str, list[int]] = {}
    for pair in text.split(","):
        if not pair.strip():
            continue
        peer, _, size = pair.strip().partition(":")
        (number,) = _ints(size) or [0]
        if peer not in ("hexo", "hugo") or not number:
            raise argparse.ArgumentTypeError(f"expected peer:size (hexo or hugo), got {pair!r}")
        if site.earlier(peer, number) is None:
            raise argparse.ArgumentTypeError(f"{site.EARLIER.name} has no figures for {pair!r}")
        found.setdefault(peer, []).append(number)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, no peers (CI)")
    parser.add_argument("--only", default=",".join(ALL), help="comma list of " + ", ".join(ALL))
    parser.add_argument("--runs", type=int, default=None, help="runs per figure (default 5/3)")
    parser.add_argument("--site-sizes", type=_ints, default="10000,30000,100000")
    parser.add_argument(
        "--tie-sizes",
        type=_ints,
        default="10000,100000",
        help="site builds with every item on one date vs distinct dates (sizes)",
    )
    parser.add_argument("--hexo-sizes", type=_ints, default="1000,10000,30000")
    parser.add_argument("--hugo-sizes", type=_ints, default="1000,10000,30000,100000")
    parser.add_argument("--search-sizes", type=_ints, default="10000,100000")
    parser.add_argument(
        "--reuse-search",
        type=_ints,
        default="",
        help="search sizes taken from the figures an earlier run saved in the bench cache",
    )
    parser.add_argument(
        "--pg-site-sizes",
        type=_ints,
        default="100000",
        help="site builds from PostgreSQL and SQLite archives of these sizes",
    )
    parser.add_argument(
        "--pg-big-sizes",
        type=_ints,
        default="",
        help="site builds from PostgreSQL archives alone (e.g. 1000000)",
    )
    parser.add_argument("--peer-runs", type=int, default=1)
    parser.add_argument(
        "--big-runs", type=int, default=None, help="hotpress site runs at ≥ 100,000 items"
    )
    parser.add_argument(
        "--reuse-peers",
        type=_pairs,
        default="",
        help="peer:size,… taken from bench/earlier_peers.json instead of run (e.g. hexo:10000)",
    )
    parser.add_argument("--peer-timeout", type=float, default=600.0, help="seconds per peer step")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = set(wanted) - set(ALL)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    runs = args.runs or (3 if args.quick else 5)
    start = time.perf_counter()
    if empty_trash():  # left by an interrupted run: let the freed inodes age (see scratch())
        print("bench: removed an earlier run's scratch folders; waiting 31 s…", flush=True)
        time.sleep(31)
    try:
        sections = _run_sections(args, wanted, runs)
    finally:
        empty_trash()
    notes = REPO / "bench" / "notes.md"
    command = "python -m bench " + " ".join(sys.argv[1:] if argv is None else argv)
    text = render(
        sections,
        quick=args.quick,
        command=command.strip(),
        repo=REPO,
        seconds=time.perf_counter() - start,
        preface=notes.read_text(encoding="utf-8") if notes.is_file() else "",
    )
    if not args.quick and args.output.is_file():
        text = _keep_others(text, args.output.read_text(encoding="utf-8"), wanted)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"bench: wrote {args.output}", flush=True)
    return 0


def _chunks(text: str) -> list[str]:
    """The report cut at its ``## `` headings (the first chunk is the header)."""
    parts: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("## ") or not parts:
            parts.append("")
        parts[-1] += line
    return parts


def _keep_others(new: str, old: str, ran: list[str]) -> str:
    """A partial run (``--only``) keeps the previous report's sections it did not rerun."""
    kept = {
        name: chunk
        for chunk in _chunks(old)
        for name, title in TITLES.items()
        if name not in ran and chunk.startswith(title)
    }
    if not kept:
        return new
    fresh = {
        name: chunk
        for chunk in _chunks(new)
        for name, title in TITLES.items()
        if chunk.startswith(title)
    }
    head = [c for c in _chunks(new) if not any(c.startswith(t) for t in TITLES.values())]
    body = [(fresh.get(n) or kept.get(n) or "").rstrip() + "\n\n" for n in ALL]
    note = "(Sections not rerun by `--only` are kept from the previous report.)\n\n"
    return "".join(head).rstrip() + "\n\n" + note + "".join(b for b in body if b.strip())


def _print(sec: Section) -> None:
    print(f"\n## {sec.title}")
    if sec.rows:
        print("\n".join(table(sec.header, sec.rows)))
    if sec.targets:
        print("\n".join(table(["target", "goal", "measured", "result"], sec.targets)))
    for note in sec.notes:
        print(f"- {note}")
    print(flush=True)


def _run_sections(args: argparse.Namespace, wanted: list[str], runs: int) -> list[Section]:
    sections: list[Section] = []
    for name in ALL:
        if name not in wanted:
            continue
        print(f"bench: {name}…", flush=True)
        if name == "ingest":
            sec = ingest.run(args.quick, runs)
        elif name == "fetch":
            sec = fetch.run(args.quick, min(runs, 3))
        elif name == "hexo":
            sec = hexo_out.run(args.quick, 1 if not args.quick else runs)
        elif name == "fullcontent":
            sec = fullcontent.run(args.quick, min(runs, 3))
        elif name == "postgresql":
            sizes = [1_000] if args.quick else args.pg_site_sizes
            sec = pg.run(args.quick, min(runs, 3), sizes, [] if args.quick else args.pg_big_sizes)
        elif name == "search":
            sizes = [1_000] if args.quick else args.search_sizes
            if args.big_runs is not None and not args.quick:
                sizes = sorted({*sizes, 1_000_000})
            sec = search.run(args.quick, sizes, reuse=[] if args.quick else args.reuse_search)
        else:
            quick_sizes = [1_000]
            sec = site.run(
                args.quick,
                min(runs, 3),
                quick_sizes if args.quick else args.site_sizes,
                {} if args.quick else {"hexo": args.hexo_sizes, "hugo": args.hugo_sizes},
                args.peer_timeout,
                args.peer_runs,
                big_runs=args.big_runs,
                reuse=args.reuse_peers,
            )
            ties = quick_sizes if args.quick else args.tie_sizes
            site_ties.run(sec, ties, min(runs, 3), args.big_runs)
        sections.append(sec)
        _print(sec)
    return sections


if __name__ == "__main__":
    raise SystemExit(main())
