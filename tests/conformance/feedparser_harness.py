"""Run feedparser's 2,106 test feeds through hotpress and judge each ``Expect:`` expression.

Every file goes through the real pipeline (``parse_feed`` with the Content-Type its index row
declares, then ``normalize_entry``: relative URLs resolved, HTML sanitized as hotpress stores
it). Each expectation is then classified by the result keys it reads:

- *not applicable* when it reads anything hotpress does not keep (feed metadata such as
  ``tagline`` or ``language``, namespaces, enclosures, licences, ``bozo`` alone, HTTP results);
- otherwise it is evaluated against a dict shaped like feedparser's result and built from
  hotpress's output, and the file *agrees* or *disagrees*.

Comparisons follow what hotpress keeps: titles are plain text (feedparser's HTML title equals
ours when its visible text does); bodies are sanitized HTML (feedparser's value equals ours
when hotpress's sanitizer turns it into ours, so a relative URL still counts as different);
encodings compare by codec, not by label spelling.

Run it alone for the per-folder table: ``python tests/conformance/feedparser_harness.py``.
"""

from __future__ import annotations

import ast
import codecs
import collections
import faulthandler
import json
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotpress._normalize import normalize_entry
from hotpress._normalize.sanitize import sanitize_html
from hotpress._parse import parse_feed
from hotpress._parse.text import html_to_text
from hotpress.exceptions import ParseError
from hotpress.types import ParsedEntry, ParsedFeed, SourceSpec

__all__ = ["Outcome", "applicable_paths", "judge", "load_index", "run", "table"]

# feedparser's own test server address: its expectations spell absolute URLs with it.
SERVER = "http://127.0.0.1:8097/"
PER_FILE_SECONDS = 2.0
_WATCHDOG_SECONDS = 60.0  # a file that hangs in C code kills the run with a traceback

# The result keys hotpress keeps, as access paths ("[]" is any list index).
_E = ("entries", "[]")
KEPT: frozenset[tuple[str, ...]] = frozenset(
    {
        ("entries",),
        (*_E, "title"),
        (*_E, "title_detail", "value"),
        (*_E, "link"),
        (*_E, "id"),
        (*_E, "guid"),
        (*_E, "summary"),
        (*_E, "description"),
        (*_E, "summary_detail", "value"),
        (*_E, "content", "[]", "value"),
        (*_E, "published_parsed"),
        (*_E, "issued_parsed"),
        (*_E, "updated_parsed"),
        (*_E, "modified_parsed"),
        # The feed's title and link are ParsedFeed fields: same text and link code paths as
        # entries, and the link is the fallback base of relative URLs.
        ("feed", "title"),
        ("feed", "title_detail", "value"),
        ("feed", "link"),
        ("encoding",),
    }
)
_RESULT_NAMES = frozenset(
    {"entries", "feed", "encoding", "bozo", "bozo_exception", "version", "headers"}
    | {"etag", "modified", "modified_parsed", "namespaces", "href", "status"}
)
_HELPERS = {"len": len, "ord": ord}
_SPEC = SourceSpec(key="feedparser-tests", category=("t",), url=SERVER, author="t", timezone="UTC")


@dataclass(frozen=True, slots=True)
class Outcome:
    path: str
    verdict: str
    """``agree``, ``disagree``, ``n/a`` (expectation about something hotpress does not keep)
    or ``crash`` (an exception other than ParseError: a hotpress bug)."""
    detail: str
    seconds: float

    @property
    def folder(self) -> str:
        return self.path.rpartition("/")[0]


# --- which keys an expectation reads --------------------------------------------------------


