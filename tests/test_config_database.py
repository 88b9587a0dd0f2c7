"""``database:`` takes an SQLite file path; an archive URL is refused, never made a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotpress.config import ARCHIVE_SCHEMES, parse_settings
from hotpress.exceptions import ConfigError

CONFIG = """\
timezone: Asia/Shanghai
database: {database}
sources:
  - category: [本地]
    url: feeds/local.xml
"""


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://hot:secret@db.example/hot",
        "postgres://localhost/hot",
        "mysql://localhost/hot",
        "sqlite:///data/hot.db",
        "redis://localhost:6379/0",
    ],
)
def test_an_archive_url_is_refused_naming_the_known_schemes(tmp_path: Path, url: str) -> None:
    path = tmp_path / "hotpress.yml"
    with pytest.raises(ConfigError) as info:
        parse_settings(CONFIG.format(database=url), path)
    err = info.value
    assert err.key == "database"
    assert err.line == 2
    scheme = url.split("://", 1)[0]
    assert f"{scheme}://" in str(err)
    assert "known URL schemes" in str(err)
    assert "SQLite file" in str(err)
    assert "secret" not in str(err)
    # Nothing was created where the URL would have been taken as a path.
    assert list(tmp_path.iterdir()) == []


def test_no_url_scheme_is_known_yet() -> None:
    assert ARCHIVE_SCHEMES == ()


@pytest.mark.parametrize("database", ["hot.db", "data/hot.db", "C:/hot/db.sqlite", "a:b.db"])
def test_a_file_path_still_opens_an_sqlite_archive(tmp_path: Path, database: str) -> None:
    settings = parse_settings(CONFIG.format(database=database), tmp_path / "hotpress.yml")
    assert settings.database == tmp_path / database
