"""Clients: contact details upserted on external_id, consent kept with its history.

Consent from a file is a statement by the clinic's records, not the latest word: a client who replies STOP
after the export was made must not be opted back in by re-importing the same export. So the file's answer is
applied only when it differs from what the previous import said; until the file changes its mind, a later
change from any other source stands. A file without a consent column leaves consent as it is (a new client
starts without it): booking-system exports rarely say.

A language column sets the language the client's messages go out in. An empty cell, or no column, leaves a stored
client's language as it is (a new client gets the clinic's default_language): a switch made at the desk or on the
preference page stands until the file names a language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from outreach.importing import store
from outreach.importing.csvfile import Row
from outreach.importing.fields import optional, text
from outreach.importing.headers import Columns
from outreach.importing.report import Problems
from outreach.models import Channel, ClientStatus
from outreach.policy.languages import language_tag
from outreach.settings import Settings
from outreach.contacts import check_timezone, normalise_email, normalise_phone, parse_bool, zone_for_phone

KIND = "clients"
# A column left out of the file leaves that detail as it is; email and phone must be stated.
COLUMNS = Columns(
    required=("external_id", "first_name", "email", "phone"),
    optional=("last_name", "timezone", "language", "email_consent", "sms_consent"),
)
CONSENT_VALUES = "yes/no, true/false or 1/0"
ACCEPTED = {
    "external_id": "your system's id for the client, up to 64 characters",
    "first_name": "required; last_name optional",
    "email": "an email address (email or phone may be empty, not both)",
    "phone": "a phone number; one without +country code is read in the clinic's default_region",
    "timezone": "an IANA zone such as America/Chicago; empty: from the phone's area code, else the clinic's",
    "language": "the language messages go out in, one of [languages] served, as a code or a name (es, es-MX, "
    "Spanish, Español); empty: the clinic's default_language for a new client, unchanged for one already stored",
    "email_consent, sms_consent": f"{CONSENT_VALUES}; a file without the column leaves consent unchanged "
    "(new clients start without consent)",
}
CHANNELS = (Channel.email.value, Channel.sms.value)
ADDRESS = {"email": "email", "sms": "phone"}  # the column holding each channel's address
STORED = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "timezone",
    "language",
    "email_consent",
    "sms_consent",
    "phone_invalid",
    "next_plan_at",
)


@dataclass(frozen=True)
class ClientRow:
    line: int
    external_id: str
    first_name: str
    last_name: str | None
    email: str | None
    phone: str | None
    timezone: str | None
    language: str | None  # a served language's tag; None: not stated
    phone_zone: str | None
    consent: dict[str, bool]  # only the channels the file has a column for


@dataclass
class ClientPlan(store.Plan):
    # (external_id, channel, granted, note) for each consent statement to record.
    consent: list[tuple[str, str, bool, str]] = field(default_factory=list)
    held: int = 0

    @property
    def writes(self) -> bool:
        return bool(self.inserts or self.updates or self.consent)


def parse(row: Row, settings: Settings) -> ClientRow | None:
    values = {
        "external_id": row.take("external_id", text(64, required=True)),
        "first_name": row.take("first_name", text(100, required=True)),
        "last_name": row.take("last_name", text(100)) if row.has("last_name") else None,
        "email": row.take("email", optional(normalise_email)),
        "phone": row.take("phone", optional(lambda raw: normalise_phone(raw, settings.clinic.default_region))),
        "timezone": row.take("timezone", optional(check_timezone)),
        "language": row.take("language", optional(lambda raw: language_tag(raw, settings.served_languages))),
    }
    consent = {
        channel: row.take(f"{channel}_consent", parse_bool) for channel in CHANNELS if row.has(f"{channel}_consent")
    }
    _check_reachable(row, values, consent)
    if not row.ok:
        return None
    # Worked out here, before the import takes the database's write lock: it is the slow part of a row.
    phone_zone = zone_for_phone(values["phone"]) if values["phone"] and not values["timezone"] else None
    return ClientRow(row.line, phone_zone=phone_zone, consent=consent, **values)


def _check_reachable(row: Row, values: dict[str, Any], consent: dict[str, bool | None]) -> None:
    if not any(values[column] or row.failed(column) for column in ADDRESS.values()):
        row.reject("email", "a client needs an email address or a phone number; both are empty")
        return
    for channel, column in ADDRESS.items():
        if consent.get(channel) and values[column] is None and not row.failed(column):
            row.reject(f"{channel}_consent", f"yes, but the {column} column is empty")


def plan(conn: Connection, rows: list[ClientRow], problems: Problems, settings: Settings, now: datetime) -> ClientPlan:
    rows = _without_duplicates(rows, problems)
    stored = store.clients_by_external_id(
        conn, [row.external_id for row in rows], *(store.client_table.c[name] for name in STORED)
    )
    said = store.import_consent_said(conn, [client.id for client in stored.values()])
    result = ClientPlan()
    for row in rows:
        client = stored.get(row.external_id)
        if client is None:
            _plan_new(result, row, settings, now)
        else:
            _plan_existing(result, row, client, said, now)
    _refuse_overriding_grants(conn, rows, stored, result, problems)
    if result.held:
        result.notes.append(_held_note(result.held))
    unstated = [f"{channel}_consent" for channel in CHANNELS if rows and channel not in rows[0].consent]
    if unstated:
        result.notes.append(
            f"no {' or '.join(unstated)} column: consent left unchanged (new clients start without consent)"
        )
    return result


def _without_duplicates(rows: list[ClientRow], problems: Problems) -> list[ClientRow]:
    first_seen: dict[str, int] = {}
    unique = []
    for row in rows:
        if row.external_id in first_seen:
            problems.add(row.line, f"{row.external_id!r} is also on line {first_seen[row.external_id]}", "external_id")
            continue
        first_seen[row.external_id] = row.line
        unique.append(row)
    return unique


def _plan_new(result: ClientPlan, row: ClientRow, settings: Settings, now: datetime) -> None:
    result.inserts.append(
        {
            "external_id": row.external_id,
            "first_name": row.first_name,
            "last_name": row.last_name or "",
            "email": row.email,
            "phone": row.phone,
            "timezone": row.timezone or row.phone_zone or settings.clinic.timezone,
            "language": row.language or settings.clinic.default_language,
            "status": ClientStatus.active.value,
            "email_consent": row.consent.get("email", False),
            "sms_consent": row.consent.get("sms", False),
            "phone_invalid": False,
            "checkin_channel": "",
            "next_plan_at": now,
            "created_at": now,
            "updated_at": now,
        }
    )
    result.consent.extend((row.external_id, channel, granted, "") for channel, granted in row.consent.items())


def _plan_existing(
    result: ClientPlan, row: ClientRow, client: Any, said: dict[tuple[int, str], bool], now: datetime
) -> None:
    wanted = {
        "first_name": row.first_name,
        "last_name": client.last_name if row.last_name is None else row.last_name,
        "email": row.email,
        "phone": row.phone,
        "timezone": row.timezone or client.timezone,
        "language": row.language or client.language,
        "email_consent": client.email_consent,
        "sms_consent": client.sms_consent,
        **_consent_news(result, row, client, said),
    }
    if all(wanted[name] == getattr(client, name) for name in wanted):
        result.unchanged += 1
        return
    result.updates.append(
        {
            "id": client.id,
            **wanted,
            "phone_invalid": client.phone_invalid and row.phone == client.phone,
            "next_plan_at": min(client.next_plan_at, now),
            "updated_at": now,
        }
    )


def _consent_news(
    result: ClientPlan, row: ClientRow, client: Any, said: dict[tuple[int, str], bool]
) -> dict[str, bool]:
    """The file's consent answers that differ from what the last import said; each goes on record."""
    news = {}
    for channel, in_file in row.consent.items():
        current = getattr(client, f"{channel}_consent")
        if said.get((client.id, channel)) == in_file:
            # The file has not changed its mind since the last import: a later change by anyone else stands.
            result.held += current != in_file
            continue
        result.consent.append((row.external_id, channel, in_file, "" if current != in_file else "already in effect"))
        news[f"{channel}_consent"] = in_file
    return news


