"""The command line: parse arguments, load settings, call the library, map errors to exits.

Exit codes: 0 the run completed (failed sources are reported, not fatal); 1 a bad config,
a storage/publish error, or every source failed; 2 bad usage. The command bodies live in
``hotpress._cli`` (pipeline commands and operations).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import Any, cast

from rich.console import Console

from hotpress import __version__
from hotpress._cli import archive, hot, ops, pipeline, workers
from hotpress._cli.common import log, setup_logging
from hotpress.config import Settings, config_path, load_settings
from hotpress.exceptions import HotpressError

Command = Callable[[argparse.Namespace, Settings, Console, Console], int]


WAIT_HELP = "if another run holds the archive, wait up to SECONDS for it (default 0: refuse)"


def _command(
    sub: Any, common: argparse.ArgumentParser, name: str, summary: str, *examples: str
) -> argparse.ArgumentParser:
    """A subcommand with a one-line description (its --help and the command list) and
    examples under its options."""
    lines = "\n".join(f"  {e}" for e in examples)
    return cast(
        argparse.ArgumentParser,
        sub.add_parser(
            name,
            parents=[common],
            help=summary,
            description=summary[:1].upper() + summary[1:] + ".",
            epilog=f"example{'s' if len(examples) > 1 else ''}:\n{lines}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        ),
    )


def _wait(p: argparse.ArgumentParser) -> None:
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS", help=WAIT_HELP)


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
        epilog="`hotpress COMMAND --help` describes a command, with an example.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"hotpress {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = _command(
        sub,
        common,
        "init",
        "write a starter hotpress.yml (or a GitHub Actions workflow for it)",
        "hotpress init && hotpress run",
        "hotpress init --github-actions --pages",
    )
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

    for name, summary, example in (
        (
            "run",
            "fetch every source, store new items, then publish every configured output",
            "hotpress run -c examples/hotpress.yml",
        ),
        ("fetch", "fetch and store every source, do not publish", "hotpress fetch --due"),
    ):
        p = _command(sub, common, name, summary, example)
        p.add_argument(
            "--due", action="store_true", help="refresh only the sources that are due (cron)"
        )
        _wait(p)
        p.add_argument(
            "--worker-wait",
            type=float,
            default=30.0,
            metavar="SECONDS",
            help="with `broker:`: wait up to SECONDS for a worker to answer (default 30)",
        )

    p = _command(
        sub,
        common,
        "publish",
        "write the outputs (Hexo posts, the site) from the archive, without fetching",
        "hotpress publish --force",
    )
    p.add_argument("--force", action="store_true", help="re-render every item")
    _wait(p)

    p = _command(
        sub,
        common,
        "build",
        "build the static site (output.site) from the archive",
        "hotpress build -c examples/hotpress.yml",
    )
    p.add_argument("--force", action="store_true", help="re-render every page")
    _wait(p)

    p = _command(
        sub,
        common,
        "serve",
        "preview the site on this machine, rebuilt when the archive changes (Ctrl-C stops)",
        "hotpress serve -c examples/hotpress.yml --port 8080",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default loopback)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")

    p = _command(
        sub,
        common,
        "sources",
        "list the sources and their health: last fetch, status, items, last error",
        "hotpress sources | grep failing",
        "hotpress sources --check",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--check", action="store_true", help="fetch each source once now (stores nothing)"
    )
    _ops_parsers(sub, common)
    hot.add_parser(sub, common)
    archive.add_parser(sub, common)
    return parser


def _ops_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    _command(
        sub,
        common,
        "watch",
        "refresh each source when it is due and publish after each round, until stopped",
        "hotpress watch -c /etc/hotpress/hotpress.yml",
    )

    p = _command(
        sub,
        common,
        "worker",
        "refresh sources on a Celery worker (needs `broker:`; `watch` or `run` sends work)",
        "hotpress worker -c /etc/hotpress/hotpress.yml --concurrency 4",
    )
    p.add_argument(
        "--pool",
        choices=("threads", "prefork", "solo"),
        default="prefork",
        help="Celery pool (default prefork: a task in hand when the broker connection drops is"
        " stopped and handed out again; threads share one process but may stay deaf after a"
        " broker restart)",
    )
    p.add_argument(
        "--concurrency", type=int, default=4, metavar="N", help="tasks at once (default 4)"
    )

    p = _command(
        sub,
        common,
        "workers",
        "with `broker:`: the workers that answer, whether they use this archive, the tasks"
        " waiting (exit status 1 when none answers or one uses another archive)",
        "hotpress workers -c /etc/hotpress/hotpress.yml",
        "hotpress workers --json",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--timeout",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="how long the workers have to answer (default 2)",
    )

    p = _command(
        sub,
        common,
        "catalog",
        "list an RSSHub instance's routes with their category paths",
        "hotpress catalog --rsshub https://rsshub.app --search zhihu",
    )
    p.add_argument("--rsshub", help="RSSHub base URL (default: the config's `rsshub:`)")
    p.add_argument("--search", help="only routes whose route or category path has WORD")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = _command(
        sub,
        common,
        "add",
        "add a source to the config (comments and order kept)",
        "hotpress add /zhihu/hot",
        "hotpress add https://www.oschina.net/news/rss --category '编程 / 开源中国 / 资讯'",
    )
    p.add_argument("route", metavar="ROUTE", help="an RSSHub route (/zhihu/hot) or a feed URL")
    p.add_argument("--category", help="category path `A / B / C` (default: from the catalog)")
    p.add_argument("--rsshub", help="RSSHub to ask for the category (default: the config's)")
    p.add_argument("--interval", type=int, help="minutes between refreshes")

    p = _command(
        sub,
        common,
        "remove",
        "remove a source from the config (its archived items stay)",
        "hotpress remove /zhihu/hot",
        "hotpress remove feeds/zhihu-hot.xml -c examples/hotpress.yml",
    )
    p.add_argument(
        "key",
        metavar="KEY",
        help="the source as the config names it: its route (/zhihu/hot), its URL, or a "
        "file source's path as written in the config (`hotpress sources` lists them)",
    )

    p = _command(
        sub,
        common,
        "opml",
        "import or export the sources as OPML (category path as nested outlines)",
        "hotpress opml export sources.opml",
        "hotpress opml import feeds.opml",
    )
    p.add_argument("action", choices=("import", "export"))
    p.add_argument("file", metavar="FILE", nargs="?", help="OPML file (export: default stdout)")

    p = _command(
        sub,
        common,
        "prune",
        "apply keep_days / keep_per_channel: take old posts out of the outputs",
        "hotpress prune --purge",
    )
    p.add_argument("--purge", action="store_true", help="also delete old items from the archive")
    _wait(p)


_WITH_SETTINGS: dict[str, Command] = {
    "run": pipeline.cmd_pipeline,
    "fetch": pipeline.cmd_pipeline,
    "publish": pipeline.cmd_pipeline,
    "build": pipeline.cmd_build,
    "serve": pipeline.cmd_serve,
    "sources": pipeline.cmd_sources,
    "watch": ops.cmd_watch,
    "worker": workers.cmd_worker,
    "workers": workers.cmd_workers,
    "catalog": ops.cmd_catalog,
    "add": ops.cmd_add,
    "remove": ops.cmd_remove,
    "opml": ops.cmd_opml,
    "prune": ops.cmd_prune,
    "hot": hot.cmd_hot,
}


_STOPPED_BY_SIGTERM = frozenset({"run", "fetch", "publish"})
"""Commands that may start worker processes: SIGTERM stops them as Ctrl-C does (``watch``
and ``worker`` have their own handling; the rest end at once, as before)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is, so that it unwinds as on Ctrl-C: the run's
    worker processes are stopped and waited for, and nothing is left half-closed."""


def _not_terminated(record: logging.LogRecord) -> bool:
    """Drops asyncio's report of a task that ended with :class:`Terminated` ("Task exception
    was never retrieved" and its traceback): raised while a task's code ran (not while the
    loop waited), the exception is kept by the task as well as unwinding the command, which
    says "terminated (SIGTERM)" itself. (Ctrl-C does not meet this: ``asyncio.run`` turns
    SIGINT into a cancellation of its task.)"""
    return not (record.exc_info and isinstance(record.exc_info[1], Terminated))


@contextlib.contextmanager
def _sigterm_unwinds(command: str) -> Iterator[None]:
    if command not in _STOPPED_BY_SIGTERM or threading.current_thread() is not (
        threading.main_thread()
    ):
        yield
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        raise Terminated

    asyncio_log = logging.getLogger("asyncio")
    if _not_terminated not in asyncio_log.filters:
        asyncio_log.addFilter(_not_terminated)  # kept: the task is collected after the unwind
    previous = signal.signal(signal.SIGTERM, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    setup_logging(args)
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True)
    try:
        if args.command == "init":
            return pipeline.cmd_init(args, out)
        if args.command == "archive":
            return archive.cmd_archive(args, out, err)
        if args.command == "catalog" and args.rsshub:
            return ops.cmd_catalog(args, None, out, err)
        settings = load_settings(config_path(args.config))
        with _sigterm_unwinds(args.command):
            return _WITH_SETTINGS[args.command](args, settings, out, err)
    except HotpressError as exc:
        log.error("%s", exc)
        return 1
    except Terminated:
        log.error("terminated (SIGTERM)")
        return 143
    except KeyboardInterrupt:
        log.error("interrupted")
        return 130
