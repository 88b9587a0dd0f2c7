"""Ingest: feed bytes -> parsed, normalized, sanitized, stored, Hexo post written.

References on the same bytes in the same run: feedparser's parse alone (sanitizing on, as
deployed, and off) and a bare lxml parse + walk of every element (json.loads for JSON Feeds).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.archive import scratch
from bench.common import (
    Sample,
    Section,
    TreeMemory,
    fmt_mb,
    fmt_rate,
    fmt_s,
    interleaved,
    ratio,
    repeat,
    target_row,
)
from bench.corpus import FeedFile, corpus, describe

NOW = datetime(2024, 3, 2, tzinfo=UTC)


def _load(feeds: int, items: int) -> list[tuple[FeedFile, bytes]]:
    folder, files = corpus(feeds, items)
    return [(f, (folder / f.name).read_bytes()) for f in files]


def _timed(work: Callable[[], int]) -> dict[str, Any]:
    import time

    wall, cpu = time.perf_counter(), time.process_time()
    count = work()
    return {
        "seconds": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "entries": count,
    }


def feedparser_parse(feeds: int, items: int, sanitize: bool = True) -> dict[str, Any]:
    import feedparser

    data = _load(feeds, items)

    def work() -> int:
        count = 0
        for info, body in data:
            parsed = feedparser.parse(
                body,
                sanitize_html=sanitize,
                response_headers={"content-type": info.content_type},
            )
            count += len(parsed.entries)
        return count

    return _timed(work)


def lxml_walk(feeds: int, items: int) -> dict[str, Any]:
    from lxml import etree

    data = _load(feeds, items)
    parser = etree.XMLParser(resolve_entities=False, huge_tree=True)

    def work() -> int:
        count = 0
        for info, body in data:
            if info.kind == "json":
                count += len(json.loads(body)["items"])
                continue
            root = etree.fromstring(body, parser)
            for element in root.iter():
                _ = element.text
                if element.tag in ("item", "{http://www.w3.org/2005/Atom}entry"):
                    count += 1
        return count

    return _timed(work)


def hotpress_parse(feeds: int, items: int) -> dict[str, Any]:
    from hotpress._parse import parse_feed

    data = _load(feeds, items)

    def work() -> int:
        return sum(
            len(parse_feed(body, url=f"https://b.example/{i}", content_type=f.content_type).entries)
            for i, (f, body) in enumerate(data)
        )

    return _timed(work)


def building_blocks(feeds: int, items: int) -> dict[str, Any]:
    """The libraries the pipeline is made of, with none of hotpress's own work: a floor.

    Per feed: lxml parse (``json.loads`` for JSON Feed) reading guid, title, link and body;
    one nh3 pass with its default rules (no URL filter, no stability pass); one SQLite
    ``executemany`` in one transaction; one file per item (temporary name, then rename), and
    a single ``os.sync()`` at the end. No dates, identities, revisions, categories, YAML,
    cover images, or fetch log. Whatever hotpress does can only add to this time."""
    import hashlib
    import os
    import sqlite3
    import time

    import nh3
    from lxml import etree

    data = _load(feeds, items)
    parser = etree.XMLParser(resolve_entities=False, huge_tree=True)
    cleaner = nh3.Cleaner()
    atom = "{http://www.w3.org/2005/Atom}"
    # Memory sampled as the pipeline row's is (TreeMemory), so both rows pay for it alike.
    with scratch() as tmp, TreeMemory() as memory:
        out = Path(tmp)
        db = sqlite3.connect(out / "floor.db")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE items (id TEXT PRIMARY KEY, title TEXT, link TEXT, body TEXT)")
        stages = {"parse": 0.0, "sanitize": 0.0, "store": 0.0, "files": 0.0}
        wall, cpu = time.perf_counter(), time.process_time()
        count = 0
        for info, body in data:
            t0 = time.perf_counter()
            rows: list[tuple[str, str, str, str]] = []
            if info.kind == "json":
                for it in json.loads(body)["items"]:
                    rows.append(
                        (it["id"], it["title"], it.get("url", ""), it.get("content_html", ""))
                    )
            else:
                root = etree.fromstring(body, parser)
                if info.kind == "rss":
                    for it in root.iter("item"):
                        rows.append(
                            (
                                it.findtext("guid") or "",
                                it.findtext("title") or "",
                                it.findtext("link") or "",
                                it.findtext("description") or "",
                            )
                        )
                else:
                    for it in root.iter(atom + "entry"):
                        rows.append(
                            (
                                it.findtext(atom + "id") or "",
                                it.findtext(atom + "title") or "",
                                "",
                                it.findtext(atom + "content") or "",
                            )
                        )
            t1 = time.perf_counter()
            rows = [(info.name + r[0], r[1], r[2], cleaner.clean(r[3])) for r in rows]
            t2 = time.perf_counter()
            with db:
                db.executemany("INSERT INTO items VALUES (?, ?, ?, ?)", rows)
            t3 = time.perf_counter()
            for key, title, _, text in rows:
                name = hashlib.sha1(key.encode()).hexdigest()
                temp = out / f".{name}.tmp"
                with open(temp, "w", encoding="utf-8") as f:
                    f.write(f"---\ntitle: {title}\n---\n{text}")
                os.replace(temp, out / f"{name}.md")
            t4 = time.perf_counter()
            stages["parse"] += t1 - t0
            stages["sanitize"] += t2 - t1
            stages["store"] += t3 - t2
            stages["files"] += t4 - t3
            count += len(rows)
        t5 = time.perf_counter()
        os.sync()
        stages["files"] += time.perf_counter() - t5
        seconds, used = time.perf_counter() - wall, time.process_time() - cpu
        db.close()
    return {
        "seconds": seconds,
        "cpu": used,
        "entries": count,
        "stages": stages,
        "tree_mb": memory.peak_mb,
    }


def json_loaders(feeds: int, items: int, loader: str) -> dict[str, Any]:
    """The JSON Feed files alone, read by the stdlib or by orjson (a candidate swap)."""
    import orjson

    data = [body for f, body in _load(feeds, items) if f.kind == "json"]
    load = orjson.loads if loader == "orjson" else json.loads

    def work() -> int:
        count = 0
        for _ in range(5):
            count += sum(len(load(body)["items"]) for body in data)
        return count

    return _timed(work)


def refetched(body: bytes, kind: str, fetch: int) -> bytes:
    """The same feed as fetched again later: only a feed-level field differs (RSS
    ``lastBuildDate``, Atom feed ``updated``, JSON Feed ``description``), every entry's bytes
    stay the same. RSSHub renders each response afresh, so this is its usual re-fetch."""
    stamp = f"2024-03-02T{fetch % 24:02d}:00:00+08:00"
    if kind == "rss":
        build = f"<lastBuildDate>Sat, 02 Mar 2024 {fetch % 24:02d}:00:00 +0800</lastBuildDate>"
        return body.replace(b"<ttl>5</ttl>", b"<ttl>5</ttl>" + build.encode(), 1)
    if kind == "atom":
        start = body.index(b"<updated>") + len(b"<updated>")
        return body[:start] + stamp.encode() + body[body.index(b"</updated>", start) :]
    return b'{"description": "fetched ' + stamp.encode() + b'",' + body[1:]


def specs(files: list[FeedFile], copies: int) -> list[Any]:
    from hotpress.types import SourceSpec

    return [
        SourceSpec(
            key=f"/bench/{copy}/{i}",
            category=("基准", f"源{i % 20}", f"频道{i}-{copy}"),
            url=f"https://bench.example/{copy}/{f.name}",
            author=f"源{i % 20}",
            timezone="Asia/Shanghai",
        )
        for copy in range(copies)
        for i, f in enumerate(files)
    ]


def ingest_into(
    storage: Any,
    feeds: int,
    items: int,
    copies: int,
    *,
    stages: dict[str, float] | None = None,
    fetch: int = 0,
    counts: dict[str, int] | None = None,
    pool: Any = None,
) -> int:
    """Store every feed of the corpus ``copies`` times (each copy its own sources).

    With ``stages`` the stages run one by one with a timer each (the breakdown); without it
    the run goes through ``core.store_result``, the code ``hotpress run`` uses. ``fetch`` > 0
    stores the bodies as :func:`refetched` makes them (same entries, other feed-level bytes);
    ``counts`` adds up the new/updated/skipped-parse figures the archive reported.
    ``pool`` (an ``ArchivePool``): bodies read by its worker processes beside the store
    thread, as ``core.refresh`` reads a round of 16+ bodies (``fetch.read_workers``)."""
    import time

    from hotpress._normalize import normalize_entry
    from hotpress._parse import parse_feed
    from hotpress.types import FetchResult, Validators

    folder, files = corpus(feeds, items)
    all_specs = specs(files, copies)
    storage.sync_sources(all_specs)

    def fetched() -> Iterator[tuple[Any, Any]]:
        for n, spec in enumerate(all_specs):
            info = files[n % len(files)]
            body = (folder / info.name).read_bytes()  # per feed: never all 100,000 in RAM
            if fetch:
                body = refetched(body, info.kind, fetch)
            result = FetchResult(
                source_key=spec.key,
                url=spec.url,
                status=200,
                content=body,
                content_type=info.content_type,
                validators=Validators(etag=f'"{n}"'),
                duration=0.0,
            )
            yield spec, result

    count = 0
    if stages is None:
        keys = [spec.key for spec in all_specs]
        for outcome in _stored(fetched(), keys, storage, pool):
            count += outcome.entries
            if counts is not None:
                counts["new"] = counts.get("new", 0) + outcome.counts.new
                counts["updated"] = counts.get("updated", 0) + outcome.counts.updated
                counts["body_hits"] = counts.get("body_hits", 0) + int(outcome.not_modified)
        return count
    for spec, result in fetched():
        body = result.content
        t0 = time.perf_counter()
        feed = parse_feed(body, url=spec.url, content_type=result.content_type)
        t1 = time.perf_counter()
        # Every entry normalized, the first of an identity kept (as the pipeline keeps it).
        found = list(
            {
                item.identity: item
                for item in reversed([normalize_entry(spec, e, feed.link) for e in feed.entries])
            }.values()
        )
        t2 = time.perf_counter()
        storage.save_fetch(spec.key, result, found, now=NOW, error=None, next_due=None)
        t3 = time.perf_counter()
        stages["parse"] = stages.get("parse", 0.0) + t1 - t0
        stages["normalize"] = stages.get("normalize", 0.0) + t2 - t1
        stages["store"] = stages.get("store", 0.0) + t3 - t2
        count += len(found)
    return count


WINDOW = 32


def _stored(
    fetched: Iterator[tuple[Any, Any]], keys: list[str], storage: Any, pool: Any
) -> Iterator[Any]:
    """Each body's ``SourceOutcome``: ``core.store_result`` one by one, or, with a ``pool``
    that has workers, the dispatch ``core.refresh`` uses (``_readers.Readers``: worker
    processes and the store thread read, the store thread stores), bodies handed over as
    they are loaded (at most ``WINDOW`` waiting, as a refresh's fetches keep a few bodies in
    hand)."""
    from hotpress.core import store_result

    if pool is None or not pool.usable:
        for spec, result in fetched:
            yield store_result(spec, result, storage, now=NOW)
        return

    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from hotpress._readers import Readers

    def save(spec: Any, result: Any, reading: Any, digest: str | None) -> Any:
        return store_result(spec, result, storage, now=NOW, digest=digest, reading=reading)

    async def dispatch() -> list[Any]:
        known = {key: storage.body_digest(key) for key in keys}
        outcomes: list[Any] = []
        with ThreadPoolExecutor(max_workers=1) as worker:
            readers = Readers(pool, worker, save, known)
            try:
                waiting: list[Any] = []
                for spec, result in fetched:
                    waiting.append(readers.put(spec, result))
                    if len(waiting) > WINDOW:
                        outcomes.append(await waiting.pop(0))
                    await asyncio.sleep(0)
                outcomes.extend(await asyncio.gather(*waiting))
            finally:
                readers.close()
        return outcomes

    yield from asyncio.run(dispatch())


def pipeline(
    feeds: int,
    items: int,
    copies: int = 1,
    reingest: str = "",
    breakdown: bool = False,
    readers: int | None = None,
) -> dict[str, Any]:
    """The whole pipeline into a fresh archive and Hexo folder (timed: store + publish).

    ``readers``: worker processes reading bodies and then writing posts beside this one, as
    ``hotpress run``'s pool (``None``: as many as it takes by default here,
    ``fetch.read_workers`` unset; 0: everything done in this process).

    ``reingest`` ``"same"`` first stores the corpus untimed, then times storing the same
    bytes again; ``"changed"`` times storing bodies that differ only outside the entries.
    Modules are imported before the clock starts, as the floor row imports its libraries."""
    import time

    import hotpress.core  # noqa: F401 - imported untimed (ingest_into finds it loaded)
    from hotpress._pool import ArchivePool, worker_count
    from hotpress._publish.posts import publish_hexo
    from hotpress._storage import SQLiteStorage

    with scratch() as tmp, TreeMemory() as memory:
        storage = SQLiteStorage(Path(tmp) / "archive.db")
        hexo = Path(tmp) / "hexo"
        if reingest:
            ingest_into(storage, feeds, items, copies)
            publish_hexo(storage, hexo)
        stages: dict[str, float] | None = {} if breakdown else None
        counts: dict[str, int] = {}
        fetch = 1 if reingest == "changed" else 0
        workers = worker_count(None) if readers is None else readers
        wall, cpu = time.perf_counter(), time.process_time()
        pool = ArchivePool(storage.opener(), workers)  # as core.run_round makes it
        try:
            count = ingest_into(
                storage,
                feeds,
                items,
                copies,
                stages=stages,
                fetch=fetch,
                counts=counts,
                pool=pool,
            )
            t_pub = time.perf_counter()
            report = publish_hexo(storage, hexo, pool=pool)
        finally:
            pool.close()
        end = time.perf_counter()
        storage.close()
        out: dict[str, Any] = {
            "seconds": end - wall,
            "cpu": time.process_time() - cpu,
            "entries": count,
            "written": report.written,
            **counts,
        }
        if stages is not None:
            out["stages"] = {**stages, "publish": end - t_pub}
    out["tree_mb"] = memory.peak_mb
    return out


def run(quick: bool, runs: int) -> Section:
    feeds, items = (20, 50) if quick else (200, 50)
    folder, files = corpus(feeds, items)
    count = feeds * items
    args = {"feeds": feeds, "items": items}
    sec = Section("Ingest: feed bytes → parsed, sanitized, stored, Hexo post written")
    sec.setup.append(f"Corpus: {describe(folder, files, items)}.")
    sec.setup.append(
        "Each figure: median of "
        f"{runs} runs, each in a fresh process, (min–max); peak memory = max ru_maxrss."
        " The two whole-pipeline rows and the floor run in turns (pipeline, one process,"
        " floor, then again), as do bare lxml and the parse stage, so a judged ratio"
        " compares runs made minutes apart at most."
    )
    fp, fp_res = repeat("bench.ingest:feedparser_parse", runs, **args)
    fp_raw, _ = repeat("bench.ingest:feedparser_parse", runs, sanitize=False, **args)
    # feedparser 6 cannot read JSON Feed: it returns no entries for those files, so it is
    # compared by items per second over the entries it did return.
    fp_n = int(fp_res[0].get("entries", count)) if fp.ok else count
    # The parse stage against bare lxml, in turns too (one after the other, they were
    # 2.87× at 08:00 on 2026-12-06 and 1.52× alternated by hand right after).
    (lx, _), (hp, _) = interleaved(
        [("bench.ingest:lxml_walk", args), ("bench.ingest:hotpress_parse", args)], runs
    )
    # The judged pair (and the one-process row) in turns: their ratio is the target.
    (whole, whole_res), (alone, alone_res), (blocks, blocks_res) = interleaved(
        [
            ("bench.ingest:pipeline", args),
            ("bench.ingest:pipeline", {**args, "readers": 0}),
            ("bench.ingest:building_blocks", args),
        ],
        runs,
    )
    changed, changed_res = repeat("bench.ingest:pipeline", runs, reingest="changed", **args)
    again, again_res = repeat("bench.ingest:pipeline", runs, reingest="same", **args)
    _, parts = repeat("bench.ingest:pipeline", 1, breakdown=True, readers=0, **args)
    js, _ = repeat("bench.ingest:json_loaders", runs, loader="json", **args)
    oj, _ = repeat("bench.ingest:json_loaders", runs, loader="orjson", **args)
    big_copies = 2 if quick else 100_000 // count
    big, _ = repeat("bench.ingest:pipeline", 1, copies=big_copies, **args)
    sec.header = [
        "what",
        "time",
        "throughput",
        "peak memory",
        "vs feedparser (sanitizing), items/s",
    ]

    def x(sample: Sample, n: int = count) -> float:
        return ratio(fp, sample) * (n / fp_n)

    rows = [
        ("feedparser 6 parse only, sanitizing on", fp, fp_n),
        ("feedparser 6 parse only, sanitizing off", fp_raw, fp_n),
        ("bare lxml parse + walk (json.loads for JSON)", lx, count),
        ("hotpress parse stage (parse_feed)", hp, count),
        ("hotpress whole pipeline (parse → store → Hexo post)", whole, count),
        (
            "hotpress whole pipeline, every body read in this process (read_workers: 0)",
            alone,
            count,
        ),
        ("floor: the building blocks alone (no hotpress code, see notes)", blocks, count),
        ("hotpress re-ingest, new body, same entries (+ no-op publish)", changed, count),
        ("hotpress re-ingest, same bytes again (+ no-op publish)", again, count),
    ]
    for name, sample, n in rows:
        sec.rows.append(
            [name, fmt_s(sample), fmt_rate(sample, n), fmt_mb(sample), f"{x(sample, n):.2f}×"]
        )
    big_n = big_copies * count
    sec.rows.append(
        [
            f"hotpress whole pipeline, {big_n:,} items (1 run)",
            fmt_s(big),
            fmt_rate(big, big_n),
            fmt_mb(big),
            f"{x(big, big_n):.2f}×",
        ]
    )
    whole_x, again_x, changed_x = x(whole), x(again), x(changed)
    blocks_x = x(blocks)
    floor_x = ratio(blocks, whole)
    parse_vs_lxml = hp.median / lx.median if hp.ok and lx.ok else float("nan")
    sec.targets = [
        target_row(
            "whole pipeline vs feedparser parse-only", "≥ 10×", f"{whole_x:.1f}×", whole_x, 10
        ),
        target_row(
            "whole pipeline vs the floor row (items/s ratio)",
            "≥ 0.8×",
            f"{floor_x:.2f}×",
            floor_x,
            0.8,
        ),
        target_row(
            "re-ingest vs feedparser parse-only (judged: new body, same entries)",
            "≥ 50×",
            f"{changed_x:.1f}×",
            changed_x,
            50,
        ),
        target_row(
            "re-ingest, same bytes again (extra: body-digest hit, not judged)",
            "≥ 50×",
            f"{again_x:.1f}×",
            again_x,
            50,
        ),
        target_row(
            "parse stage vs bare lxml (time ratio)",
            "≤ 2×",
            f"{parse_vs_lxml:.2f}×",
            parse_vs_lxml,
            2,
            higher_is_better=False,
        ),
        target_row(
            f"peak memory, {big_n:,} items",
            "≤ 300 MB",
            fmt_mb(big),
            big.peak_mb,
            300,
            higher_is_better=False,
        ),
    ]
    if not quick:  # a peer, and a server: not at the CI size
        from bench import reader_peer

        reader_peer.add(sec, feeds, items, runs, lambda s, n: f"{x(s, n):.2f}×")
    if parts and "stages" in parts[0]:
        st = parts[0]["stages"]
        total = sum(st.values())
        sec.notes.append(
            "Stage breakdown (one run, stages timed one by one): "
            + ", ".join(f"{k} {v:.2f} s ({v / total:.0%})" for k, v in st.items())
            + "."
        )
    sec.notes.append(_floor_note(blocks_x, blocks_res))
    sec.notes.append(_readers_note(whole_res, alone_res, blocks_res))
    sec.notes.append(
        f"JSON Feed decoding, the {sum(1 for f in files if f.kind == 'json')} JSON files ×5: "
        f"json.loads {fmt_s(js)}, orjson.loads {fmt_s(oj)} "
        f"({ratio(js, oj):.1f}× faster)."
    )
    sec.notes.append(
        f"feedparser returned {fp_n:,} of {count:,} entries: it does not read JSON Feed."
    )
    sec.notes.append(_reingest_note(changed_res, again_res, feeds))
    return sec


def _readers_note(
    whole: list[dict[str, Any]], alone: list[dict[str, Any]], blocks: list[dict[str, Any]]
) -> str:
    """How the whole-pipeline rows read their bodies, and their CPU beside the floor's."""
    from hotpress._pool import worker_count

    def cpu(raw: list[dict[str, Any]]) -> str:
        if not raw or "cpu" not in raw[0]:
            return "not measured"
        return f"{float(raw[0]['cpu']):.2f} s"

    return (
        "Whole-pipeline rows: bodies are stored and posts written as `hotpress run` does by "
        f"default here ({worker_count(None)} worker process(es) of the run's pool reading "
        "beside the store thread, which reads too whenever they are busy: `_readers.Readers`; "
        "then the same worker writing a share of the posts by category folder: "
        "`_publish.parts`); the `read_workers: 0` row reads every body and writes every post "
        "in one process, as a small round does. CPU "
        f"time of this process, run 1: whole pipeline {cpu(whole)} (the workers' CPU not "
        f"counted), read_workers 0 {cpu(alone)}, floor {cpu(blocks)}."
    )


