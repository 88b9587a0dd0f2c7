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

from rich.console import Console
from rich.table import Table

from hotpress import __version__, core
from hotpress._lock import RunLock
from hotpress._progress import NullProgress, Progress
from hotpress._storage import open_storage
from hotpress.config import Settings, config_path, load_settings
from hotpress.exceptions import HotpressError

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
    return parser


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
        finally:
            storage.close()
    if not args.quiet:
        _summarize(report, out)
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
        rows = [
            {
                "key": s.key,
                "category": list(s.category),
                "url": s.url,
                "status": _status(s),
                "last_status": s.last_status,
                "last_attempt": s.last_attempt.isoformat() if s.last_attempt else None,
                "last_success": s.last_success.isoformat() if s.last_success else None,
                "error_count": s.error_count,
                "next_due": s.next_due.isoformat() if s.next_due else None,
                "items_total": s.items_total,
                "items_24h": s.items_24h,
                "last_error": s.last_error,
            }
            for s in states
        ]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    table = Table(title=f"{len(states)} sources — {settings.path}")
    for column in ("source", "category", "last fetch", "status", "items", "24h", "last error"):
        table.add_column(column, overflow="fold")
    for s in states:
        status = _status(s)
        colour = {"ok": "green", "failing": "red", "new": "yellow"}[status]
        table.add_row(
            s.key,
            " / ".join(s.category),
            _ago(s.last_attempt, now),
            f"[{colour}]{status}[/{colour}]" + (f" ×{s.error_count}" if s.error_count else ""),
            str(s.items_total),
            str(s.items_24h),
            s.last_error or "",
        )
    out.print(table)
    return 0


def _status(state: core.SourceState) -> str:
    if state.last_attempt is None:
        return "new"
    return "failing" if state.error_count else "ok"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _setup_logging(args)
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True)
    try:
        if args.command == "init":
            return _cmd_init(args, out)
        settings = load_settings(config_path(args.config))
        if args.command == "sources":
            return _cmd_sources(args, settings, out)
        return _cmd_pipeline(args, settings, out, err)
    except HotpressError as exc:
        log.error("%s", exc)
        return 1
    except KeyboardInterrupt:
        log.error("interrupted")
        return 130
