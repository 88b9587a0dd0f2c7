"""``database:`` takes an SQLite file path or a ``postgresql://`` URL; an archive URL of
another scheme is refused, never made a file."""

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
        "mysql://hot:secret@localhost/hot",
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
    assert "known scheme (postgresql://, postgres://)" in str(err)
    assert "SQLite file" in str(err)
    assert "secret" not in str(err)
    # Nothing was created where the URL would have been taken as a path.
    assert list(tmp_path.iterdir()) == []


def test_postgresql_is_the_known_url_scheme() -> None:
    assert ARCHIVE_SCHEMES == ("postgresql", "postgres")


@pytest.mark.parametrize(
    "url", ["postgresql://hot:secret@db.example/hot", "postgres://localhost:5433/hot"]
)
def test_a_postgresql_url_names_a_server_archive_and_media_go_beside_the_config(
    tmp_path: Path, url: str
) -> None:
    settings = parse_settings(CONFIG.format(database=url), tmp_path / "hotpress.yml")
    assert settings.database == url
    assert settings.media_dir == tmp_path / "hotpress-media"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("database", ["hot.db", "data/hot.db", "C:/hot/db.sqlite", "a:b.db"])
def test_a_file_path_still_opens_an_sqlite_archive(tmp_path: Path, database: str) -> None:
    settings = parse_settings(CONFIG.format(database=database), tmp_path / "hotpress.yml")
    assert settings.database == tmp_path / database
