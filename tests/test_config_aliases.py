"""YAML aliases in the config: a "billion laughs" bomb, a recursive alias and absurd nesting
are config errors with the file and line, found before anything is built from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotpress import cli
from hotpress.config import parse_settings
from hotpress.exceptions import ConfigError

GOOD = "sources:\n  - category: [社交媒体, 知乎, 知乎热榜]\n    route: /zhihu/hot\n"


def bomb(levels: int, width: int = 9) -> str:
    """``levels`` anchors, each a list of ``width`` aliases of the one before, used as the
    sources: width**levels values once expanded."""
    lines = ["l0: &l0 [" + ", ".join(['"lol"'] * width) + "]"]
    for n in range(1, levels):
        lines.append(f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * width) + "]")
    lines.append(f"sources: *l{levels - 1}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [7, 9])
def test_an_alias_bomb_is_refused_with_its_line(tmp_path: Path, levels: int) -> None:
    with pytest.raises(ConfigError, match="alias") as caught:
        parse_settings(bomb(levels), tmp_path / "hotpress.yml")
    # 9**7 > 1,000,000: the anchor l6 (line 7) is the first value that grows too large.
    assert caught.value.line == 7
    assert caught.value.path == str(tmp_path / "hotpress.yml")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("sources: &a [*a]\n", 1),
        ("sources:\n  - category: &c [a, *c]\n    route: /x\n", 2),
        ("a: &m\n  b: *m\nsources: []\n", 1),
        ("sources:\n  - &s\n    category: [a]\n    more: [*s]\n", 3),
    ],
)
def test_a_recursive_alias_is_a_config_error_not_a_recursion_error(
    tmp_path: Path, text: str, line: int
) -> None:
    with pytest.raises(ConfigError, match="recursive alias") as caught:
        parse_settings(text, tmp_path / "hotpress.yml")
    assert caught.value.line is not None and caught.value.line <= line + 1


@pytest.mark.parametrize("depth", [201, 5000])
def test_absurd_nesting_is_a_config_error(tmp_path: Path, depth: int) -> None:
    text = GOOD + "extra: " + "[" * depth + "]" * depth + "\n"
    with pytest.raises(ConfigError, match="nested too deeply") as caught:
        parse_settings(text, tmp_path / "hotpress.yml")
    assert caught.value.line == 4


def test_aliases_within_reason_and_brackets_in_strings_still_load(tmp_path: Path) -> None:
    text = (
        "site:\n  title: '[[[[ ' # [[[[[\n  description: \"it's ]]] \\\" [[\"\n"
        "sources:\n"
        "  - category: &common [社交媒体, 知乎, 知乎热榜]\n    route: /zhihu/hot\n"
        "  - category: *common\n    route: /zhihu/daily\n"
    )
    text += "# " + "[" * 300 + "\n"
    settings = parse_settings(text, tmp_path / "hotpress.yml")
    assert [s.category for s in settings.sources] == [
        ("社交媒体", "知乎", "知乎热榜"),
        ("社交媒体", "知乎", "知乎热榜"),
    ]


def test_the_command_line_shows_the_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "hotpress.yml"
    config.write_text(bomb(9), encoding="utf-8")
    assert cli.main(["run", "-q", "-c", str(config)]) != 0
    err = capsys.readouterr().err
    assert f"{config}:7:" in err and "alias" in err and "Traceback" not in err
