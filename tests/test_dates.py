"""Date parsing against feedparser's and miniflux's vectors, plus the shapes Chinese feeds use."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hotpress._parse.dates import parse_date, parse_timestamp

# Vectors hotpress deliberately does not follow, with the reason.
FEEDPARSER_SKIPS = {
    "03335": "2-digit-year ordinal (YYDDD) contradicts the w3dtf vector that rejects '22013'; "
    "no feed writes ordinal dates, so the garbage reading wins",
}


def _load(corpora: Path, name: str) -> list[dict[str, Any]]:
    data = json.loads((corpora / "dates" / name).read_text(encoding="utf-8"))
    vectors: list[dict[str, Any]] = data["vectors"]
    return vectors


def test_every_feedparser_vector_gives_the_expected_instant(corpora: Path) -> None:
    failures = []
    vectors = _load(corpora, "feedparser_date_vectors.json")
    assert len(vectors) == 73
    for vector in vectors:
        if vector["input"] in FEEDPARSER_SKIPS:
            continue
        got = parse_date(vector["input"], "UTC")
        want = vector["expected_utc_iso"]
        shown = got.replace(microsecond=0).isoformat() if got else None
        if shown != want:
            failures.append((vector["input"], want, shown))
    assert failures == []


def test_every_miniflux_vector_parses_or_is_rejected_as_expected(corpora: Path) -> None:
    failures = []
    vectors = _load(corpora, "miniflux_date_vectors.json")
    assert len(vectors) == 56
    for vector in vectors:
        got = parse_date(vector["input"], "UTC")
        expect = vector["expect"]
        if expect == "error":
            ok = got is None
        elif expect == "exact":
            ok = got is not None and got.isoformat() == vector["utc_iso"]
        elif "out-of-range offset reset to UTC" in expect:
            ok = got == datetime(2023, 5, 29, tzinfo=UTC)
        else:
            ok = got is not None and got.tzinfo is UTC
        if not ok:
            failures.append((vector["input"], expect, got))
    assert failures == []


@pytest.mark.parametrize(
    ("text", "tz", "want"),
    [
        ("2024年01月15日 10:30", "Asia/Shanghai", "2024-01-15T02:30:00+00:00"),
        ("2024年1月5日", "Asia/Shanghai", "2024-01-04T16:00:00+00:00"),
        ("2024/01/16 08:00:00", "Asia/Shanghai", "2024-01-16T00:00:00+00:00"),
        ("2024-01-15 10:30:00", "Asia/Shanghai", "2024-01-15T02:30:00+00:00"),
        ("2021-06-17 10:30:00", "UTC", "2021-06-17T10:30:00+00:00"),
        ("Mon, 15 Jan 2024 10:30:00 CST", "Asia/Shanghai", "2024-01-15T02:30:00+00:00"),
        ("Mon, 15 Jan 2024 10:30:00 CST", "Asia/Hong_Kong", "2024-01-15T02:30:00+00:00"),
        ("Mon, 15 Jan 2024 10:30:00 CST", "America/Chicago", "2024-01-15T16:30:00+00:00"),
        ("Mon, 15 Jan 2024 10:30:00 CST", "UTC", "2024-01-15T16:30:00+00:00"),
        ("Mon, 15 Jan 2024 10:30:00 +0800", "UTC", "2024-01-15T02:30:00+00:00"),
        ("Mon, 15 Jan 2024 10:30:00 +08:00", "UTC", "2024-01-15T02:30:00+00:00"),
        ("15 Jan 24 10:30 PDT", "UTC", "2024-01-15T17:30:00+00:00"),
        ("Mon, 15 Jan 2024 10:30:00 Z", "UTC", "2024-01-15T10:30:00+00:00"),
        ("Mon, 15 Jan 2024 10:30:00 UT", "UTC", "2024-01-15T10:30:00+00:00"),
        ("2024-01-15T10:30Z", "UTC", "2024-01-15T10:30:00+00:00"),
        ("2024-01-15", "Asia/Shanghai", "2024-01-14T16:00:00+00:00"),
        ("2018-12-31T15:59:50.000Z", "Asia/Shanghai", "2018-12-31T15:59:50+00:00"),
        ("1705285800", "Asia/Shanghai", "2024-01-15T02:30:00+00:00"),
        ("1705285800000", "UTC", "2024-01-15T02:30:00+00:00"),
    ],
)
def test_real_world_date_shapes_give_the_right_instant(text: str, tz: str, want: str) -> None:
    got = parse_date(text, tz)
    assert got is not None
    assert got.isoformat() == want


@pytest.mark.parametrize(
    "text",
    [None, "", "   ", "Invalid Date", "NaN", "undefined", "null", "昨天", "2024-13-45", "abc 2024"],
)
def test_missing_or_garbage_dates_are_none(text: str | None) -> None:
    assert parse_date(text, "Asia/Shanghai") is None


def test_an_unknown_timezone_setting_falls_back_to_utc() -> None:
    assert parse_date("2024-01-15 10:30:00", "Not/AZone") == datetime(
        2024, 1, 15, 10, 30, tzinfo=UTC
    )


def test_json_numbers_are_unix_timestamps() -> None:
    want = datetime(2024, 1, 15, 2, 30, tzinfo=UTC)
    assert parse_timestamp(1705285800) == want
    assert parse_timestamp(1705285800.0) == want
    assert parse_timestamp(1705285800000) == want
    assert parse_timestamp("1705285800") == want
    assert parse_timestamp(None) is None
    assert parse_timestamp(True) is None
    assert parse_timestamp(float("nan")) is None
    assert parse_timestamp(1e300) is None


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Mon, 15 Jan 2024 10:30:00 +1400", "2024-01-14T20:30:00+00:00"),
        ("Mon, 15 Jan 2024 10:30:00 -1200", "2024-01-15T22:30:00+00:00"),
        ("Mon,15 Jan 2024 10:30:00 +0530", "2024-01-15T05:00:00+00:00"),
        ("Mon, 15 Jan 2024 10:30:00 -0000", "2024-01-15T10:30:00+00:00"),
        ("Mon, 15 Jan 2024 10:30:60 +0800", "2024-01-15T02:30:59+00:00"),
        # No zone on Earth is this far off: the clock is read as UTC (as miniflux does).
        ("Mon, 15 Jan 2024 10:30:00 +1401", "2024-01-15T10:30:00+00:00"),
        ("Mon, 15 Jan 2024 10:30:00 -1201", "2024-01-15T10:30:00+00:00"),
        ("Mon, 15 Jan 2024 10:30:00 +2359", "2024-01-15T10:30:00+00:00"),
        ("Mon, 15 Jan 2024 10:30:00 +0860", None),
        ("Mon, 15 Jan 2024 10:30:00 +2400", None),
        ("Fri, 31 Dec 9999 23:00:00 -0500", None),  # past year 9999 in UTC
        ("Mon, 01 Jan 0001 00:30:00 +0100", None),  # before year 1 in UTC
        ("Mon, 30 Feb 2024 10:30:00 +0800", None),
        ("Mon, 15 Jan 2024 24:30:00 +0800", None),
    ],
)
def test_rfc_822_offsets_shift_to_the_exact_utc_instant(text: str, want: str | None) -> None:
    for _ in range(2):  # the second reading uses the remembered offset
        got = parse_date(text, "Asia/Shanghai")
        assert (got.isoformat() if got else None) == want
        assert got is None or got.tzinfo is UTC
