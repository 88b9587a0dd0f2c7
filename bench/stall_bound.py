"""How long a run takes when sources stall: N stalling sources on one host (a local server)
plus one good source on another host name, through ``hotpress run`` as a user runs it.
Prints the wall time beside the documented worst case (README "fetch", docs/dev.md).

    python -m bench.stall_bound --sources 5 --timeout 6 --kind drip

Kinds: ``drip`` (a byte every half second, for ever: only the per-source deadline ends it),
``headers`` (the status line never comes: the read timeout ends each attempt), ``body``
(the headers and a few bytes, then silence).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from feedserver import FeedServer, Reply  # the tests' own local server
from hotpress import cli

GOOD = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>g</title><item>'
    b"<title>good</title><guid>g1</guid></item></channel></rss>"
)
INTERVAL = 0.2  # fetch.min_host_interval's default
HEAD = b'<?xml version="1.0"?><rss version="2.0"><channel><title>slow</title>'


def stalling(kind: str) -> Reply:
    if kind == "drip":
        return Reply(body=HEAD * 10_000, chunk=1, pause=0.5)
    if kind == "headers":
        return Reply(body=GOOD, delay=3600)
    if kind == "body":
        return Reply(body=HEAD * 100, stall_after=10)
    raise SystemExit(f"unknown kind {kind!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=6.0)
    parser.add_argument("--per-host", type=int, default=4)
    parser.add_argument("--retries", type=int, default=2)
    parser.add_argument("--kind", default="drip", choices=("drip", "headers", "body"))
    args = parser.parse_args()
    with FeedServer() as server, tempfile.TemporaryDirectory() as scratch:
        server.route("/good", Reply(body=GOOD, headers={"Content-Type": "application/rss+xml"}))
        server.route("/slow", stalling(args.kind))
        sources = "".join(
            f"  - category: [s{i}]\n    url: {server.url(f'/slow?{i}')}\n"
            for i in range(args.sources)
        )
        config = Path(scratch) / "hotpress.yml"
        config.write_text(
            "database: a.db\noutput:\n  hexo: posts\n"
            f"fetch:\n  timeout: {args.timeout}\n  per_host: {args.per_host}\n"
            f"  retries: {args.retries}\n"
            f"sources:\n{sources}  - category: [good]\n"
            # Another host name (same server): a stalled host does not hold up other hosts.
            f"    url: {server.url('/good', host='localhost')}\n",
            encoding="utf-8",
        )
        started = time.monotonic()
        code = cli.main(["run", "-q", "-c", str(config)])
        took = time.monotonic() - started
    per_source = 2 * args.timeout  # the per-source deadline (core.fetch_settings)
    waves = min(math.ceil(args.sources / args.per_host), 2)  # a stalled host: 2 rounds
    spacing = args.sources * INTERVAL  # fetch.min_host_interval between request starts
    bound = waves * per_source + spacing
    print(
        f"{args.sources} {args.kind} sources, timeout {args.timeout:g}, per_host "
        f"{args.per_host}: run took {took:.1f} s (exit {code}); documented worst case "
        f"{waves} x {per_source:g} s + {args.sources} x {INTERVAL:g} s = {bound:g} s "
        "(+ start-up)"
    )


if __name__ == "__main__":
    main()