def _floor_note(blocks_x: float, raw: list[dict[str, Any]]) -> str:
    """What the floor row is, and what it says about the ≥ 10× target."""
    split = ""
    if raw and "stages" in raw[0]:
        split = " (run 1: " + ", ".join(f"{k} {v:.2f} s" for k, v in raw[0]["stages"].items())
        split += ")"
    verdict = "below" if blocks_x < 10 else "at or above"
    return (
        "Floor row: the libraries the pipeline is built from, with none of hotpress's work — "
        "lxml parse (json.loads for JSON Feed) of guid, title, link and body; one nh3 pass with "
        "its default rules (no URL filter, no stability pass); one SQLite executemany per feed; "
        "one file per item (temporary name, rename) and one os.sync() at the end; no dates, "
        "identities, revisions, categories, YAML, covers or fetch log"
        f"{split}. It reaches {blocks_x:.1f}× feedparser, {verdict} the ≥ 10× target: the "
        "whole pipeline can only add to this time."
    )


def _reingest_note(changed: list[dict[str, Any]], again: list[dict[str, Any]], feeds: int) -> str:
    """What the two re-ingest rows exercised, from the archive's own counts (run 1 of each)."""

    def said(raw: list[dict[str, Any]]) -> str:
        if not raw or "error" in raw[0]:
            return "not measured"
        r = raw[0]
        return (
            f"{r.get('body_hits', 0)} of {feeds} bodies skipped as identical, "
            f"{r.get('new', 0)} new and {r.get('updated', 0)} updated items"
        )

    return (
        "Re-ingest rows: the judged row stores every feed again with a changed feed-level "
        "field (RSS lastBuildDate, Atom feed updated, JSON Feed description) and byte-identical "
        f"entries, as RSSHub serves a re-fetch: {said(changed)}; the extra row stores the same "
        f"bytes again: {said(again)}. The ≥ 50× target is judged on the first (the realistic "
        "case); the second only shows the body-digest skip."
    )
