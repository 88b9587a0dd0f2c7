from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from hotpress import cli
from hotpress._progress_rich import RichProgress


def test_rich_progress_shows_counts_and_failures_on_a_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    with RichProgress(console) as bars:
        bars.begin("sources", 3)
        bars.advance("sources")
        bars.advance("sources", failed=True)
        bars.advance("sources")
        bars.begin("items", None)
        bars.advance("items", 42)
        bars.end("sources")
        bars.end("items")
    text = out.getvalue()
    assert "fetching sources" in text
    assert "3/3" in text
    assert "1 failed" in text
    assert "items stored" in text and "42" in text


def test_no_progress_bars_when_output_is_not_a_terminal(tmp_path: Path, capsys: object) -> None:
    feed = tmp_path / "f.xml"
    feed.write_text(
        '<rss version="2.0"><channel><title>t</title><item><title>一</title>'
        "<guid>1</guid></item></channel></rss>",
        encoding="utf-8",
    )
    config = tmp_path / "hotpress.yml"
    config.write_text("sources:\n  - category: [a]\n    url: f.xml\n", encoding="utf-8")
    assert cli.main(["run", "-c", str(config)]) == 0
    captured = capsys.readouterr()  # type: ignore[attr-defined]
    assert "fetching sources" not in captured.err
    assert "sources: 1 ok, 0 failed; items: 1 new" in captured.out
