"""Hot-list rank history for the SQLite backend (mixed into SQLiteStorage).

Implements ``hotpress._hot.store.HotStore`` over two tables (see the migration "hot
lists"): ``hot_lists`` keeps each list's last recorded refresh, ``hot_runs`` a row per item
and run at one rank with the first and last refresh of the run. A refresh that leaves an
item where it was only moves the run's ``last``: the history grows with changes, not with
refreshes. The list at a moment ``T`` is the set of runs with ``first <= S <= last``, ``S``
the last refresh up to ``T``; ``max_span`` (the longest run) bounds those range scans.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from hotpress._storage.conn import DB
from hotpress._storage.hot_rows import HotEntry, RankEntry, RunRow

_CHUNK = 500


class _Run(NamedTuple):
    item_id: int
    rank: int
    heat: float | None
    first: int
    last: int
    cont: int


def _dt(stamp: int) -> datetime:
    return datetime.fromtimestamp(stamp, UTC)


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class Summary(NamedTuple):
    first: int
    last: int
    peak: int
    hours: float
    history: tuple[tuple[datetime, int], ...]
    stay: int
    """Start of the last unbroken stay."""


def summarize(runs: Sequence[_Run], until: int) -> Summary:
    """first seen, last seen, peak rank, hours on the list, history and the start of the
    last unbroken stay of one item's runs (oldest first), as of ``until``: later refreshes
    are cut off."""
    hours = 0.0
    history: list[tuple[datetime, int]] = []
    previous: int | None = None
    last_seen = runs[0].first
    stay = runs[0].first
    for run in runs:
        last = min(run.last, until)
        hours += last - run.first
        if run.cont and previous is not None:
            hours += run.first - previous  # an unbroken stay that changed rank
        else:
            stay = run.first
        history.append((_dt(run.first), run.rank))
        if last > run.first:
            history.append((_dt(last), run.rank))
        previous = last
        last_seen = max(last_seen, last)
    peak = min(run.rank for run in runs)
    return Summary(runs[0].first, last_seen, peak, round(hours / 3600, 2), tuple(history), stay)


class HotQueriesMixin:
    _db: DB

    if TYPE_CHECKING:  # provided by SQLiteStorage

        def _source_id(self, key: str) -> int: ...

        def _write(self, fn: Any, *args: Any) -> Any: ...

    def hot_known(self, source_key: str) -> bool:
        return self._hot_state(source_key) is not None

    def hot_last(self, source_key: str) -> datetime | None:
        state = self._hot_state(source_key)
        return None if state is None else _dt(state[1])

    def _hot_state(self, source_key: str) -> tuple[int, int, int] | None:
        """(source id, last refresh, longest run) of a list with a recorded refresh; a source
        the archive has not seen yet has none."""
        row = self._db.execute(
            "SELECT h.source_id, h.last, h.max_span FROM hot_lists h"
            " JOIN sources s ON s.id = h.source_id WHERE s.key = ?",
            (source_key,),
        ).fetchone()
        return None if row is None else (int(row[0]), int(row[1]), int(row[2]))

    def record_ranks(
        self, source_key: str, ranks: Sequence[RankEntry] | None, *, now: datetime
    ) -> None:
        source_id = self._source_id(source_key)
        stamp = int(now.timestamp())

        def work() -> None:
            state = self._hot_state(source_key)
            if (state is not None and stamp <= state[1]) or (state is None and ranks is None):
                return  # an older refresh, or "the same as before" with nothing before
            previous, max_span = state[1:] if state is not None else (None, 0)
            open_runs = {
                r[0]: (r[1], r[2])
                for r in self._db.execute(
                    "SELECT item_id, rank, first FROM hot_runs WHERE source_id = ? AND last = ?",
                    (source_id, previous),
                )
            }
            if ranks is None:
                self._db.execute(
                    "UPDATE hot_runs SET last = ? WHERE source_id = ? AND last = ?",
                    (stamp, source_id, previous),
                )
                spans = [stamp - first for _, first in open_runs.values()]
            else:
                spans = self._record(source_id, ranks, open_runs, stamp)
            self._db.execute(
                "INSERT INTO hot_lists (source_id, first, last, max_span) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (source_id) DO UPDATE SET last = excluded.last,"
                " max_span = excluded.max_span",
                (source_id, stamp, stamp, max(max_span, *spans, 0)),
            )

        self._write(work)

    def _record(
        self,
        source_id: int,
        ranks: Sequence[RankEntry],
        open_runs: dict[int, tuple[int, int]],
        stamp: int,
    ) -> list[int]:
        ids: dict[str, int] = {}
        identities = [r.identity for r in ranks]
        for chunk in _chunks(identities):
            marks = ",".join("?" * len(chunk))
            ids.update(
                self._db.execute(
                    f"SELECT identity, id FROM items WHERE source_id = ? AND identity IN ({marks})",
                    (source_id, *chunk),
                ).fetchall()
            )
        extend: list[tuple[int, int | None, int, int]] = []
        start: list[tuple[int, int, int, int, int, int | None, int]] = []
        spans: list[int] = []
        for entry in ranks:
            item_id = ids.get(entry.identity)
            if item_id is None:
                continue
            heat = None if entry.heat is None else round(entry.heat)
            run = open_runs.get(item_id)
            if run is not None and run[0] == entry.rank:
                extend.append((stamp, heat, item_id, run[1]))
                spans.append(stamp - run[1])
            else:
                cont = int(run is not None)
                start.append((item_id, stamp, source_id, entry.rank, stamp, heat, cont))
        self._db.executemany(
            "UPDATE hot_runs SET last = ?, heat = COALESCE(?, heat)"
            " WHERE item_id = ? AND first = ?",
            extend,
        )
        self._db.executemany(
            "INSERT INTO hot_runs (item_id, first, source_id, rank, last, heat, cont)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            start,
        )
        return spans

    # --- reading ------------------------------------------------------------------------

    def hot_first(self, source_key: str) -> datetime | None:
        state = self._hot_state(source_key)
        if state is None:
            return None
        row = self._db.execute(
            "SELECT first FROM hot_lists WHERE source_id = ?", (state[0],)
        ).fetchone()
        return _dt(row[0])

    def hot_runs_between(self, source_key: str, start: datetime, end: datetime) -> list[RunRow]:
        state = self._hot_state(source_key)
        if state is None:
            return []
        low, high = int(start.timestamp()), int(end.timestamp())
        rows = self._db.execute(
            "SELECT item_id, rank, heat, first, last, cont FROM hot_runs WHERE source_id = ?"
            " AND last >= ? AND last <= ? AND first < ? AND item_id IN ("
            " SELECT item_id FROM hot_runs WHERE source_id = ? AND last >= ? AND last <= ?"
            " AND first < ?)",
            (
                state[0],
                low - 86400,
                high + state[2],
                high,
                state[0],
                low,
                high + state[2],
                high,
            ),
        )
        return [RunRow(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows]

    def hot_touched(self, source_key: str, since: datetime | None) -> list[int]:
        state = self._hot_state(source_key)
        if state is None:
            return []
        after = -1 if since is None else int(since.timestamp())
        rows = self._db.execute(
            "SELECT DISTINCT item_id FROM hot_runs WHERE source_id = ? AND last > ?",
            (state[0], after),
        )
        return sorted(r[0] for r in rows)

    def hot_moved(self, source_key: str, since: datetime | None) -> list[int]:
        state = self._hot_state(source_key)
        if state is None:
            return []
        if since is None:
            return self.hot_touched(source_key, None)
        after = int(since.timestamp())
        # A run open at ``since`` has ``last >= since``; one started after it too.
        rows = self._db.execute(
            "SELECT DISTINCT item_id FROM hot_runs WHERE source_id = ? AND last >= ?"
            " AND (first > ? OR last < ?)",
            (state[0], after, after, state[1]),
        )
        return sorted(r[0] for r in rows)

    def _moment(self, state: tuple[int, int, int], at: int) -> int | None:
        """The last recorded refresh at or before ``at`` (a run's first or last refresh:
        between two such times the list did not change)."""
        source_id, last, span = state
        if at >= last:
            return last
        ended = self._db.execute(
            "SELECT MAX(last) FROM hot_runs WHERE source_id = ? AND last <= ?",
            (source_id, at),
        ).fetchone()[0]
        started = self._db.execute(
            "SELECT MAX(first) FROM hot_runs WHERE source_id = ? AND last > ? AND last <= ?"
            " AND first <= ?",
            (source_id, at, at + span, at),
        ).fetchone()[0]
        moments = [m for m in (ended, started) if m is not None]
        return max(moments) if moments else None

    def hot_list(self, source_key: str, *, at: datetime | None = None) -> list[HotEntry]:
        state = self._hot_state(source_key)
        if state is None:
            return []
        source_id = state[0]
        moment = state[1] if at is None else self._moment(state, int(at.timestamp()))
        if moment is None:
            return []
        standing = {
            r[0]: (r[1], r[2])
            for r in self._db.execute(
                "SELECT item_id, rank, heat FROM hot_runs WHERE source_id = ?"
                " AND last >= ? AND last <= ? AND first <= ?",
                (source_id, moment, moment + state[2], moment),
            )
        }
        entries = self._entries(standing, moment)
        return sorted(entries.values(), key=lambda e: e.rank or 0)

    def hot_items(self, item_ids: Iterable[int]) -> dict[int, HotEntry]:
        ids = list(item_ids)
        lasts: dict[int, int] = {}
        standing: dict[int, tuple[int | None, float | None]] = {}
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            for item_id, rank, heat, last, list_last in self._db.execute(
                "SELECT r.item_id, r.rank, r.heat, r.last, h.last FROM hot_runs r"
                " JOIN hot_lists h ON h.source_id = r.source_id"
                f" WHERE r.item_id IN ({marks}) ORDER BY r.first",
                tuple(chunk),
            ):
                lasts[item_id] = list_last
                on = last == list_last
                standing[item_id] = (rank if on else None, heat)
        result: dict[int, HotEntry] = {}
        for until in set(lasts.values()):
            group = {i: s for i, s in standing.items() if lasts[i] == until}
            result.update(self._entries(group, until))
        return result

    def _entries(
        self, standing: dict[int, tuple[int | None, float | None]], until: int
    ) -> dict[int, HotEntry]:
        ids = list(standing)
        runs: dict[int, list[_Run]] = {i: [] for i in ids}
        info: dict[int, tuple[str, str, str | None]] = {}
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(
                "SELECT item_id, rank, heat, first, last, cont FROM hot_runs"
                f" WHERE item_id IN ({marks}) AND first <= ? ORDER BY item_id, first",
                (*chunk, until),
            ):
                runs[row[0]].append(_Run(*row))
            for row in self._db.execute(
                f"SELECT id, identity, title, link FROM items WHERE id IN ({marks})",
                tuple(chunk),
            ):
                info[row[0]] = (row[1], row[2], row[3])
        out: dict[int, HotEntry] = {}
        for item_id, (rank, heat) in standing.items():
            if not runs[item_id] or item_id not in info:
                continue
            first, last, peak, hours, history, stay = summarize(runs[item_id], until)
            identity, title, link = info[item_id]
            out[item_id] = HotEntry(
                item_id=item_id,
                identity=identity,
                title=title,
                link=link,
                rank=rank,
                heat=heat,
                first_seen=_dt(first),
                last_seen=_dt(last),
                peak_rank=peak,
                hours_on_list=hours,
                history=history,
                changed=_dt(runs[item_id][-1].first),
                stay_start=_dt(stay),
            )
        return out
