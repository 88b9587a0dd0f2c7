"""Commands of the pipeline: init, run, fetch, publish, build, serve, sources."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from importlib import resources

from rich.console import Console
from rich.table import Table

from hotpress import core
from hotpress._cli.common import ago, log, progress
from hotpress._cli.ops import cmd_check, cmd_init_actions
from hotpress._health import source_states, state_row, status
from hotpress._lock import RunLock
from hotpress._retention import apply_retention
from hotpress._storage import open_storage
from hotpress.config import Settings, config_path, load_settings


def cmd_init(args: argparse.Namespace, out: Console) -> int:
    target = config_path(args.config)
    if args.github_actions:
        return cmd_init_actions(args, load_settings(target), out, out)
    if target.exists() and not args.force:
        log.error("%s already exists (use --force to overwrite)", target)
        return 1
    text = resources.files("hotpress").joinpath("data/starter.yml").read_text(encoding="utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    out.print(f"wrote {target}; edit `rsshub:` to point at your RSSHub, then `hotpress run`")
    return 0


def summarize(report: core.RunReport, out: Console) -> None:
    if report.fetch is not None:
        f = report.fetch
        ok = len(f.outcomes) - len(f.failed)
        out.print(
            f"sources: {ok} ok, {len(f.failed)} failed; items: {f.new} new, {f.updated} updated"
        )
        for o in f.failed:
            out.print(f"  [red]failed[/red] {o.key}: {o.error}", markup=True, highlight=False)
        if f.notify is not None and (f.notify.sent or f.notify.failed):
            out.print(f"pushes: {f.notify.sent} items sent, {f.notify.failed} to retry")
    for r in report.outputs:
        line = f"{r.name}: {r.written} written, {r.unchanged} unchanged"
        out.print(line + (f" — [red]error[/red]: {r.error}" if r.error else ""), highlight=False)


def exit_code(report: core.RunReport) -> int:
    if report.fetch is not None and report.fetch.all_failed:
        return 1
    return 1 if any(r.error for r in report.outputs) else 0


def due_keys(
    args: argparse.Namespace, settings: Settings, storage: core.Storage
) -> list[str] | None:
    if not getattr(args, "due", False):
        return None
    storage.sync_sources(settings.sources)
    return storage.due_sources(core.utcnow())


def cmd_pipeline(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    with RunLock(settings.database, wait=args.wait):
        storage = open_storage(settings.database)
        try:
            with progress(args, err) as bars:
                fetched = None
                if args.command in {"run", "fetch"}:
                    wanted = due_keys(args, settings, storage)
                    fetched = asyncio.run(
                        core.refresh(settings, storage, keys=wanted, progress=bars)
                    )
                outputs: tuple[core.OutputReport, ...] = ()
                if args.command in {"run", "publish"}:
                    outputs = core.publish(
                        settings, storage, force=getattr(args, "force", False), progress=bars
                    )
            report = core.RunReport(fetch=fetched, outputs=outputs)
            kept = None
            if args.command in {"run", "publish"} and settings.retention:
                kept = apply_retention(settings, storage, now=core.utcnow())
        finally:
            storage.close()
    if not args.quiet:
        summarize(report, out)
        if kept is not None and (kept.removed or kept.purged):
            out.print(kept.summary)
    return exit_code(report)


def cmd_build(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    if settings.site_dir is None:
        log.error("%s: no `output: site:` folder configured", settings.path)
        return 1
    from hotpress._site import build_site

    with RunLock(settings.database, wait=args.wait):
        storage = open_storage(settings.database)
        try:
            with progress(args, err) as bars:
                report = build_site(settings, storage, progress=bars, force=args.force)
        finally:
            storage.close()
    if not args.quiet:
        summarize(core.RunReport(outputs=(report,)), out)
    return 1 if report.error else 0


def cmd_serve(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    if settings.site_dir is None:
        log.error("%s: no `output: site:` folder configured", settings.path)
        return 1
    from hotpress._site import serve

    def ready(url: str) -> None:
        out.print(f"serving {settings.site_dir} on {url} (Ctrl-C to stop)")

    serve(settings, host=args.host, port=args.port, on_ready=ready)
    return 0


def cmd_sources(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    if args.check:
        return cmd_check(args, settings, out, err)
    # Read-only: a run may hold the archive; sources it has not seen yet show as "new".
    storage = open_storage(settings.database)
    try:
        now = core.utcnow()
        states = source_states(settings.sources, storage, now)
    finally:
        storage.close()
    if args.json:
        rows = [state_row(s) for s in states]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    table = Table(title=f"{len(states)} sources — {settings.path}")
    columns = ("source", "category", "url", "last success", "last attempt", "status")
    for column in (*columns, "next due", "items", "24h", "filtered", "last error"):
        table.add_column(column, overflow="fold")
    for s in states:
        state = status(s)
        colour = {"ok": "green", "failing": "red", "new": "yellow"}[state]
        table.add_row(
            s.key,
            " / ".join(s.category),
            s.url,
            ago(s.last_success, now),
            ago(s.last_attempt, now),
            f"[{colour}]{state}[/{colour}]" + (f" ×{s.error_count}" if s.error_count else ""),
            ago(s.next_due, now) if s.next_due else "now",
            str(s.items_total),
            str(s.items_24h),
            str(s.items_filtered),
            s.last_error or "",
        )
    out.print(table)
    return 0
