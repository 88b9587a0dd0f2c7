"""Plain tables for the terminal and for pipes: one row a line, never a wrapped cell.

Off a terminal (``width=None``) every column is printed at its full width, so each row stays
one line that ``grep``, ``cut`` and a person can read. On a terminal the table fits the width:
the columns that may shrink are cut with ``…``, and when that is not enough the least
important columns are left out (and named in a note), instead of wrapping every cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.text import Text

GAP = "  "
KEEP = 4
"""Columns ranked above this are left out before any column is cut."""
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    rank: int = 0
    """On a narrow terminal the highest rank is left out first; 0 always stays."""
    shrink: int = 0
    """Narrowest width this column may be cut to; 0: never cut."""


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    style: str = ""


@dataclass(frozen=True, slots=True)
class Layout:
    lines: list[Text]
    hidden: list[str]


def _cut(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(width - 1, 0)) + ELLIPSIS


def _clean(text: str) -> str:
    # A cell is one line whatever it holds (an error text may carry newlines or tabs).
    return " ".join(text.split())


def layout(
    columns: Sequence[Column], rows: Sequence[Sequence[Cell | str]], width: int | None
) -> Layout:
    cells = [[c if isinstance(c, Cell) else Cell(c) for c in row] for row in rows]
    cells = [[Cell(_clean(c.text), c.style) for c in row] for row in cells]
    full = [
        max([cell_len(col.name), *(cell_len(row[i].text) for row in cells)])
        for i, col in enumerate(columns)
    ]
    shown = list(range(len(columns)))
    widths = list(full)
    if width is not None:

        def narrowest(keep: list[int]) -> int:
            parts = [
                min(full[i], max(columns[i].shrink, cell_len(columns[i].name)))
                if columns[i].shrink
                else full[i]
                for i in keep
            ]
            return sum(parts) + len(GAP) * (len(keep) - 1)

        def natural(keep: list[int]) -> int:
            return sum(full[i] for i in keep) + len(GAP) * (len(keep) - 1)

        # Leave out the less important columns rather than cut the important ones...
        while natural(shown) > width and max(columns[i].rank for i in shown) > KEEP:
            shown.remove(max(shown, key=lambda i: (columns[i].rank, i)))
        # ... and when cutting is not enough, more of them.
        while len(shown) > 1 and narrowest(shown) > width:
            drop = max(shown, key=lambda i: (columns[i].rank, i))
            if columns[drop].rank == 0:
                break
            shown.remove(drop)
        spare = width - sum(full[i] for i in shown) - len(GAP) * (len(shown) - 1)
        if spare < 0:
            # Cut the shrinkable columns, the widest first, down to their narrowest.
            for i in sorted(
                (i for i in shown if columns[i].shrink), key=lambda i: full[i], reverse=True
            ):
                floor = min(full[i], max(columns[i].shrink, cell_len(columns[i].name)))
                give = min(full[i] - floor, -spare)
                widths[i] = full[i] - give
                spare += give
                if spare >= 0:
                    break
    lines = []
    for row in [[Cell(col.name, "bold") for col in columns], *cells]:
        line = Text()
        last = shown[-1]
        for i in shown:
            text = _cut(row[i].text, widths[i])
            line.append(text, style=row[i].style or None)
            if i != last:
                line.append(" " * (widths[i] - cell_len(text)) + GAP)
        line.rstrip()
        lines.append(line)
    hidden = [columns[i].name for i in range(len(columns)) if i not in shown]
    return Layout(lines, hidden)


def print_table(
    out: Console,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell | str]],
) -> None:
    """Print a title line and the table: full width in a pipe, fitted on a terminal."""
    width = out.width if out.is_terminal else None
    result = layout(columns, rows, width)
    out.print(title, markup=False, highlight=False)
    for line in result.lines:
        out.print(line, highlight=False, no_wrap=True, crop=False, soft_wrap=True)
    if result.hidden:
        out.print(
            f"(not shown at {width} columns: {', '.join(result.hidden)}; --json shows all)",
            markup=False,
            highlight=False,
        )
