"""Records that arrive as JSON (the REST API) read into the same Rows the CSV files give, so that one set of
parsers (clients.parse, visits.parse, progress.parse) checks both. A record's index stands in for the line."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from outreach.importing.csvfile import Row, checked_row
from outreach.importing.headers import Columns
from outreach.importing.report import Problems


def text_of(value: Any) -> str:
    """A JSON value as the CSV importer would have read it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def rows_from_records(records: Iterable[Mapping[str, Any]], columns: Columns, problems: Problems) -> list[Row]:
    """One Row per record (index from 0); a record with a field missing or unknown is noted and still returned."""
    rows = []
    for index, record in enumerate(records):
        known = {name: value for name, value in record.items() if name in columns.all}
        row = checked_row(index, {name: text_of(value) for name, value in known.items()}, problems)
        for name in record.keys() - known.keys():
            row.reject(str(name), f"unknown field (expected {', '.join(columns.all)})")
        for name in columns.required:
            if name not in record:
                row.reject(name, "required, but missing")
        rows.append(row)
    return rows
