"""feedparser's 2,106 test feeds through the real pipeline: never a crash or a hang, and every
applicable expectation agreed with or listed with the reason hotpress differs."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.feedparser_differences import DIFFERENCES
from conformance.feedparser_harness import PER_FILE_SECONDS, Outcome, applicable_paths, run, table


@pytest.fixture(scope="module")
def outcomes(corpora: Path) -> list[Outcome]:
    return run(corpora / "feedparser-tests")


def test_every_feedparser_file_runs_without_crash_or_hang(outcomes: list[Outcome]) -> None:
    assert len(outcomes) == 2106
    assert [o for o in outcomes if o.verdict == "crash"] == []
    assert [o.path for o in outcomes if o.seconds > PER_FILE_SECONDS] == []


def test_every_applicable_expectation_agrees_or_is_a_listed_difference(
    outcomes: list[Outcome],
) -> None:
    print("\n" + table(outcomes, DIFFERENCES))
    unlisted = [
        f"{o.path}: {o.detail}"
        for o in outcomes
        if o.verdict == "disagree" and o.path not in DIFFERENCES
    ]
    assert unlisted == []
    applicable = [o for o in outcomes if o.verdict in ("agree", "disagree")]
    agreed = sum(o.verdict == "agree" for o in applicable)
    # Most applicable cases agree outright; the listed differences are the rest.
    assert len(applicable) > 1200
    assert agreed / len(applicable) > 0.9


def test_the_list_of_differences_holds_no_stale_entry(outcomes: list[Outcome]) -> None:
    disagreeing = {o.path for o in outcomes if o.verdict == "disagree"}
    assert sorted(set(DIFFERENCES) - disagreeing) == []
    assert all(len(reason) > 40 for reason in DIFFERENCES.values())


@pytest.mark.parametrize(
    ("expect", "applicable"),
    [
        ("not bozo and entries[0]['title'] == 'x'", True),
        ("bozo and encoding == 'big5'", True),
        ("entries[0]['content'][0]['value'] == 'x'", True),
        ("not bozo and entries[0].get('where') == {}", False),
        ("not bozo and feed['tagline'] == 'x'", False),
        ("entries[0]['title_detail']['type'] == 'text/html'", False),
        ("not bozo and len(entries[0].tags) == 2", False),
        ("bozo", False),
        ("1", False),
    ],
)
def test_an_expectation_is_applicable_only_when_every_key_it_reads_is_kept(
    expect: str, applicable: bool
) -> None:
    assert applicable_paths(expect)[2] is applicable