class _DropBozo(ast.NodeTransformer):
    """``bozo`` is feedparser's "ill-formed" flag: hotpress has none, so it always holds."""

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        if isinstance(node.op, ast.Not) and _is_name(node.operand, "bozo"):
            return ast.copy_location(ast.Constant(True), node)
        return self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.copy_location(ast.Constant(True), node) if node.id == "bozo" else node


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _chain(node: ast.AST) -> tuple[list[str], list[ast.AST]] | None:
    """The access path of ``entries[0]['title']`` / ``feed.get('x')`` and the inner
    expressions (indices, default arguments) still to be visited."""
    keys: list[str] = []
    inner: list[ast.AST] = []
    while True:
        if isinstance(node, ast.Name):
            return [node.id, *reversed(keys)], inner
        if isinstance(node, ast.Subscript):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                keys.append(key.value)
            elif isinstance(key, ast.Constant) and isinstance(key.value, int):
                keys.append("[]")
            else:
                keys.append("?")
                inner.append(key)
            node = node.value
        elif isinstance(node, ast.Attribute):
            keys.append(node.attr)
            node = node.value
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            keys.append(str(node.args[0].value))
            inner.extend(node.args[1:])
            node = node.func.value
        else:
            return None


def _paths(node: ast.AST, found: set[tuple[str, ...]]) -> None:
    chain = _chain(node) if isinstance(node, ast.Subscript | ast.Attribute | ast.Call) else None
    if chain is not None and chain[0][0] in _RESULT_NAMES:
        found.add(tuple(chain[0]))
        for sub in chain[1]:
            _paths(sub, found)
        return
    if isinstance(node, ast.Name):
        if node.id not in _HELPERS:
            found.add((node.id,))
        return
    for child in ast.iter_child_nodes(node):
        _paths(child, found)


def applicable_paths(expect: str) -> tuple[ast.Expression, set[tuple[str, ...]], bool]:
    """The expectation without ``bozo``, the key paths it reads, whether all are kept."""
    tree = _DropBozo().visit(ast.parse(expect.strip(), mode="eval"))
    ast.fix_missing_locations(tree)
    assert isinstance(tree, ast.Expression)
    found: set[tuple[str, ...]] = set()
    _paths(tree, found)
    return tree, found, bool(found) and found <= KEPT


# --- hotpress's output shaped like feedparser's ---------------------------------------------


class _Dict(dict[str, Any]):
    """feedparser's FeedParserDict: keys readable as attributes too."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as err:
            raise AttributeError(name) from err


class _Text(str):
    """A plain-text title: equal to feedparser's when equal as text or as rendered HTML."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, str):
            return False
        return str.__eq__(self, other) or str.__eq__(self, html_to_text(other))

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__


