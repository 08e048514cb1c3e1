"""Records that arrive as JSON (the REST API) read into the same Rows the CSV files give, so that one set of
parsers (clients.parse, visits.parse, progress.parse) checks both. A record's index stands in for the line."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from outreach.importing.csvfile import Columns, Row, checked_row
from outreach.importing.report import Problems


def text_of(value: Any) -> str:
    """A JSON value as the CSV importer would have read it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def rows_from_records(records: Iterable[Mapping[str, Any]], columns: Columns, problems: Problems) -> list[Row]:
    """One Row per record (index from 0); a record missing a required field is noted and still returned."""
    rows = []
    for index, record in enumerate(records):
        row = checked_row(index, {name: text_of(value) for name, value in record.items()}, problems)
        for name in columns.required:
            if name not in record:
                row.reject(name, "required, but missing")
        rows.append(row)
    return rows
