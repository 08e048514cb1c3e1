"""A file's header row matched to an importer's columns: exact names, names written as people write them
("First Name"), renames given by the user ("Email Address=email", or "Notes=" to skip a column), and for
common names from booking systems a suggested rename, which is never applied without being asked for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from outreach.importing.report import Problems

# Header names as booking systems and spreadsheets write them (in canonical form) -> the columns they may mean.
COMMON_NAMES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("client_id", "customer_id", "patient_id", "client_number", "reference_id", "id"),
        ("external_id", "client_external_id"),
    ),
    **dict.fromkeys(("first", "given_name", "firstname", "forename"), ("first_name",)),
    **dict.fromkeys(("last", "surname", "family_name", "lastname"), ("last_name",)),
    **dict.fromkeys(("email_address", "e_mail", "e_mail_address", "emailaddress", "mail"), ("email",)),
    **dict.fromkeys(
        (
            "mobile_phone",
            "mobile",
            "cell",
            "cell_phone",
            "phone_number",
            "mobile_number",
            "telephone",
            "tel",
            "home_phone",
        ),
        ("phone",),
    ),
    **dict.fromkeys(("time_zone", "tz"), ("timezone",)),
    **dict.fromkeys(
        (
            "preferred_language",
            "language_preference",
            "primary_language",
            "spoken_language",
            "communication_language",
            "lang",
            "locale",
            "idioma",
            "idioma_preferido",
            "lengua",
        ),
        ("language",),
    ),
    **dict.fromkeys(("email_opt_in", "email_marketing", "accepts_email", "email_subscribed"), ("email_consent",)),
    **dict.fromkeys(("sms_opt_in", "text_opt_in", "accepts_sms", "sms_marketing", "text_consent"), ("sms_consent",)),
    **dict.fromkeys(
        ("start_time", "start", "start_at", "appointment_time", "appointment_start", "date_time"), ("starts_at",)
    ),
    **dict.fromkeys(("appointment_status", "booking_status", "visit_status"), ("status",)),
    **dict.fromkeys(("date", "recorded", "recorded_on", "entry_date"), ("recorded_at",)),
    **dict.fromkeys(("pain_score", "pain_level"), ("pain",)),
}


@dataclass(frozen=True)
class Columns:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return self.required + self.optional


@dataclass(frozen=True)
class Header:
    """The column each field of a row holds, in order; None for a field skipped by the mapping."""

    names: list[str | None]


def canonical(name: str) -> str:
    """ "First Name", "first-name" and "FIRST_NAME" all read as first_name."""
    return re.sub(r"[\s\-_.]+", "_", name.strip().lower()).strip("_")


def suggestion(name: str, columns: Columns) -> str | None:
    """The column a common header name most likely means, if this importer has it."""
    return next((column for column in COMMON_NAMES.get(canonical(name), ()) if column in columns.all), None)


def parse_mapping(pairs: Sequence[str]) -> dict[str, str]:
    """["Email Address=email", "Notes="] -> {"Email Address": "email", "Notes": ""}; ValueError names a bad one."""
    mapping = {}
    for pair in pairs:
        source, equals, target = pair.rpartition("=")
        if not equals or not source.strip():
            raise ValueError(f'{pair!r}: expected "HEADER IN FILE=column", e.g. "Email Address=email"')
        mapping[source.strip()] = target.strip()
    return mapping


def read_header(
    record: list[str] | None, columns: Columns, mapping: Mapping[str, str], problems: Problems
) -> Header | None:
    """The header's columns, or None after noting every problem with it (on line 1)."""
    if record is None or not any(name.strip() for name in record):
        problems.add(1, f"the file is empty; expected a header row with {', '.join(columns.required)}")
        return None
    renames = {canonical(source): target for source, target in mapping.items()}
    _check_mapping(record, mapping, columns, problems)
    names = [_column_for(position, name, renames, columns, problems) for position, name in enumerate(record, 1)]
    for position, name in enumerate(names):
        if name is not None and names.index(name) != position:
            problems.add(1, "this column appears twice", name)
    for name in columns.required:
        if name not in names:
            problems.add(1, "required column is missing", name)
    _suggest_all(record, renames, columns, problems)
    return None if problems else Header(names)


def _column_for(position: int, raw: str, renames: dict[str, str], columns: Columns, problems: Problems) -> str | None:
    name = canonical(raw)
    if name in renames:
        return renames[name] or None
    if not name:
        problems.add(1, f"column {position} has no name")
    elif name not in columns.all:
        hint = suggestion(raw, columns)
        advice = f'; it looks like {hint}: --map "{raw.strip()}={hint}"' if hint else ""
        problems.add(1, f"unknown column (expected {', '.join(columns.all)}){advice}", raw.strip())
    return name or None


def _check_mapping(record: list[str], mapping: Mapping[str, str], columns: Columns, problems: Problems) -> None:
    in_file = {canonical(name) for name in record}
    for source, target in mapping.items():
        if canonical(source) not in in_file:
            problems.add(1, f"the mapping names a column {source!r} that the file does not have")
        if target and target not in columns.all:
            problems.add(
                1,
                f"the mapping renames to {target!r}, which is not a column (expected {', '.join(columns.all)})",
                source,
            )


def _suggest_all(record: list[str], renames: dict[str, str], columns: Columns, problems: Problems) -> None:
    """With several suggestions, one line to copy: every rename at once."""
    hints = [
        (name.strip(), hint)
        for name in record
        if canonical(name) not in renames and canonical(name) not in columns.all and (hint := suggestion(name, columns))
    ]
    if len(hints) > 1:
        options = " ".join(f'--map "{name}={hint}"' for name, hint in hints)
        problems.add(1, f"to use every suggested name, add: {options}")