def _refuse_overriding_grants(
    conn: Connection, rows: list[ClientRow], stored: dict[str, Any], result: ClientPlan, problems: Problems
) -> None:
    """The one consent rule (policy.consent.grant_refusal), as services.facts.record_consent keeps it: a file
    never grants consent over the client's own opt-out. Only grants the import would record are checked."""
    by_id = {row.external_id: row for row in rows}
    granted = [
        (by_id[external_id], channel)
        for external_id, channel, grants, note in result.consent
        if grants and not note and getattr(by_id[external_id], ADDRESS[channel])
    ]
    grants = [
        store.Grant(channel, getattr(row, ADDRESS[channel]), getattr(stored.get(row.external_id), "id", None))
        for row, channel in granted
    ]
    for (row, channel), refusal in zip(granted, store.grant_refusals(conn, grants), strict=True):
        if refusal is not None:
            problems.add(row.line, refusal, f"{channel}_consent")


def _held_note(count: int) -> str:
    return (
        f"{count} consent answer{'s' if count != 1 else ''} in the file left as stored: unchanged since the "
        "last import, so a later change (such as a STOP reply) stands"
    )


def apply(conn: Connection, result: ClientPlan, now: datetime) -> None:
    store.insert_rows(conn, store.client_table, result.inserts)
    store.update_rows(conn, store.client_table, result.updates)
    ids = store.clients_by_external_id(conn, {external_id for external_id, *_ in result.consent})
    store.record_consent(
        conn,
        ((ids[external_id].id, channel, granted, note) for external_id, channel, granted, note in result.consent),
        now,
    )
    # services.conversations.follow_clients, which the importer cannot import (services sit above it).
    store.link_conversations(conn)
