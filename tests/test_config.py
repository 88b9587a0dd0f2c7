from __future__ import annotations

from pathlib import Path

import pytest

from hotpress.config import load_settings, parse_settings
from hotpress.exceptions import ConfigError

GOOD = """\
rsshub: https://rsshub.example.com/
database: data/hot.db
timezone: Asia/Shanghai
output:
  hexo: blog/source/_posts
sources:
  - category: [社交媒体, 知乎, 知乎热榜]
    route: /zhihu/hot
  - category: [编程, 开源中国, 资讯]
    url: https://www.oschina.net/news/rss
    author: 开源中国
    timezone: Europe/Berlin
  - category: [本地]
    url: feeds/local.xml
    rsshub: https://other.example.com
"""


def test_a_good_config_resolves_routes_paths_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "hotpress.yml"
    settings = parse_settings(GOOD.replace("    rsshub: https://other.example.com\n", ""), path)
    zhihu, oschina, local = settings.sources
    assert zhihu.url == "https://rsshub.example.com/zhihu/hot"
    assert zhihu.key == "/zhihu/hot"
    assert zhihu.author == "知乎"
    assert zhihu.category == ("社交媒体", "知乎", "知乎热榜")
    assert zhihu.timezone == "Asia/Shanghai"
    assert oschina.author == "开源中国"
    assert oschina.timezone == "Europe/Berlin"
    assert local.url == str(tmp_path / "feeds" / "local.xml")
    assert local.author == "本地"
    assert settings.database == tmp_path / "data" / "hot.db"
    assert settings.hexo_dir == tmp_path / "blog" / "source" / "_posts"
    assert settings.site_dir is None


def test_a_per_source_rsshub_overrides_the_global_one(tmp_path: Path) -> None:
    text = "sources:\n  - category: [a, b]\n    route: zhihu/daily\n    rsshub: http://127.0.0.1:1200\n"
    (spec,) = parse_settings(text, tmp_path / "c.yml").sources
    assert spec.url == "http://127.0.0.1:1200/zhihu/daily"


def test_an_empty_file_gives_defaults(tmp_path: Path) -> None:
    settings = parse_settings("", tmp_path / "c.yml")
    assert settings.sources == ()
    assert settings.timezone == "Asia/Shanghai"


BAD = [
    ("yaml_syntax", "sources: [\n", 2, None, "YAML syntax error"),
    ("not_a_mapping", "- a\n- b\n", 1, None, "mapping"),
    (
        "unknown_key_top",
        "rsshub: https://x.org\ndatbase: x.db\n",
        2,
        "datbase",
        "did you mean 'database'",
    ),
    (
        "unknown_key_source",
        "sources:\n  - category: [a]\n    url: x.xml\n    autor: me\n",
        4,
        "sources[0].autor",
        "did you mean 'author'",
    ),
    ("unknown_output", "output:\n  hexxo: p\n", 2, "output.hexxo", "did you mean 'hexo'"),
    ("neither_route_nor_url", "sources:\n  - category: [a]\n", 2, "sources[0]", "exactly one"),
    (
        "both_route_and_url",
        "sources:\n  - category: [a]\n    route: /x\n    url: http://y\n",
        2,
        "sources[0]",
        "exactly one",
    ),
    (
        "duplicate_source",
        "sources:\n  - category: [a]\n    route: /x\n  - category: [b]\n    route: /x\n",
        4,
        "sources[1]",
        "duplicate source",
    ),
    (
        "empty_level",
        "sources:\n  - category: [a, '']\n    route: /x\n",
        2,
        "sources[0].category",
        "empty",
    ),
    (
        "dotdot_level",
        "sources:\n  - category: [a, ..]\n    route: /x\n",
        2,
        "sources[0].category",
        "'..'",
    ),
    (
        "dot_level",
        "sources:\n  - category: ['.']\n    route: /x\n",
        2,
        "sources[0].category",
        "'.'",
    ),
    ("no_category", "sources:\n  - route: /x\n", 2, "sources[0].category", "missing"),
    (
        "category_wrong_type",
        "sources:\n  - category: 5\n    route: /x\n",
        2,
        "sources[0].category",
        "list",
    ),
    ("bad_timezone", "timezone: Mars/Olympus\n", 1, "timezone", "unknown timezone"),
    ("bad_rsshub", "rsshub: ftp://x\n", 1, "rsshub", "http(s) URL"),
    ("duplicate_key", "database: a.db\ndatabase: b.db\n", 2, "database", "duplicate key"),
    ("sources_not_list", "sources: {a: 1}\n", 1, "sources", "list"),
    ("interval_negative", "interval: -5\n", 1, "interval", "greater than or equal"),
    (
        "source_bad_timezone",
        "sources:\n  - category: [a]\n    route: /x\n    timezone: Nowhere\n",
        4,
        "sources[0].timezone",
        "unknown timezone",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_a_bad_config_names_file_line_and_key(
    tmp_path: Path, text: str, line: int, key: str | None, words: str
) -> None:
    path = tmp_path / "hotpress.yml"
    with pytest.raises(ConfigError) as info:
        parse_settings(text, path)
    err = info.value
    assert err.path == str(path)
    assert err.line == line
    assert err.key == key
    assert words in str(err)
    assert str(err).startswith(f"{path}:{line}: ")


def test_a_missing_config_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="hotpress init"):
        load_settings(tmp_path / "nope.yml")
