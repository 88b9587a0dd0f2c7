"""Commands of the pipeline: init, run, fetch, publish, build, serve, sources."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from hotpress import core
from hotpress._cli.common import ago, log, output_line, progress
from hotpress._cli.ops import cmd_check, cmd_init_actions
from hotpress._cli.table import Cell, Column, print_table
from hotpress._cli.workers import distributed_run
from hotpress._health import source_states, state_row, status
from hotpress._lock import run_lock
from hotpress._storage import open_storage
from hotpress.config import Settings, config_path, load_settings
from hotpress.exceptions import StorageError
from hotpress.types import SourceState


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


def summarize(report: core.RunReport, out: Console, *, idle: str | None = None) -> None:
    """The run's summary; ``idle``: why no source was fetched (``--due``, none due)."""
    if report.fetch is not None and idle is not None and not report.fetch.outcomes:
        out.print(f"sources: {idle}", highlight=False, markup=False)
    elif report.fetch is not None:
        f = report.fetch
        ok = len(f.outcomes) - len(f.failed)
        out.print(
            f"sources: {ok} ok, {len(f.failed)} failed; items: {f.new} new, {f.updated} updated"
        )
        for error, keys in failures(f.failed):
            if len(keys) < GROUP_FAILURES:
                for key in keys:
                    out.print(
                        f"  [red]failed[/red] {escape(key)}: {escape(error)}", highlight=False
                    )
                continue
            shown = ", ".join(keys[:3]) + (", …" if len(keys) > 3 else "")
            out.print(
                f"  [red]failed[/red] {len(keys)} sources ({escape(shown)}): {escape(error)}",
                highlight=False,
            )
        x = f.expansions
        if x.attempted:
            out.print(
                f"expansions: {x.attempted} fetched, {x.updated} bodies updated, "
                f"{x.failed} failed (kept the list's body; retried at the next refresh)"
            )
        t = f.fulltext
        if t.attempted:
            out.print(
                f"full text: {t.attempted} pages fetched, {t.updated} bodies updated, "
                f"{t.failed} failed or shorter (kept the feed's body; retried later)"
            )
        m = f.media
        if m.downloaded or m.failed:
            out.print(
                f"images: {m.downloaded} downloaded, {m.failed} failed (kept remote; retried), "
                f"{m.updated} items now point at local copies"
            )
        if f.notify is not None and (f.notify.sent or f.notify.failed):
            out.print(f"pushes: {f.notify.sent} items sent, {f.notify.failed} to retry")
    for r in report.outputs:
        line = escape(output_line(r))
        out.print(
            line + (f" — [red]error[/red]: {escape(r.error)}" if r.error else ""), highlight=False
        )


GROUP_FAILURES = 3
"""This many sources failing with the same words are one line (`hotpress sources` has each)."""


def failures(failed: list[core.SourceOutcome]) -> list[tuple[str, list[str]]]:
    """Failed sources grouped by their error, in the order first met."""
    groups: dict[str, list[str]] = {}
    for o in failed:
        groups.setdefault(o.error or "", []).append(o.key)
    return list(groups.items())


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


def none_due(storage: core.Storage) -> str:
    now = core.utcnow()
    times = [s.next_due for s in storage.sources(now) if s.next_due is not None]
    nearest = f" (the next one {ago(min(times), now)})" if times else ""
    return f"none is due yet{nearest}"


