"""`hotpress hot KEY`: a hot list as it stands, or as it stood at the end of a day."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.markup import escape

from hotpress._cli.common import log
from hotpress._hot import HotEntry
from hotpress._storage import open_storage
from hotpress.config import Settings


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("hot", parents=[common], help="a hot list with ranks, hours and peaks")
    p.add_argument("key", metavar="KEY", help="the source's route or URL (`hotlist: true`)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--day", help="the list as it stood at the end of YYYY-MM-DD")


def entry_json(entry: HotEntry) -> dict[str, Any]:
    return {
        "rank": entry.rank,
        "title": entry.title,
        "link": entry.link,
        "identity": entry.identity,
        "first_seen": entry.first_seen.isoformat(),
        "last_seen": entry.last_seen.isoformat(),
        "peak_rank": entry.peak_rank,
        "hours_on_list": entry.hours_on_list,
        "heat": entry.heat,
        "history": [[when.isoformat(), rank] for when, rank in entry.history],
    }


def end_of_day(text: str, zone: str) -> datetime:
    """The last second of the day ``YYYY-MM-DD`` in ``zone``."""
    day = date.fromisoformat(text)
    return datetime.combine(day + timedelta(days=1), time(), ZoneInfo(zone)) - timedelta(seconds=1)


def cmd_hot(args: argparse.Namespace, settings: Settings, out: Console, err: Console) -> int:
    spec = next((s for s in settings.sources if s.key == args.key), None)
    if spec is None:
        log.error("%s: no source %r (see `hotpress sources`)", settings.path, args.key)
        return 1
    if not spec.hotlist:
        log.error("%s: source %r is not a hot list (add `hotlist: true`)", settings.path, spec.key)
        return 1
    at = None
    if args.day:
        try:
            at = end_of_day(args.day, spec.timezone)
        except ValueError:
            log.error("--day: expected a date as YYYY-MM-DD (got %r)", args.day)
            return 2
    storage = open_storage(settings.database)
    try:
        entries = storage.hot_list(spec.key, at=at)
    finally:
        storage.close()
    if args.json:
        rows = [entry_json(e) for e in entries]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    if not entries:
        out.print(f"{spec.key}: no refresh recorded" + (f" by the end of {args.day}" if at else ""))
        return 0
    for e in entries:
        heat = f" · heat {e.heat:,.0f}" if e.heat is not None else ""
        out.print(
            f"{e.rank:>3}. {escape(e.title)}  [dim]({e.hours_on_list:g} h on list"
            f" · peak #{e.peak_rank}{heat})[/dim]",
            highlight=False,
        )
    return 0
