"""Long lists are rendered by workers in pieces (a month of 100,000 items sharing one date
must not leave one worker rendering it alone): pieces of any size build the golden site."""

from __future__ import annotations

from pathlib import Path

import pytest

from golden.regen import GOLDEN, golden_files
from golden.sample import sample_archive, sample_settings
from hotpress._site import build_site, parallel


def test_lists_cut_into_one_page_pieces_build_exactly_the_golden_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted: list[int] = []
    submit = parallel.SitePool._submit_lists

    def counted(self: parallel.SitePool, jobs: list[parallel.PageJob], *args: object) -> None:
        submitted.append(len(jobs))
        submit(self, jobs, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "LIST_PIECE", 1)
    monkeypatch.setattr(parallel, "LIST_CHUNK", 1)
    monkeypatch.setattr(parallel.SitePool, "_submit_lists", counted)
    storage = sample_archive(tmp_path / "hotpress.db")
    try:
        report = build_site(sample_settings(tmp_path, workers=2), storage)
    finally:
        storage.close()
    assert report.error is None
    assert submitted and set(submitted) == {1}  # every list page a task of its own
    built, golden = golden_files(tmp_path / "public"), golden_files(GOLDEN)
    assert sorted(built) == sorted(golden)
    assert [rel for rel, data in built.items() if data != golden[rel]] == []
