"""Commands for running hotpress for real: watch, catalog, add/remove, opml, prune, deploy."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

import httpx
from rich.console import Console

from hotpress import core
from hotpress._catalog import CatalogRoute, fetch_catalog, find_route, search
from hotpress._cli.common import log, output_line
from hotpress._cli.table import Cell, Column, print_table
from hotpress._cli.workers import cmd_schedule
from hotpress._configedit import NewSource, add_sources, remove_source
from hotpress._deploy import choose_mode, render_workflow, workflow_values, write_workflow
from hotpress._health import check_sources
from hotpress._lock import run_lock
from hotpress._opml import export_opml, parse_opml, to_route
from hotpress._retention import apply_retention
from hotpress._storage import open_storage
from hotpress._watch import Round, Stop, stop_on_signals, watch
from hotpress.config import FetchConfig, Settings
from hotpress.exceptions import ConfigError


def cmd_init_actions(
    args: argparse.Namespace, settings: Settings, out: Console, err: Console
) -> int:
    mode = choose_mode(settings, args.pages)
    repo = Path(args.repo)
    text = render_workflow(mode, workflow_values(settings, repo, args.package))
    target = write_workflow(repo, text, force=args.force)
    what = "publishes the site to GitHub Pages" if mode == "pages" else "commits new posts"
    out.print(f"wrote {target}: runs hourly, caches the archive, {what}")
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    results = asyncio.run(check_sources(settings, settings.sources))
    if args.json:
        rows = [r.row() for r in results]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    else:
        columns = (
            Column("source", shrink=16),
            Column("result"),
            Column("status", rank=3),
            Column("entries", rank=4),
            Column("time", rank=5),
            Column("error", rank=1, shrink=20),
        )
        cells: list[list[Cell | str]] = [
            [
                r.key,
                Cell("ok", "green") if r.ok else Cell("failed", "red"),
                str(r.status or ""),
                str(r.entries),
                f"{r.duration:.1f}s",
                r.error or "",
            ]
            for r in results
        ]
        print_table(out, f"checked {len(results)} sources (nothing stored)", columns, cells)
    return 0 if all(r.ok for r in results) else 1


def log_round(result: Round) -> None:
    if result.error:
        return  # already logged by the loop
    f = result.fetch
    if f is not None:
        ok = len(f.outcomes) - len(f.failed)
        log.info(
            "round: %d due, %d ok, %d failed; %d new, %d updated",
            len(result.due),
            ok,
            len(f.failed),
            f.new,
            f.updated,
        )
        for o in f.failed:
            log.warning("failed %s: %s", o.key, o.error)
    for r in result.outputs:
        log.log(
            logging.ERROR if r.error else logging.INFO,
            "%s%s",
            output_line(r),
            f" — error: {r.error}" if r.error else "",
        )
    if result.retention is not None and (result.retention.removed or result.retention.purged):
        log.info("%s", result.retention.summary)


def cmd_watch(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    if settings.broker is not None:
        return cmd_schedule(settings, log_round)
    log.info("watching %d sources (Ctrl-C to stop)", len(settings.sources))
    with stop_on_signals(Stop()) as stop:
        rounds = watch(settings, stop=stop, on_round=log_round)
    log.info("stopped after %d rounds", rounds)
    return 0


def catalog(args: argparse.Namespace, settings: Settings | None) -> list[CatalogRoute]:
    base = args.rsshub or (settings.rsshub if settings else None)
    if not base:
        raise ConfigError("no RSSHub to ask: pass --rsshub URL or set `rsshub:` in the config")
    labels = settings.catalog_labels if settings else {}
    options = core.fetch_settings(settings.fetch if settings else FetchConfig())
    with httpx.Client(
        timeout=options.read_timeout, headers={"User-Agent": options.user_agent}
    ) as client:
        return fetch_catalog(base, client, labels)


def cmd_catalog(
    args: argparse.Namespace, settings: Settings | None, out: Console, err: Console
) -> int:
    routes = catalog(args, settings)
    if args.search:
        routes = search(routes, args.search)
    if args.json:
        rows = [
            {
                "route": r.route,
                "pattern": r.pattern,
                "category": list(r.category),
                "category_key": r.category_key,
                "needs_config": list(r.needs_config),
            }
            for r in routes
        ]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    columns = (
        Column("route", shrink=16),
        Column("category", rank=1, shrink=12),
        Column("pattern", rank=3, shrink=16),
        Column("needs", rank=2, shrink=10),
    )
    cells: list[list[Cell | str]] = [
        [r.route, r.category_path, r.pattern, ", ".join(r.needs_config)] for r in routes
    ]
    print_table(out, f"{len(routes)} routes", columns, cells)
    return 0


def split_category(text: str) -> tuple[str, ...]:
    levels = tuple(" ".join(part.split()) for part in text.split("/"))
    if not all(levels):
        raise ConfigError(f"--category {text!r}: a level is empty (write `A / B / C`)")
    return levels


def cmd_add(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    is_url = args.route.startswith(("http://", "https://"))
    if args.category:
        category = split_category(args.category)
    elif is_url:
        raise ConfigError("a feed URL needs --category `A / B / C`")
    else:
        found = find_route(catalog(args, settings), args.route)
        if found is None:
            raise ConfigError(
                f"{args.route} is not in the RSSHub catalog; give --category `A / B / C`"
            )
        category = found.category
    source = NewSource(
        category=category,
        route=None if is_url else args.route,
        url=args.route if is_url else None,
        interval=args.interval,
    )
    added = add_sources(settings.path, [source])
    if not added:
        out.print(f"{source.key()} is already in {settings.path}")
        return 0
    out.print(f"added {source.key()} as {' / '.join(category)} to {settings.path}")
    return 0


def cmd_remove(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    if not remove_source(settings.path, args.key):
        log.error("no source %s in %s", args.key, settings.path)
        return 1
    out.print(f"removed {args.key} from {settings.path} (its archived items are kept)")
    return 0


def cmd_opml(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    if args.action == "export":
        data = export_opml(settings.sources, title=settings.site.title)
        if args.file:
            Path(args.file).write_bytes(data)
        else:
            sys.stdout.write(data.decode("utf-8"))
        return 0
    if not args.file:
        raise ConfigError("opml import needs a FILE")
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {args.file}: {exc}") from exc
    feeds = parse_opml(data)
    bases = [settings.rsshub, *(s.url[: -len(s.key)] for s in settings.sources if s.key[:1] == "/")]
    sources = []
    for feed in feeds:
        route = to_route(feed.url, bases)
        sources.append(
            NewSource(category=feed.category, route=route, url=None if route else feed.url)
        )
    added = add_sources(settings.path, sources)
    out.print(f"imported {len(added)} new sources ({len(feeds) - len(added)} already present)")
    return 0


def cmd_prune(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    if not settings.retention and not (args.purge and settings.images.mode == "local"):
        if not args.quiet:
            out.print("no keep_days / keep_per_channel in the config: nothing to prune")
        return 0
    with run_lock(settings.database, wait=args.wait):
        storage = open_storage(settings.database)
        try:
            report = apply_retention(settings, storage, now=core.utcnow(), purge=args.purge)
        finally:
            storage.close()
    if not args.quiet:
        out.print(report.summary)
    return 0
