"""Every file of xml-attacks/ through the whole pipeline (config -> fetch -> parse -> normalize
-> archive -> Hexo posts): fast, small, no local file in any output, no network request, and
either safe items or a clear error for that source."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import pytest

PROBE = Path(__file__).resolve().parent / "conformance" / "xml_attack_probe.py"
# Where the samples' DTDs and entities point (xml-attacks/summary.md); the test copies the
# corpus with this replaced by a free port its listener holds, so it never depends on 8765.
SAMPLE_HOST = b"127.0.0.1:8765"
TMP_CANARY = "TMP-CANARY-c41b7e0d"


class _Counting(http.server.SimpleHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Listener:
    hits: list[str]
    attacks: Path
    """The corpus's xml-attacks folder, copied with its URLs pointed at this listener."""


@pytest.fixture
def listener(corpora: Path, tmp_path: Path) -> Iterator[Listener]:
    """A real server where the samples point, serving their DTDs: any request is a hit."""
    _Counting.hits = []
    attacks = tmp_path / "xml-attacks"
    handler = partial(_Counting, directory=str(attacks / "www"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    here = b"127.0.0.1:%d" % server.server_address[1]
    pointed = 0
    for source in sorted((corpora / "xml-attacks").rglob("*")):
        target = attacks / source.relative_to(corpora / "xml-attacks")
        if source.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        data = source.read_bytes()
        pointed += SAMPLE_HOST in data
        target.write_bytes(data.replace(SAMPLE_HOST, here))
    assert pointed >= 5  # samples and the DTD they load now aim at this listener
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Listener(_Counting.hits, attacks)
    finally:
        server.shutdown()
        server.server_close()


def _variants(corpora: Path, tmp: Path) -> list[Path]:
    """The local-file attacks aimed at a file whose content we can recognise."""
    secret = tmp / "secret.txt"
    secret.write_text(TMP_CANARY, encoding="utf-8")
    samples = corpora / "xml-attacks" / "samples"
    made = []
    for name in ("xxe_local_file.rss", "xinclude_local_file.rss"):
        text = (samples / name).read_text(encoding="utf-8")
        target = tmp / f"tmp_{name}"
        target.write_text(text.replace("file:///etc/hostname", secret.as_uri()), "utf-8")
        made.append(target)
    return made


def test_every_xml_attack_is_fast_small_leak_free_and_offline(
    corpora: Path, tmp_path: Path, listener: Listener
) -> None:
    attacks = listener.attacks
    files = sorted(p for p in attacks.rglob("*") if p.is_file()) + _variants(corpora, tmp_path)
    canary = (attacks / "canary" / "secret.txt").read_text(encoding="utf-8").strip()
    passwd = Path("/etc/passwd").read_text(encoding="utf-8").splitlines()[0]
    canaries = [canary, passwd, TMP_CANARY]
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    done = subprocess.run(
        [sys.executable, str(PROBE), str(tmp_path / "work"), *canaries, "--", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == len(files) >= 30
    problems = []
    for r in results:
        name = Path(r["file"]).name
        if "crash" in r:
            problems.append(f"{name}: {r['crash']}")
            continue
        if r["seconds"] >= 2 or r["max_rss_mb"] >= 200:
            problems.append(f"{name}: {r['seconds']:.2f} s, {r['max_rss_mb']:.0f} MB")
        if r["leaked"] or r["network"]:
            problems.append(f"{name}: leaked {r['leaked']}, network {r['network']}")
        safe_items = r["items"] > 0 and r["error"] is None and r["posts"] == r["items"]
        clear_error = r["items"] == 0 and bool(r["error"])
        if not (safe_items or clear_error):
            problems.append(f"{name}: items {r['items']}, error {r['error']!r}")
    print(f"\n{len(results)} files; slowest {max(r['seconds'] for r in results):.2f} s;")
    print(f"peak RSS {max(r['max_rss_mb'] for r in results):.0f} MB; hits {listener.hits}")
    assert problems == []
    assert listener.hits == []
    by_name = {Path(r["file"]).name: r for r in results}
    # The shapes that must be refused, and the ones whose item must survive intact.
    for bomb in ("billion_laughs.rss", "billion_laughs_utf16.rss", "quadratic_blowup.rss"):
        assert "entity expansion" in by_name[bomb]["error"]
    assert by_name["internal_entity_benign.rss"]["titles"] == ["ACME Corp"]
    assert by_name["html_entities_undeclared.rss"]["titles"] == ["café — …"]
