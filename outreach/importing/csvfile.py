"""Read a CSV file into rows keyed by column name, reporting what is wrong with the file itself.

Line numbers are physical lines (the header is line 1), so a quoted field holding a line break still points
people at the right line. Reading stops at the first problem that makes the rest unreadable: bytes that are
not UTF-8, broken quoting, a row too large to be real.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Iterator, TypeVar

from outreach.importing.report import Problems

BOM = b"\xef\xbb\xbf"
# Bigger than any real row of these files; protects memory from an open quote swallowing the whole file.
MAX_ROW_BYTES = 64 * 1024
# Larger than any value the importers keep, so anything longer is a mistake worth naming.
MAX_FIELD_CHARS = 1000
PROGRESS_EVERY_ROWS = 2000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Progress = Callable[[str, int, int], None]
T = TypeVar("T")


@dataclass(frozen=True)
class Columns:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return self.required + self.optional


@dataclass
class Row:
    """One record; `take` parses a value, noting a problem (and returning None) when it is wrong."""

    line: int
    values: dict[str, str]
    problems: Problems
    ok: bool = True
    _bad: set[str] = field(default_factory=set)

    def has(self, column: str) -> bool:
        return column in self.values

    def take(self, column: str, parse: Callable[[str], T]) -> T | None:
        if column in self._bad:
            return None
        try:
            return parse(self.values.get(column, ""))
        except ValueError as exc:
            self.reject(column, str(exc))
            return None

    def failed(self, column: str) -> bool:
        return column in self._bad

    def reject(self, column: str, reason: str) -> None:
        self.problems.add(self.line, reason, column)
        self._bad.add(column)
        self.ok = False


class _Unreadable(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line, self.reason = line, reason


class _Lines:
    """Decoded physical lines for csv.reader, refusing non-UTF-8 bytes and rows that grow too large."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.number = 0
        self.bytes_read = 0
        self.row_start = 1
        self.row_bytes = 0

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        raw = self.stream.readline(MAX_ROW_BYTES + 1)
        if not raw:
            raise StopIteration
        self.number += 1
        self.bytes_read += len(raw)
        self.row_bytes += len(raw)
        if self.row_bytes > MAX_ROW_BYTES:
            raise _Unreadable(self.row_start, f"this row is longer than {MAX_ROW_BYTES // 1024} KiB "
                                              "(a quote left open, or not a CSV file?)")
        if self.number == 1:
            raw = _check_first_line(raw)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Unreadable(self.number, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at character "
                                           f"{exc.start + 1}); save the file as \"CSV UTF-8\"") from None

    def next_row(self) -> None:
        self.row_start = self.number + 1
        self.row_bytes = 0


def _check_first_line(raw: bytes) -> bytes:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Unreadable(1, "the file is UTF-16 text; save it as \"CSV UTF-8\"")
    if raw.startswith(b"PK\x03\x04"):
        raise _Unreadable(1, "this is a spreadsheet workbook, not CSV; save it as \"CSV UTF-8\"")
    return raw.removeprefix(BOM)


def read_rows(stream: BinaryIO, size: int, columns: Columns, problems: Problems,
              on_progress: Progress | None = None) -> Iterator[Row]:
    """Yield each non-blank data row. Problems with the file, the header or a row's shape go to `problems`."""
    lines = _Lines(stream)
    reader = csv.reader(lines, strict=True)
    try:
        header = _read_header(reader, lines, columns, problems)
        if header is None:
            return
        for count, record in enumerate(reader, start=1):
            line = lines.row_start
            lines.next_row()
            if on_progress and count % PROGRESS_EVERY_ROWS == 0:
                on_progress("reading", lines.bytes_read, size)
            if not any(value.strip() for value in record):
                continue
            if len(record) != len(header):
                problems.add(line, f"expected {len(header)} fields as in the header, found {len(record)}")
                continue
            yield _row(line, header, record, problems)
    except _Unreadable as exc:
        problems.add(exc.line, exc.reason)
    except csv.Error as exc:
        problems.add(lines.row_start, _describe_csv_error(exc))
    if on_progress:
        on_progress("reading", size, size)


def _read_header(reader: Iterator[list[str]], lines: _Lines, columns: Columns,
                 problems: Problems) -> list[str] | None:
    record = next(reader, None)
    lines.next_row()
    expected = ", ".join(columns.required)
    if record is None or not any(name.strip() for name in record):
        problems.add(1, f"the file is empty; expected a header row with {expected}")
        return None
    header = [name.strip().lower() for name in record]
    for position, name in enumerate(header, start=1):
        if not name:
            problems.add(1, f"column {position} has no name")
        elif name not in columns.all:
            problems.add(1, f"unknown column (expected {', '.join(columns.all)})", name)
        elif header.index(name) != position - 1:
            problems.add(1, "this column appears twice", name)
    for name in columns.required:
        if name not in header:
            problems.add(1, "required column is missing", name)
    return None if problems else header


def _row(line: int, header: list[str], record: list[str], problems: Problems) -> Row:
    row = Row(line, {name: value.strip() for name, value in zip(header, record)}, problems)
    for name, value in row.values.items():
        if len(value) > MAX_FIELD_CHARS:
            row.reject(name, f"{len(value)} characters; at most {MAX_FIELD_CHARS} are allowed")
        elif _CONTROL.search(value):
            row.reject(name, "contains a line break or other control character")
    return row


def _describe_csv_error(exc: csv.Error) -> str:
    message = str(exc)
    if "unexpected end of data" in message:
        return "a quoted field starting in this row is never closed"
    if "field larger than field limit" in message:
        return f"a field is longer than {csv.field_size_limit()} characters"
    return f"not valid CSV ({message})"