def cmd_pipeline(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    if settings.broker is not None and args.command in {"run", "fetch"}:
        report, idle = distributed_run(args, settings, err, due_keys=due_keys, none_due=none_due)
        return report_run(args, settings, report, idle, out)
    with run_lock(settings.database, wait=args.wait):
        storage = open_storage(settings.database)
        try:
            with progress(args, err) as bars:
                idle = None
                wanted = None
                fetch = args.command in {"run", "fetch"}
                if fetch:
                    wanted = due_keys(args, settings, storage)
                    if wanted == []:
                        idle = none_due(storage)
                report = core.run_round(
                    settings,
                    storage,
                    keys=wanted,
                    fetch=fetch,
                    publish_outputs=args.command in {"run", "publish"},
                    force=getattr(args, "force", False),
                    progress=bars,
                )
        finally:
            storage.close()
    return report_run(args, settings, report, idle, out)


def report_run(
    args: argparse.Namespace,
    settings: Settings,
    report: core.RunReport,
    idle: str | None,
    out: Console,
) -> int:
    """The summary of a run/fetch/publish and its exit code."""
    outputs, kept = report.outputs, report.retention
    if not args.quiet:
        summarize(report, out, idle=idle)
        if args.command in {"run", "publish"} and not outputs:
            out.print(
                "outputs: none configured, nothing published (set `output: hexo:` and/or "
                f"`output: site:` in {settings.path})",
                highlight=False,
                markup=False,
            )
        if kept is not None and (kept.removed or kept.purged):
            out.print(kept.summary)
    return exit_code(report)


def cmd_build(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    if settings.site_dir is None:
        log.error("%s: no `output: site:` folder configured", settings.path)
        return 1
    from hotpress._site import build_site

    with run_lock(settings.database, wait=args.wait):
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
    # The module, not the package: importing hotpress._site.serve anywhere rebinds the
    # package attribute `serve` to the submodule (its wrapper function is then shadowed).
    from hotpress._site.serve import serve

    def ready(url: str) -> None:
        out.print(f"serving {settings.site_dir} on {url} (Ctrl-C to stop)")

    try:
        serve(settings, host=args.host, port=args.port, on_ready=ready)
    except KeyboardInterrupt:
        # Ctrl-C is the documented way to stop the preview: not an error.
        out.print("stopped")
    return 0


def cmd_sources(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    if args.check:
        return cmd_check(args, settings, out, err)
    now = core.utcnow()
    # A report never creates an archive; without one, every source is "new".
    # (A server's archive is always there to ask: opening it makes it if need be.)
    fetched = isinstance(settings.database, str) or settings.database.exists()
    if not fetched:
        assert isinstance(settings.database, Path)
        _check_archive_folder(settings.database)
    if fetched:
        # Read-only: a run may hold the archive; sources it has not seen yet show as "new".
        storage = open_storage(settings.database)
        try:
            states = source_states(settings.sources, storage, now)
        finally:
            storage.close()
    else:
        states = source_states(settings.sources, None, now)
    if args.json:
        rows = [state_row(s) for s in states]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    print_sources(states, now, f"{len(states)} sources — {settings.path}", out)
    if not fetched:
        out.print(
            f"nothing has been fetched yet (no archive at {settings.database}); "
            "`hotpress run` fetches every source",
            markup=False,
            highlight=False,
        )
    return 0


def _check_archive_folder(database: Path) -> None:
    """An archive that could never be made there (a file where a folder must be) is an error,
    not "nothing fetched yet"."""
    for folder in database.parents:
        if folder.exists():
            if not folder.is_dir():
                raise StorageError(
                    f"cannot open archive {database}: cannot create or use its folder: "
                    f"{folder} is not a folder"
                )
            return


SOURCE_COLUMNS = (
    Column("source", shrink=16),
    Column("status"),
    Column("category", rank=5, shrink=12),
    Column("last success", rank=3),
    Column("last attempt", rank=8),
    Column("next due", rank=6),
    Column("items", rank=4),
    Column("24h", rank=7),
    Column("url", rank=9, shrink=20),
    Column("last error", rank=2, shrink=20),
)


EXPAND_COLUMN = Column("expanded / pending / failed", rank=5)
FILTERED_COLUMN = Column("filtered", rank=7)


def print_sources(states: list[SourceState], now: datetime, title: str, out: Console) -> None:
    rows: list[list[Cell | str]] = []
    expanding = any(s.expanded or s.expand_pending or s.expand_failed for s in states)
    filtering = any(s.items_filtered for s in states)
    for s in states:
        state = status(s)
        colour = {"ok": "green", "failing": "red", "new": "yellow"}[state]
        rows.append(
            [
                s.key,
                Cell(state + (f" ×{s.error_count}" if s.error_count else ""), colour),
                " / ".join(s.category),
                ago(s.last_success, now),
                ago(s.last_attempt, now),
                ago(s.next_due, now) if s.next_due else "now",
                str(s.items_total),
                str(s.items_24h),
                s.url,
                *((f"{s.expanded} / {s.expand_pending} / {s.expand_failed}",) if expanding else ()),
                *((str(s.items_filtered),) if filtering else ()),
                s.last_error or "",
            ]
        )
    columns: tuple[Column, ...] = SOURCE_COLUMNS
    extra = (EXPAND_COLUMN,) * expanding + (FILTERED_COLUMN,) * filtering
    if extra:
        columns = (*SOURCE_COLUMNS[:-1], *extra, SOURCE_COLUMNS[-1])
    print_table(out, title, columns, rows)
