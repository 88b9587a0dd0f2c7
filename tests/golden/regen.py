"""Regenerate the golden site: ``python -m tests.golden.regen`` from the repository root.

Builds the sample archive (tests/golden/sample.py) into tests/golden/site/, without the
search index (tested on its own in tests/test_site_search.py). Review the diff before
committing it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hotpress._site import build_site

from .sample import sample_archive, sample_settings

GOLDEN = Path(__file__).resolve().parent / "site"


def build_sample(folder: Path) -> Path:
    storage = sample_archive(folder / "hotpress.db")
    try:
        report = build_site(sample_settings(folder), storage)
    finally:
        storage.close()
    if report.error:
        raise SystemExit(report.error)
    return folder / "public"


def golden_files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.relative_to(root).as_posix().startswith("search-index/")
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        built = golden_files(build_sample(Path(scratch)))
    shutil.rmtree(GOLDEN, ignore_errors=True)
    for rel, data in built.items():
        target = GOLDEN / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    print(f"wrote {len(built)} files to {GOLDEN}")


if __name__ == "__main__":
    main()
