"""Tables for a terminal of any width, and for a pipe: every word whole, never "pain-c…".

A table whose longest words fit side by side is drawn with its columns sized here (rich's own sizing cuts words
when it runs short of room); a table too wide for that prints one block per row instead, a field to a line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

PADDING = 2  # rich's default cell padding: one space either side


@dataclass(frozen=True)
class Column:
    name: str
    numeric: bool = False  # right-aligned in the table


def print_table(console: Console, title: str, columns: Sequence[Column], rows: Sequence[Sequence[Text]]) -> None:
    """Draw the table if every column can hold its longest word; else one block per row."""
    headers = [Text(column.name) for column in columns]
    sizes = [_measure(console, [header, *(row[i] for row in rows)]) for i, header in enumerate(headers)]
    borders = len(columns) + 1
    room = console.width - borders
    if sum(size.minimum for size in sizes) > room:
        console.print(_stacked(title, headers, rows))
        return
    table = Table(title=Text(title), title_justify="left")
    for column, width in zip(columns, _widths(sizes, room), strict=True):
        table.add_column(column.name, justify="right" if column.numeric else "left", width=width - PADDING)
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _measure(console: Console, cells: Sequence[Text]) -> Measurement:
    """A column's narrowest width (its longest word) and its natural one (its longest line), with padding."""
    found = [Measurement.get(console, console.options, cell) for cell in cells]
    return Measurement(max(m.minimum for m in found) + PADDING, max(m.maximum for m in found) + PADDING)


def _widths(sizes: Sequence[Measurement], room: int) -> list[int]:
    """Each column's narrowest width, and then what is left shared out: the columns that want least more get all
    they want first (a short header stays on one line), the rest split what remains evenly."""
    widths = [size.minimum for size in sizes]
    spare = room - sum(widths)
    wanting = sorted(range(len(sizes)), key=lambda i: sizes[i].maximum - sizes[i].minimum)
    for place, index in enumerate(wanting):
        given = min(sizes[index].maximum - sizes[index].minimum, spare // (len(wanting) - place))
        widths[index] += given
        spare -= given
    return widths


def _stacked(title: str, headers: Sequence[Text], rows: Sequence[Sequence[Text]]) -> Text:
    width = max(len(header) for header in headers)
    lines = [Text(title, style="bold")]
    for row in rows:
        lines.append(Text())
        lines.extend(
            Text("  ") + header + Text(" " * (width - len(header) + 2)) + cell
            for header, cell in zip(headers, row, strict=True)
        )
    return Text("\n").join(lines)
