"""Run hostile XML files through the whole pipeline, one forked child per file, and measure.

``python xml_attack_probe.py WORKDIR CANARY... -- FILE...`` prints one JSON line per file:
seconds, peak RSS, items stored, the source's error, which canary strings appear in any output
(archive rows or Hexo posts) and every Python-level network attempt (audit hook). hotpress is
imported once in this process; each child inherits it, so the child's peak RSS is an upper
bound of what one file costs (the parent's pages are counted too).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hotpress._storage import open_storage
from hotpress.config import parse_settings
from hotpress.core import run

_CHILD_SECONDS = 20  # the child is killed by SIGALRM past this: a hang, not a slow file
_CHILD_ADDRESS_SPACE = 2 * 1024**3


def _pipeline(feed: Path, work: Path, canaries: list[str]) -> dict[str, Any]:
    network: list[str] = []

    def audit(event: str, args: tuple[Any, ...]) -> None:
        if event in ("socket.connect", "socket.getaddrinfo", "urllib.Request"):
            network.append(f"{event}: {args!r}"[:200])

    sys.addaudithook(audit)
    config = work / "hotpress.yml"
    config.write_text(
        "database: archive.db\noutput:\n  hexo: posts\ntimezone: UTC\n"
        f"sources:\n  - category: [attack, {feed.stem}]\n    url: {json.dumps(str(feed))}\n",
        encoding="utf-8",
    )
    settings = parse_settings(config.read_text(encoding="utf-8"), config)

    began = time.perf_counter()
    with open_storage(work / "archive.db") as storage:
        report = run(settings, storage)
        seconds = time.perf_counter() - began
        items = list(storage.iter_items())
        states = storage.sources(datetime.now(UTC))
    outputs = [f"{i.title}\n{i.content}\n{i.link}\n{i.guid}\n{i.author}" for i in items]
    outputs += [p.read_text("utf-8", "replace") for p in (work / "posts").rglob("*") if p.is_file()]
    text = "\n".join(outputs)
    assert report.fetch is not None
    return {
        "seconds": seconds,
        "items": len(items),
        "titles": [i.title for i in items][:5],
        "error": next((s.last_error for s in states if s.last_error), None),
        "leaked": [c for c in canaries if c in text],
        "network": network,
        "posts": sum(1 for p in (work / "posts").rglob("*.md")),
    }


def probe(feed: Path, work: Path, canaries: list[str]) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read)
        code = 0
        try:
            resource.setrlimit(resource.RLIMIT_AS, (_CHILD_ADDRESS_SPACE, _CHILD_ADDRESS_SPACE))
            os.chdir(work)
            signal.alarm(_CHILD_SECONDS)
            result = _pipeline(feed, work, canaries)
            result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        except BaseException as err:  # reported to the parent, which fails the test
            result = {"crash": f"{type(err).__name__}: {err}"}
            code = 1
        with os.fdopen(write, "w") as pipe:
            json.dump(result, pipe)
        os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    result = json.loads(data) if data else {"crash": f"child died, wait status {status}"}
    result["file"] = str(feed)
    return result


def main(argv: list[str]) -> int:
    split = argv.index("--")
    work, canaries, files = Path(argv[1]), argv[2:split], argv[split + 1 :]
    for n, name in enumerate(files):
        print(json.dumps(probe(Path(name), work / str(n), canaries)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
