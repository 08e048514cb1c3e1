"""Read a CSV file into rows keyed by column name, reporting what is wrong with the file itself.

Line numbers are physical lines (the header is line 1), so a quoted field holding a line break still points
people at the right line. Reading stops at the first problem that makes the rest unreadable: bytes that are
neither UTF-8 nor Windows-1252, broken quoting, a row too large to be real.

Files from other systems are met half way: the delimiter is sniffed from the header (Excel in much of Europe
writes semicolons), a file that is not UTF-8 is read as Windows-1252 (what Excel on Windows saves as "CSV"),
and header names are matched ignoring case and spacing ("First Name" is first_name). Other names can be
renamed with a mapping; common ones ("Email Address") get a suggestion, never a silent guess.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Iterator, Mapping, TypeVar

from outreach.importing.headers import Columns, Header, read_header
from outreach.importing.report import Problems

BOM = b"\xef\xbb\xbf"
# Bigger than any real row of these files; protects memory from an open quote swallowing the whole file.
MAX_ROW_BYTES = 64 * 1024
# Larger than any value the importers keep, so anything longer is a mistake worth naming.
MAX_FIELD_CHARS = 1000
PROGRESS_EVERY_ROWS = 2000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

DELIMITERS = ",;\t|"
DELIMITER_NAMES = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}
FALLBACK_ENCODING = "cp1252"

Progress = Callable[[str, int, int], None]
T = TypeVar("T")


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
    """Decoded physical lines for csv.reader, refusing rows that grow too large. Lines are UTF-8 until one is
    not: if every line before it was plain ASCII, the file is Windows-1252 from then on."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.number = 0
        self.bytes_read = 0
        self.row_start = 1
        self.row_bytes = 0
        self.encoding = "ascii"  # until a line says otherwise

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
            raise _Unreadable(
                self.row_start,
                f"this row is longer than {MAX_ROW_BYTES // 1024} KiB (a quote left open, or not a CSV file?)",
            )
        if self.number == 1:
            raw = _check_first_line(raw)
        return self._decode(raw)

    def _decode(self, raw: bytes) -> str:
        if self.encoding == FALLBACK_ENCODING:
            return self._decode_fallback(raw)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            if self.encoding == "utf-8":
                raise _Unreadable(
                    self.number,
                    f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at character "
                    f"{exc.start + 1}), though earlier lines are; save the file as "
                    '"CSV UTF-8"',
                ) from None
            self.encoding = FALLBACK_ENCODING
            return self._decode_fallback(raw)
        if not text.isascii():
            self.encoding = "utf-8"
        return text

    def _decode_fallback(self, raw: bytes) -> str:
        try:
            return raw.decode(FALLBACK_ENCODING)
        except UnicodeDecodeError as exc:
            raise _Unreadable(
                self.number,
                f"neither UTF-8 nor Windows-1252 text (byte 0x{raw[exc.start]:02x} at "
                f'character {exc.start + 1}); save the file as "CSV UTF-8"',
            ) from None

    def next_row(self) -> None:
        self.row_start = self.number + 1
        self.row_bytes = 0


def _check_first_line(raw: bytes) -> bytes:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Unreadable(1, 'the file is UTF-16 text; save it as "CSV UTF-8"')
    if raw.startswith(b"PK\x03\x04"):
        raise _Unreadable(1, 'this is a spreadsheet workbook, not CSV; save it as "CSV UTF-8"')
    return raw.removeprefix(BOM)


def read_rows(
    stream: BinaryIO,
    size: int,
    columns: Columns,
    problems: Problems,
    on_progress: Progress | None = None,
    mapping: Mapping[str, str] | None = None,
    notes: list[str] | None = None,
) -> Iterator[Row]:
    """Yield each non-blank data row. Problems with the file, the header or a row's shape go to `problems`;
    `mapping` renames file headers to columns ("" skips one); how the file was read goes to `notes`."""
    lines = _Lines(stream)
    delimiter = ","
    try:
        first = next(lines, None)
        lines.next_row()
        delimiter = _sniff_delimiter(first or "")
        reader = csv.reader(([first] if first else []), delimiter=delimiter, strict=True)
        header = read_header(next(reader, None), columns, mapping or {}, problems)
        if header is None:
            return
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        for count, record in enumerate(reader, start=1):
            line = lines.row_start
            lines.next_row()
            if on_progress and count % PROGRESS_EVERY_ROWS == 0:
                on_progress("reading", lines.bytes_read, size)
            if not any(value.strip() for value in record):
                continue
            if len(record) != len(header.names):
                problems.add(line, f"expected {len(header.names)} fields as in the header, found {len(record)}")
                continue
            yield _row(line, header, record, problems)
    except _Unreadable as exc:
        problems.add(exc.line, exc.reason)
    except csv.Error as exc:
        problems.add(lines.row_start, _describe_csv_error(exc))
    finally:
        if notes is not None:
            notes.extend(_reading_notes(lines, delimiter))
    if on_progress:
        on_progress("reading", size, size)


def header_names(stream: BinaryIO) -> list[str]:
    """The header row's names as written (for a mapping step); ValueError says why the file cannot be read."""
    return header_and_samples(stream, 0)[0]


def header_and_samples(stream: BinaryIO, rows: int) -> tuple[list[str], list[list[str]]]:
    """The header row's names as written and the first `rows` rows' values (for a mapping step to show beside
    each header); ValueError says why the header cannot be read. A sample row that cannot be read ends them."""
    lines = _Lines(stream)
    try:
        first = next(lines, None) or ""
        delimiter = _sniff_delimiter(first)
        record = next(csv.reader([first], delimiter=delimiter), [])
    except (_Unreadable, csv.Error) as exc:
        raise ValueError(f"line 1: {getattr(exc, 'reason', exc)}") from None
    names = [name.strip() for name in record]
    if not any(names):
        raise ValueError("line 1: the file is empty; it needs a header row")
    samples: list[list[str]] = []
    try:
        for row in csv.reader(lines, delimiter=delimiter):
            if len(samples) == rows:
                break
            if any(value.strip() for value in row):
                samples.append([value.strip() for value in row])
    except (_Unreadable, csv.Error):
        pass
    return names, samples


def _sniff_delimiter(header_line: str) -> str:
    try:
        return csv.Sniffer().sniff(header_line, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _reading_notes(lines: _Lines, delimiter: str) -> list[str]:
    notes = []
    if lines.encoding == FALLBACK_ENCODING:
        notes.append("read as Windows-1252 text, as the file is not UTF-8")
    if delimiter != ",":
        notes.append(f"columns are separated by {DELIMITER_NAMES[delimiter]}")
    return notes


def _row(line: int, header: Header, record: list[str], problems: Problems) -> Row:
    values = {name: value for name, value in zip(header.names, record, strict=False) if name is not None}
    return checked_row(line, values, problems)


def checked_row(line: int, values: dict[str, str], problems: Problems) -> Row:
    """A record's values, stripped, refusing values too long or holding control characters."""
    row = Row(line, {name: value.strip() for name, value in values.items()}, problems)
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
