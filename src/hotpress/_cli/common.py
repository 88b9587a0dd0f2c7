"""Shared pieces of the command line: logging, progress, time formatting."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

from rich.console import Console

from hotpress._progress import NullProgress, Progress
from hotpress._publish.report import OutputReport

log = logging.getLogger("hotpress")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
        }
        if record.exc_info:  # (a log.exception: its traceback, else lost)
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def setup_logging(args: argparse.Namespace) -> None:
    level = logging.ERROR if args.quiet else (logging.DEBUG if args.verbose else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    if args.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


@contextlib.contextmanager
def progress(args: argparse.Namespace, console: Console) -> Iterator[Progress]:
    if args.quiet or args.log_format == "json" or not console.is_terminal:
        yield NullProgress()
        return
    from hotpress._progress_rich import RichProgress

    with RichProgress(console) as bars:
        yield bars


def ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    seconds = int((now - when).total_seconds())
    if seconds < 0:
        return f"in {span(-seconds)}"
    return f"{span(seconds)} ago"


def span(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


UNITS = {"hexo": ("post", "posts"), "site": ("file", "files")}


def output_line(report: OutputReport) -> str:
    """``hexo: 2 written, 12 already up to date (14 posts)``: the same words for every output,
    in the run summary, after ``publish --force``, a plain build and a watch round."""
    one, many = UNITS.get(report.name, ("file", "files"))
    files = report.files
    return (
        f"{report.name}: {report.written} written, {report.up_to_date} already up to date "
        f"({files} {one if files == 1 else many})"
    )