class _Html(str):
    """Sanitized HTML: equal to feedparser's value when hotpress's sanitizer makes ours of it
    (no base URL: a URL feedparser left relative still differs from our absolute one), leading
    and trailing whitespace aside."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, str):
            return False
        # Whitespace around a body is not content: feedparser strips it, hotpress keeps it.
        ours = self.strip()
        return ours == other.strip() or ours == sanitize_html(other).strip()

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__


class _Codec(str):
    """An encoding label: equal to another naming the same codec (``Big5`` == ``big5``)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, str):
            return False
        return _codec(self) == _codec(other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__


def _codec(label: str) -> str:
    try:
        return codecs.lookup(label).name
    except LookupError:
        return label.lower()


def _entry(entry: ParsedEntry, feed: ParsedFeed) -> _Dict:
    item = normalize_entry(_SPEC, entry, feed.link)
    base = entry.base or entry.link or feed.link
    summary = sanitize_html(entry.summary, base) if entry.summary else item.content
    out = _Dict(
        title=_Text(item.title),
        title_detail=_Dict(value=_Text(item.title)),
        link=item.link,
        id=item.guid,
        guid=item.guid,
    )
    if entry.summary or entry.content:  # kept even when nothing survives sanitizing
        out.update(
            summary=_Html(summary),
            description=_Html(summary),
            summary_detail=_Dict(value=_Html(summary)),
        )
    if entry.content:
        out["content"] = [_Dict(value=_Html(item.content))]
    if entry.published:
        out["published_parsed"] = out["issued_parsed"] = entry.published.utctimetuple()
    if entry.updated:
        out["updated_parsed"] = out["modified_parsed"] = entry.updated.utctimetuple()
    return out


def adapter(feed: ParsedFeed) -> dict[str, Any]:
    """The keys of feedparser's result that hotpress keeps, built from hotpress's output."""
    return {
        "entries": [_entry(e, feed) for e in feed.entries],
        "feed": _Dict(
            title=_Text(feed.title), title_detail=_Dict(value=_Text(feed.title)), link=feed.link
        ),
        "encoding": _Codec(feed.encoding or ""),
    }


# --- one file, all files --------------------------------------------------------------------


def load_index(corpus: Path) -> list[dict[str, Any]]:
    text = (corpus / "INDEX.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _content_type(row: dict[str, Any]) -> str | None:
    headers = {k.lower(): v for k, v in row["http_headers"].items()}
    value = headers.get("content-type")
    return value if isinstance(value, str) else None


def judge(corpus: Path, row: dict[str, Any]) -> Outcome:
    """Run one file through the pipeline and judge its expectation."""
    path: str = row["path"]
    data = (corpus / path).read_bytes()
    began = time.perf_counter()
    feed: ParsedFeed | None = None
    error = ""
    try:
        feed = parse_feed(data, url=SERVER + path, content_type=_content_type(row))
        namespace = adapter(feed)
    except ParseError as err:
        error = f"ParseError: {err.message}"
    except Exception as err:  # the point of the harness: anything else is a hotpress bug
        return Outcome(path, "crash", f"{type(err).__name__}: {err}", time.perf_counter() - began)
    seconds = time.perf_counter() - began
    tree, _, applicable = applicable_paths(row["expect"])
    if not applicable:
        return Outcome(path, "n/a", "", seconds)
    if feed is None:
        return Outcome(path, "disagree", error, seconds)
    code = compile(tree, path, "eval")
    try:
        agree = bool(eval(code, {"__builtins__": dict(_HELPERS)}, namespace))
    except (LookupError, AttributeError, TypeError) as err:
        return Outcome(path, "disagree", f"{type(err).__name__}: {err}", seconds)
    return Outcome(path, "agree" if agree else "disagree", _shown(namespace), seconds)


def _shown(namespace: dict[str, Any]) -> str:
    entries = namespace["entries"]
    first = {k: v for k, v in entries[0].items() if not k.endswith("_detail")} if entries else {}
    return repr({"feed": dict(namespace["feed"]), "entry0": first})[:600]


def run(corpus: Path, on_outcome: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    outcomes = []
    faulthandler.dump_traceback_later(_WATCHDOG_SECONDS, repeat=True, exit=True)
    try:
        for row in load_index(corpus):
            faulthandler.dump_traceback_later(_WATCHDOG_SECONDS, repeat=True, exit=True)
            outcome = judge(corpus, row)
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
    finally:
        faulthandler.cancel_dump_traceback_later()
    return outcomes


def table(outcomes: Iterable[Outcome], justified: Iterable[str] = ()) -> str:
    """The per-folder Markdown table: agree, justified disagreement, other disagreement, n/a."""
    allowed = set(justified)
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for o in outcomes:
        verdict = o.verdict
        if verdict == "disagree" and o.path in allowed:
            verdict = "justified"
        counts[o.folder][verdict] += 1
    columns = ("files", "agree", "justified", "disagree", "n/a", "crash")
    lines = ["| folder | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    total: collections.Counter[str] = collections.Counter()
    for folder in sorted(counts):
        c = counts[folder]
        c["files"] = sum(c.values())
        total.update(c)
        lines.append(f"| {folder} | " + " | ".join(str(c[k]) for k in columns) + " |")
    lines.append("| **total** | " + " | ".join(f"**{total[k]}**" for k in columns) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    here = Path(__file__).resolve()
    sys.path.insert(0, str(here.parent))
    from feedparser_differences import DIFFERENCES

    corpus = Path(argv[1]) if len(argv) > 1 else here.parents[3] / "shared/corpora/feedparser-tests"
    outcomes = run(corpus)
    print(table(outcomes, DIFFERENCES))
    unlisted = [o for o in outcomes if o.verdict == "disagree" and o.path not in DIFFERENCES]
    for o in unlisted:
        print(f"UNLISTED {o.path}: {o.detail}")
    crashes = [o for o in outcomes if o.verdict == "crash"]
    for o in crashes:
        print(f"CRASH {o.path}: {o.detail}")
    return 1 if unlisted or crashes else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
