"""`hotpress archive copy SRC DST`: an archive from SQLite into PostgreSQL and back."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from hotpress._cli.common import log, progress
from hotpress._cli.table import Column, print_table
from hotpress._lock import run_lock
from hotpress._storage import is_url
from hotpress._storage.copy import CopyReport, copy_archive, open_archive
from hotpress.exceptions import StorageError

EXAMPLES = (
    "hotpress archive copy hotpress.db postgresql://hotpress@127.0.0.1/hotpress",
    "hotpress archive copy postgresql://hotpress@db.example/hotpress backup.db",
)


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "archive", parents=[common], help="copy an archive between SQLite and PostgreSQL"
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    summary = (
        "copy every table of an archive into a new one (an SQLite file or a postgresql:// URL),"
        " resumable, verified per source at the end"
    )
    c = actions.add_parser(
        "copy",
        parents=[common],
        help=summary,
        description=summary[:1].upper() + summary[1:] + ".",
        epilog="examples:\n" + "\n".join(f"  {e}" for e in EXAMPLES),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument("source", metavar="SRC", help="the archive to copy: a file or a URL")
    c.add_argument(
        "target",
        metavar="DST",
        help="where to: a new file or an empty database (or the same"
        " target of an interrupted copy, which goes on where it stopped)",
    )
    c.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="if a run holds either archive, wait up to SECONDS for it (default 0: refuse)",
    )


def _archive(text: str, *, source: bool) -> Path | str:
    if "://" in text:
        if not is_url(text):
            raise StorageError(
                f"cannot open an archive at {text.split('://', 1)[0]}:// (a file path or a"
                " postgresql:// URL)"
            )
        return text
    path = Path(text)
    if source and not path.is_file():
        raise StorageError(f"archive copy: no archive at {path}")
    return path


def _same(src: Path | str, dst: Path | str) -> bool:
    """The two names are one archive: the same file (however spelled), or the same URL."""
    if isinstance(src, Path) and isinstance(dst, Path):
        try:
            return src.samefile(dst)
        except OSError:  # the target does not exist yet
            return False
    return src == dst


def cmd_archive(args: argparse.Namespace, out: Console, err: Console) -> int:
    src, dst = _archive(args.source, source=True), _archive(args.target, source=False)
    if _same(src, dst):  # else the target's lock, held by this very command, would refuse
        raise StorageError(f"archive copy: {args.source} is both the source and the target")
    # No run may write either archive meanwhile.
    with run_lock(src, wait=args.wait), run_lock(dst, wait=args.wait):
        source = open_archive(src)
        try:
            target = open_archive(dst)
            try:
                try:
                    with progress(args, err) as bars:
                        report = copy_archive(source, target, progress=bars)
                except KeyboardInterrupt:
                    log.error(
                        "archive copy stopped: %s is a partial copy of %s (the batches copied"
                        " so far are kept; nothing in the source changed); the same command"
                        " again goes on where it stopped",
                        target.name,
                        source.name,
                    )
                    raise
            finally:
                target.close()
        finally:
            source.close()
    show(report, source.name, target.name, out, quiet=args.quiet)
    return 0 if report.ok else 1


def show(report: CopyReport, src: str, dst: str, out: Console, *, quiet: bool) -> None:
    if not quiet:
        rows = [
            [c.key, str(c.source_items), str(c.target_items), "ok" if c.ok else "MISMATCH"]
            for c in report.sources
        ]
        columns = (
            Column("source", shrink=16),
            Column("items in SRC"),
            Column("items in DST"),
            Column("digest"),
        )
        print_table(out, f"{src} -> {dst}", columns, rows)
        copied = sum(report.copied.values())
        how = "resumed: " if report.resumed else ""
        out.print(
            f"{how}{copied} rows copied in {len(report.copied)} tables;"
            f" {sum(a for a, _ in report.tables.values())} rows in all",
            markup=False,
            highlight=False,
        )
    for problem in report.problems:
        log.error("archive copy: %s", problem)
    bad = [c.key for c in report.sources if not c.ok]
    if bad:
        log.error("archive copy: the copy differs for %d source(s): %s", len(bad), ", ".join(bad))
    elif report.ok and not quiet:
        out.print("verified: every source has the same items and digests on both sides")
