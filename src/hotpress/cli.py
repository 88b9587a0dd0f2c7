"""The command line: parse arguments, load settings, call the library, map errors to exits.

Exit codes: 0 the run completed (failed sources are reported, not fatal); 1 a bad config,
a storage/publish error, or every source failed; 2 bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from hotpress import __version__, core
from hotpress._catalog import CatalogRoute, fetch_catalog, find_route, search
from hotpress._configedit import NewSource, add_sources, remove_source
from hotpress._deploy import choose_mode, render_workflow, workflow_values, write_workflow
from hotpress._health import check_sources, state_row, status
from hotpress._lock import RunLock
from hotpress._opml import export_opml, parse_opml, to_route
from hotpress._progress import NullProgress, Progress
from hotpress._retention import apply_retention
from hotpress._storage import open_storage
from hotpress._watch import Round, Stop, stop_on_signals, watch
from hotpress.config import FetchConfig, Settings, config_path, load_settings
from hotpress.exceptions import ConfigError, HotpressError

log = logging.getLogger("hotpress")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-c", "--config", help="config file (default ./hotpress.yml or $HOTPRESS_CONFIG)"
    )
    common.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    common.add_argument("-q", "--quiet", action="store_true", help="only errors")
    common.add_argument(
        "--log-format", choices=("text", "json"), default="text", help="log line format"
    )
    parser = argparse.ArgumentParser(
        prog="hotpress",
        description="Turn feeds and RSSHub hot lists into a news blog.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"hotpress {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", parents=[common], help="write a starter hotpress.yml")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.add_argument(
        "--github-actions",
        action="store_true",
        help="write .github/workflows/hotpress.yml for the existing config instead",
    )
    p.add_argument(
        "--pages", action="store_true", help="(with --github-actions) publish the site to Pages"
    )
    p.add_argument("--repo", default=".", help="(with --github-actions) repository root")
    p.add_argument("--package", default="hotpress", help="(with --github-actions) pip spec")

    p = sub.add_parser("run", parents=[common], help="fetch every source, then publish")
    p.add_argument("--due", action="store_true", help="refresh only the sources that are due")
    p.add_argument("--wait", type=float, default=0.0, help="wait this long for another run")

    p = sub.add_parser("fetch", parents=[common], help="fetch and store, do not publish")
    p.add_argument("--due", action="store_true", help="refresh only the sources that are due")
    p.add_argument("--wait", type=float, default=0.0, help="wait this long for another run")

    p = sub.add_parser("publish", parents=[common], help="write the outputs from the archive")
    p.add_argument("--force", action="store_true", help="re-render every item")
    p.add_argument("--wait", type=float, default=0.0, help="wait this long for another run")

    p = sub.add_parser("sources", parents=[common], help="table of sources and their health")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--check", action="store_true", help="fetch each source once now (stores nothing)"
    )
    _ops_parsers(sub, common)
    return parser


# --- operations: watch, catalog, add/remove, opml, prune (issue 6) ------------------------


def _ops_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    sub.add_parser("watch", parents=[common], help="refresh sources when due, for ever")

    p = sub.add_parser("catalog", parents=[common], help="list RSSHub routes with categories")
    p.add_argument("--rsshub", help="RSSHub base URL (default: the config's `rsshub:`)")
    p.add_argument("--search", help="only routes whose route or category path has WORD")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("add", parents=[common], help="add a source to the config")
    p.add_argument("route", metavar="ROUTE", help="an RSSHub route (/zhihu/hot) or a feed URL")
    p.add_argument("--category", help="category path `A / B / C` (default: from the catalog)")
    p.add_argument("--rsshub", help="RSSHub to ask for the category (default: the config's)")
    p.add_argument("--interval", type=int, help="minutes between refreshes")

    p = sub.add_parser("remove", parents=[common], help="remove a source from the config")
    p.add_argument("key", metavar="KEY", help="the source's route or URL")

    p = sub.add_parser("opml", parents=[common], help="import or export the sources as OPML")
    p.add_argument("action", choices=("import", "export"))
    p.add_argument("file", metavar="FILE", nargs="?", help="OPML file (export: default stdout)")

    p = sub.add_parser("prune", parents=[common], help="apply keep_days / keep_per_channel")
    p.add_argument("--purge", action="store_true", help="also delete old items from the archive")
    p.add_argument("--wait", type=float, default=0.0, help="wait this long for another run")


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                "level": record.levelname.lower(),
                "message": record.getMessage(),
            },
            ensure_ascii=False,
        )


def _setup_logging(args: argparse.Namespace) -> None:
    level = logging.ERROR if args.quiet else (logging.DEBUG if args.verbose else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    if args.log_format == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


@contextlib.contextmanager
def _progress(args: argparse.Namespace, console: Console) -> Iterator[Progress]:
    if args.quiet or args.log_format == "json" or not console.is_terminal:
        yield NullProgress()
        return
    from hotpress._progress_rich import RichProgress

    with RichProgress(console) as bars:
        yield bars


def _cmd_init(args: argparse.Namespace, out: Console) -> int:
    target = config_path(args.config)
    if args.github_actions:
        return _cmd_init_actions(args, load_settings(target), out)
    if target.exists() and not args.force:
        log.error("%s already exists (use --force to overwrite)", target)
        return 1
    text = resources.files("hotpress").joinpath("data/starter.yml").read_text(encoding="utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    out.print(f"wrote {target}; edit `rsshub:` to point at your RSSHub, then `hotpress run`")
    return 0


def _summarize(report: core.RunReport, out: Console) -> None:
    if report.fetch is not None:
        f = report.fetch
        ok = len(f.outcomes) - len(f.failed)
        out.print(
            f"sources: {ok} ok, {len(f.failed)} failed; items: {f.new} new, {f.updated} updated"
        )
        for o in f.failed:
            out.print(f"  [red]failed[/red] {o.key}: {o.error}", markup=True, highlight=False)
    for r in report.outputs:
        line = f"{r.name}: {r.written} written, {r.unchanged} unchanged"
        out.print(line + (f" — [red]error[/red]: {r.error}" if r.error else ""), highlight=False)


def _exit_code(report: core.RunReport) -> int:
    if report.fetch is not None and report.fetch.all_failed:
        return 1
    return 1 if any(r.error for r in report.outputs) else 0


def _keys(args: argparse.Namespace, settings: Settings, storage: core.Storage) -> list[str] | None:
    if not getattr(args, "due", False):
        return None
    storage.sync_sources(settings.sources)
    return storage.due_sources(core.utcnow())


def _cmd_pipeline(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    with RunLock(settings.database, wait=args.wait):
        storage = open_storage(settings.database)
        try:
            with _progress(args, err) as progress:
                fetched = None
                if args.command in {"run", "fetch"}:
                    keys = _keys(args, settings, storage)
                    fetched = asyncio.run(
                        core.refresh(settings, storage, keys=keys, progress=progress)
                    )
                outputs: tuple[core.OutputReport, ...] = ()
                if args.command in {"run", "publish"}:
                    outputs = core.publish(
                        settings, storage, force=getattr(args, "force", False), progress=progress
                    )
            report = core.RunReport(fetch=fetched, outputs=outputs)
            kept = None
            if args.command in {"run", "publish"} and settings.retention:
                kept = apply_retention(settings, storage, now=core.utcnow())
        finally:
            storage.close()
    if not args.quiet:
        _summarize(report, out)
        if kept is not None and (kept.removed or kept.purged):
            out.print(kept.summary)
    return _exit_code(report)


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    seconds = int((now - when).total_seconds())
    if seconds < 0:
        return f"in {_span(-seconds)}"
    return f"{_span(seconds)} ago"


def _span(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _cmd_sources(args: argparse.Namespace, settings: Settings, out: Console) -> int:
    if args.check:
        return _cmd_check(args, settings, out)
    storage = open_storage(settings.database)
    try:
        storage.sync_sources(settings.sources)
        now = core.utcnow()
        states = storage.sources(now)
    finally:
        storage.close()
    configured = {s.key for s in settings.sources}
    states = [s for s in states if s.key in configured]
    if args.json:
        rows = [state_row(s) for s in states]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    table = Table(title=f"{len(states)} sources — {settings.path}")
    columns = ("source", "category", "url", "last success", "last attempt", "status")
    for column in (*columns, "next due", "items", "24h", "last error"):
        table.add_column(column, overflow="fold")
    for s in states:
        status = _status(s)
        colour = {"ok": "green", "failing": "red", "new": "yellow"}[status]
        table.add_row(
            s.key,
            " / ".join(s.category),
            s.url,
            _ago(s.last_success, now),
            _ago(s.last_attempt, now),
            f"[{colour}]{status}[/{colour}]" + (f" ×{s.error_count}" if s.error_count else ""),
            _ago(s.next_due, now) if s.next_due else "now",
            str(s.items_total),
            str(s.items_24h),
            s.last_error or "",
        )
    out.print(table)
    return 0


_status = status


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _setup_logging(args)
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True)
    try:
        if args.command == "init":
            return _cmd_init(args, out)
        if args.command == "catalog" and args.rsshub:
            return _cmd_catalog(args, None, out)
        settings = load_settings(config_path(args.config))
        if args.command == "sources":
            return _cmd_sources(args, settings, out)
        if args.command in _OPS:
            return _OPS[args.command](args, settings, out)
        return _cmd_pipeline(args, settings, out, err)
    except HotpressError as exc:
        log.error("%s", exc)
        return 1
    except KeyboardInterrupt:
        log.error("interrupted")
        return 130


# --- operations: command bodies (issue 6) ---------------------------------------------


def _cmd_init_actions(args: argparse.Namespace, settings: Settings, out: Console) -> int:
    mode = choose_mode(settings, args.pages)
    repo = Path(args.repo)
    text = render_workflow(mode, workflow_values(settings, repo, args.package))
    target = write_workflow(repo, text, force=args.force)
    what = "publishes the site to GitHub Pages" if mode == "pages" else "commits new posts"
    out.print(f"wrote {target}: runs hourly, caches the archive, {what}")
    return 0


def _cmd_check(args: argparse.Namespace, settings: Settings, out: Console) -> int:
    results = asyncio.run(check_sources(settings, settings.sources))
    if args.json:
        rows = [r.row() for r in results]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    else:
        table = Table(title=f"checked {len(results)} sources (nothing stored)")
        for column in ("source", "result", "status", "entries", "time", "error"):
            table.add_column(column, overflow="fold")
        for r in results:
            table.add_row(
                r.key,
                "[green]ok[/green]" if r.ok else "[red]failed[/red]",
                str(r.status or ""),
                str(r.entries),
                f"{r.duration:.1f}s",
                r.error or "",
            )
        out.print(table)
    return 0 if all(r.ok for r in results) else 1


def _log_round(result: Round) -> None:
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
            "%s: %d written, %d unchanged%s",
            r.name,
            r.written,
            r.unchanged,
            f" — error: {r.error}" if r.error else "",
        )
    if result.retention is not None and (result.retention.removed or result.retention.purged):
        log.info("%s", result.retention.summary)


def _cmd_watch(args: argparse.Namespace, settings: Settings, out: Console) -> int:
    log.info("watching %d sources (Ctrl-C to stop)", len(settings.sources))
    with stop_on_signals(Stop()) as stop:
        rounds = watch(settings, stop=stop, on_round=_log_round)
    log.info("stopped after %d rounds", rounds)
    return 0


def _catalog(args: argparse.Namespace, settings: Settings | None) -> list[CatalogRoute]:
    base = args.rsshub or (settings.rsshub if settings else None)
    if not base:
        raise ConfigError("no RSSHub to ask: pass --rsshub URL or set `rsshub:` in the config")
    labels = settings.catalog_labels if settings else {}
    options = core.fetch_settings(settings.fetch if settings else FetchConfig())
    with httpx.Client(
        timeout=options.read_timeout, headers={"User-Agent": options.user_agent}
    ) as client:
        return fetch_catalog(base, client, labels)


def _cmd_catalog(args: argparse.Namespace, settings: Settings | None, out: Console) -> int:
    routes = _catalog(args, settings)
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
    table = Table(title=f"{len(routes)} routes")
    for column in ("route", "category", "pattern", "needs"):
        table.add_column(column, overflow="fold")
    for r in routes:
        table.add_row(r.route, r.category_path, r.pattern, ", ".join(r.needs_config))
    out.print(table)
    return 0


def _split_category(text: str) -> tuple[str, ...]:
    levels = tuple(" ".join(part.split()) for part in text.split("/"))
    if not all(levels):
        raise ConfigError(f"--category {text!r}: a level is empty (write `A / B / C`)")
    return levels


def _cmd_add(args: argparse.Namespace, settings: Settings, out: Console) -> int:
    is_url = args.route.startswith(("http://", "https://"))
    if args.category:
        category = _split_category(args.category)
    elif is_url:
        raise ConfigError("a feed URL needs --category `A / B / C`")
    else:
        found = find_route(_catalog(args, settings), args.route)
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


def _cmd_remove(args: argparse.Namespace, settings: Settings, out: Console) -> int:
    if not remove_source(settings.path, args.key):
        log.error("no source %s in %s", args.key, settings.path)
        return 1
    out.print(f"removed {args.key} from {settings.path} (its archived items are kept)")
    return 0


def _cmd_opml(args: argparse.Namespace, settings: Settings, out: Console) -> int:
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


def _cmd_prune(args: argparse.Namespace, settings: Settings, out: Console) -> int:
    if not settings.retention:
        if not args.quiet:
            out.print("no keep_days / keep_per_channel in the config: nothing to prune")
        return 0
    with RunLock(settings.database, wait=args.wait):
        storage = open_storage(settings.database)
        try:
            report = apply_retention(settings, storage, now=core.utcnow(), purge=args.purge)
        finally:
            storage.close()
    if not args.quiet:
        out.print(report.summary)
    return 0


_OPS = {
    "watch": _cmd_watch,
    "catalog": _cmd_catalog,
    "add": _cmd_add,
    "remove": _cmd_remove,
    "opml": _cmd_opml,
    "prune": _cmd_prune,
}
