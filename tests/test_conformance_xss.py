"""How often hotpress's sanitizer output matches the expected output other sanitizers' test
suites give (a figure for docs/reliability.md, not a pass/fail: each project keeps a different
allow-list). The safety invariants over all ~1,150 inputs are in tests/test_sanitize.py."""

from __future__ import annotations

import collections
import json
from collections.abc import Iterator
from pathlib import Path

import lxml.html

from hotpress._normalize.sanitize import sanitize_html
from test_sanitize import _active_content

# Attributes hotpress adds to every link and image; a corpus's output without them is the
# same markup for this comparison.
_ADDED = (' rel="noopener noreferrer nofollow"', ' referrerpolicy="no-referrer"')


def _expected_pairs(corpora: Path) -> Iterator[tuple[str, str, list[str], str | None]]:
    """(corpus, input, acceptable outputs, base URL) for every case that has an expected
    output under its sanitizer's default policy."""
    xss = corpora / "xss"
    for case in json.loads((xss / "html5lib" / "sanitizer-tests1.json").read_text("utf-8")):
        yield "html5lib", case["input"], [case["output"]], None
    ammonia = json.loads((xss / "ammonia" / "ammonia_unit_tests.json").read_text("utf-8"))
    for case in ammonia["tests"]:
        if case["default_policy"] and case["fragment"] is not None and case["expected"]:
            yield "ammonia", case["fragment"], [case["expected"]], None
    miniflux = json.loads((xss / "miniflux" / "sanitizer_cases.json").read_text("utf-8"))
    for case in miniflux["cases"]:
        yield "miniflux", case["input"], [case["expected"]], case.get("base_url")
    for case in json.loads((xss / "dompurify" / "expect.json").read_text("utf-8")):
        expected = case["expected"]
        yield (
            "dompurify",
            case["payload"],
            expected if isinstance(expected, list) else [expected],
            None,
        )
    bleach = json.loads((xss / "bleach" / "test_clean_params.json").read_text("utf-8"))
    for case in bleach["cases"]:
        if (
            not case.get("kwargs")
            and isinstance(case.get("data"), str)
            and isinstance(case.get("expected"), str)
        ):
            yield "bleach", case["data"], [case["expected"]], None
    for path in sorted((xss / "bleach" / "data").glob("*.test")):
        raw, _, expected = path.read_text("utf-8").partition("\n--\n")
        yield "bleach", raw, [expected.rstrip("\n")], None
    pairs = corpora / "feedparser-tests-derived" / "sanitize_pairs.jsonl"
    for line in pairs.read_text("utf-8").splitlines():
        case = json.loads(line)
        yield "feedparser", case["raw_html"], [case["expected_by_test"]], None


def _text(html: str) -> str:
    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    return " ".join(root.text_content().split())


def _verdict(ours: str, expected: list[str]) -> str:
    bare = ours
    for attribute in _ADDED:
        bare = bare.replace(attribute, "")
    if ours in expected or bare in expected:
        return "exact"
    if any(sanitize_html(e) == ours for e in expected):
        return "same after hotpress's policy"
    if any(_text(e) == _text(ours) for e in expected):
        return "same text"
    return "different"


def test_match_rate_with_other_sanitizers_expected_outputs(corpora: Path) -> None:
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    unsafe: list[str] = []
    for corpus, raw, expected, base in _expected_pairs(corpora):
        ours = sanitize_html(raw, base)
        if _active_content(ours) or sanitize_html(ours, base) != ours:
            unsafe.append(f"{corpus}: {raw[:80]!r}")
        counts[corpus][_verdict(ours, expected)] += 1
    kinds = ("exact", "same after hotpress's policy", "same text", "different")
    print("\n| corpus | cases | " + " | ".join(kinds) + " |")
    total: collections.Counter[str] = collections.Counter()
    for corpus, c in sorted(counts.items()):
        total.update(c)
        print(f"| {corpus} | {sum(c.values())} | " + " | ".join(str(c[k]) for k in kinds) + " |")
    print(f"| total | {sum(total.values())} | " + " | ".join(str(total[k]) for k in kinds) + " |")
    assert unsafe == []
    assert sum(total.values()) > 1000
    # A report, not a target; the floor only catches a harness that stopped comparing.
    assert total["exact"] + total["same after hotpress's policy"] > 0.3 * sum(total.values())
