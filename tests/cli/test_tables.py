"""Tables in any width: every word whole, as a table while the longest words fit side by side, else one block
per row. Never "pain-c…" for two different steps."""

import io
import random
import re

import pytest
from rich.console import Console
from rich.text import Text

from outreach.cli.tables import Column, print_table

COLUMNS = [Column("campaign"), Column("step"), Column("held out clients", numeric=True), Column("reason")]
ROWS = [
    ["education", "pain-cycle", "12", "Deferred: quiet hours in the client's time zone"],
    ["education", "pain-checkin", "3", "-"],
    ["rebook", "lapsed-checkin", "0", "Stream turned off: rebook by sms"],
]


def _printed(width: int, rows=ROWS, columns=COLUMNS) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    print_table(console, "Per campaign and step", columns, [[Text(cell) for cell in row] for row in rows])
    return console.file.getvalue()


def _words(rows) -> set[str]:
    return {word for row in rows for cell in row for word in cell.split()}


@pytest.mark.parametrize("width", [40, 60, 80, 100, 200])
def test_every_word_is_printed_whole_at_any_width(width):
    printed = _printed(width)

    tokens = set(printed.replace("│", " ").replace("┃", " ").split())
    assert _words(ROWS) <= tokens
    assert "…" not in printed
    assert max(len(line.rstrip()) for line in printed.splitlines()) <= width


def test_a_table_that_fits_is_drawn_as_one():
    printed = _printed(200)

    assert re.search(
        r"^│ education │ pain-cycle +│ +12 │ Deferred: quiet hours in the client's time zone │$", printed, re.M
    )
    assert len([line for line in printed.splitlines() if "│" in line]) == len(ROWS)


def test_too_narrow_for_the_longest_words_each_row_is_a_block_of_fields():
    printed = _printed(40)

    assert "│" not in printed
    assert "  step              pain-checkin\n" in printed
    assert printed.count("  campaign          ") == len(ROWS)


def test_random_tables_keep_every_word_whole():
    chance = random.Random(31)
    words = ["pain-cycle", "pain-checkin", "a", "lapsed-checkin", "Spanish", "1 (126) / 2 (128) UCS-2", "$16.60"]
    for _ in range(60):
        columns = [Column(f"column {i}", numeric=chance.random() < 0.3) for i in range(chance.randint(1, 9))]
        rows = [[" ".join(chance.sample(words, chance.randint(1, 3))) for _ in columns] for _ in range(3)]
        width = chance.randint(30, 220)

        printed = _printed(width, rows, columns)

        tokens = set(printed.replace("│", " ").replace("┃", " ").split())
        assert _words(rows) <= tokens, (width, rows)
        assert "…" not in printed
