"""The command line: parse arguments, load settings, call the library, map errors to exits.

Exit codes: 0 the run completed (failed sources are reported, not fatal); 1 a bad config,
a storage/publish error, or every source failed; 2 bad usage. The command bodies live in
``hotpress._cli`` (pipeline commands and operations).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console

from hotpress import __version__
from hotpress._cli import hot, ops, pipeline
from hotpress._cli.common import log, setup_logging
from hotpress.config import Settings, config_path, load_settings
from hotpress.exceptions import HotpressError

Command = Callable[[argparse.Namespace, Settings, Console, Console], int]


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

    p = sub.add_parser("build", parents=[common], help="build the static site from the archive")
    p.add_argument("--force", action="store_true", help="re-render every page")
    p.add_argument("--wait", type=float, default=0.0, help="wait this long for another run")

    p = sub.add_parser("serve", parents=[common], help="preview the site, rebuilding on changes")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default loopback)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")

    p = sub.add_parser("sources", parents=[common], help="table of sources and their health")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--check", action="store_true", help="fetch each source once now (stores nothing)"
    )
    _ops_parsers(sub, common)
    hot.add_parser(sub, common)
    return parser


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


_WITH_SETTINGS: dict[str, Command] = {
    "run": pipeline.cmd_pipeline,
    "fetch": pipeline.cmd_pipeline,
    "publish": pipeline.cmd_pipeline,
    "build": pipeline.cmd_build,
    "serve": pipeline.cmd_serve,
    "sources": pipeline.cmd_sources,
    "watch": ops.cmd_watch,
    "catalog": ops.cmd_catalog,
    "add": ops.cmd_add,
    "remove": ops.cmd_remove,
    "opml": ops.cmd_opml,
    "prune": ops.cmd_prune,
    "hot": hot.cmd_hot,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    setup_logging(args)
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True)
    try:
        if args.command == "init":
            return pipeline.cmd_init(args, out)
        if args.command == "catalog" and args.rsshub:
            return ops.cmd_catalog(args, None, out, err)
        settings = load_settings(config_path(args.config))
        return _WITH_SETTINGS[args.command](args, settings, out, err)
    except HotpressError as exc:
        log.error("%s", exc)
        return 1
    except KeyboardInterrupt:
        log.error("interrupted")
        return 130
