"""Files as other systems write them: booking-system headers, semicolons, Windows-1252, no consent columns."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from tests.conftest import utc
from outreach.cli import app
from outreach.importing.files import import_clients, import_visits
from outreach.importing.headers import parse_mapping
from outreach.models import Client, ConsentEvent, Visit
from outreach.services.facts import record_consent
from outreach.settings import get_settings

NOW = utc(2026, 3, 2, 15)
EXPORT = (
    "Client ID,First Name,Last Name,Email Address,Mobile Phone\n"
    "B100,Ana,Lopez,ana@example.com,612-555-0101\n"
    "B101,Ben,Okafor,,612-555-0102\n"
)
EXPORT_MAP = {"Client ID": "external_id", "Email Address": "email", "Mobile Phone": "phone"}


def write(folder: Path, body: str | bytes, name: str = "export.csv") -> Path:
    path = folder / name
    if isinstance(body, str):
        path.write_text(body, encoding="utf-8")
    else:
        path.write_bytes(body)
    return path


def clients(ctx) -> dict[str, Client]:
    with Session(ctx.engine) as session:
        return {client.external_id: client for client in session.exec(select(Client))}


def test_a_booking_system_export_gets_a_suggested_mapping_and_imports_nothing(ctx):
    path = write(ctx.data_dir, EXPORT)

    report = import_clients(ctx, path, now=NOW)

    problems = [str(problem) for problem in report.problems]
    assert (
        f"{path}:1: Client ID: unknown column (expected external_id, first_name, email, phone, last_name, "
        "timezone, language, email_consent, sms_consent); "
        'it looks like external_id: --map "Client ID=external_id"' in problems
    )
    assert any("Email Address: unknown column" in p and '--map "Email Address=email"' in p for p in problems)
    assert problems[-1] == (
        f'{path}:1: to use every suggested name, add: --map "Client ID=external_id" '
        '--map "Email Address=email" --map "Mobile Phone=phone"'
    )
    # "First Name" and "Last Name" are the same names written as people write them: no complaint.
    assert not any("First Name" in p or "Last Name" in p for p in problems)
    assert clients(ctx) == {}


def test_with_the_mapping_the_export_imports_and_leaves_consent_unchanged(ctx):
    path = write(ctx.data_dir, EXPORT)

    report = import_clients(ctx, path, now=NOW, mapping=EXPORT_MAP)

    assert report.problems == []
    assert report.created == 2
    assert report.notes == [
        "no email_consent or sms_consent column: consent left unchanged (new clients start without consent)"
    ]
    stored = clients(ctx)
    assert (stored["B100"].email, stored["B100"].phone) == ("ana@example.com", "+16125550101")
    assert (stored["B100"].email_consent, stored["B100"].sms_consent) == (False, False)
    with Session(ctx.engine) as session:
        assert session.exec(select(ConsentEvent)).all() == []


def test_a_file_without_consent_columns_keeps_consent_already_given(ctx):
    path = write(ctx.data_dir, EXPORT)
    import_clients(ctx, path, now=NOW, mapping=EXPORT_MAP)
    with Session(ctx.engine) as session:
        ana = session.exec(select(Client).where(Client.external_id == "B100")).one()
        record_consent(session, ana, "email", True, source="dashboard:desk", actor="desk")
        session.commit()
    write(ctx.data_dir, EXPORT.replace("Lopez", "Lopez-Diaz"))

    report = import_clients(ctx, path, now=NOW, mapping=EXPORT_MAP)

    assert (report.updated, report.problems) == (1, [])
    assert (clients(ctx)["B100"].last_name, clients(ctx)["B100"].email_consent) == ("Lopez-Diaz", True)


def test_a_mapping_can_skip_a_column_and_must_name_real_columns(ctx):
    path = write(
        ctx.data_dir,
        EXPORT.replace("Mobile Phone\n", "Mobile Phone,Notes\n")
        .replace("0101\n", "0101,likes mornings\n")
        .replace("0102\n", "0102,\n"),
    )

    skipped = import_clients(ctx, path, now=NOW, mapping={**EXPORT_MAP, "Notes": ""})
    wrong = import_clients(ctx, path, now=NOW, mapping={**EXPORT_MAP, "Notes": "notes", "Fax": "phone"})

    assert (skipped.problems, skipped.unchanged) == ([], 0)
    assert [str(problem) for problem in wrong.problems] == [
        f"{path}:1: Notes: the mapping renames to 'notes', which is not a column (expected external_id, "
        "first_name, email, phone, last_name, timezone, language, email_consent, sms_consent)",
        f"{path}:1: the mapping names a column 'Fax' that the file does not have",
    ]


def test_a_semicolon_separated_file_is_read_and_said_so(ctx):
    path = write(ctx.data_dir, "external_id;first_name;email;phone\nS1;Sam;sam@example.com;\n")

    report = import_clients(ctx, path, now=NOW)

    assert (report.problems, report.created) == ([], 1)
    assert "columns are separated by semicolons" in report.notes


def test_a_windows_1252_file_is_read_as_such_and_said_so(ctx):
    path = write(
        ctx.data_dir, "external_id,first_name,last_name,email,phone\nW1,Zoë,Dupré,zoe@example.com,\n".encode("cp1252")
    )

    report = import_clients(ctx, path, now=NOW)

    assert report.problems == []
    assert clients(ctx)["W1"].display_name == "Zoë Dupré"
    assert "read as Windows-1252 text, as the file is not UTF-8" in report.notes


def test_a_file_mixing_utf8_and_other_bytes_is_refused(ctx):
    body = (
        "external_id,first_name,email,phone\nM1,Zoë,zoe@example.com,\n".encode()
        + "M2,Renée,renee@example.com,\n".encode("cp1252")
    )
    path = write(ctx.data_dir, body)

    report = import_clients(ctx, path, now=NOW)

    assert [str(problem) for problem in report.problems] == [
        f'{path}:3: not UTF-8 text (byte 0xe9 at character 7), though earlier lines are; save the file as "CSV UTF-8"'
    ]
    assert clients(ctx) == {}


def test_visits_take_the_same_suggestions(ctx):
    import_clients(ctx, write(ctx.data_dir, EXPORT), now=NOW, mapping=EXPORT_MAP)
    path = write(
        ctx.data_dir, "Client ID,Start Time,Appointment Status\nB100,2026-02-20T10:00,Attended\n", "visits.csv"
    )

    refused = import_visits(ctx, path, now=NOW)
    mapped = import_visits(
        ctx,
        path,
        now=NOW,
        mapping={"Client ID": "client_external_id", "Start Time": "starts_at", "Appointment Status": "status"},
    )

    assert '--map "Client ID=client_external_id"' in str(refused.problems[0])
    assert (mapped.problems, mapped.created) == ([], 1)
    with Session(ctx.engine) as session:
        assert session.exec(select(Visit.status)).all() == ["attended"]


@pytest.mark.parametrize(
    "pairs, expected",
    [
        (["Email Address=email"], {"Email Address": "email"}),
        (["Notes="], {"Notes": ""}),
        (["A=B=email"], {"A=B": "email"}),
    ],
)
def test_mappings_are_read_as_header_equals_column(pairs, expected):
    assert parse_mapping(pairs) == expected


@pytest.mark.parametrize("pair", ["email", "=email"])
def test_a_mapping_without_a_header_is_refused(pair):
    with pytest.raises(ValueError, match="HEADER IN FILE=column"):
        parse_mapping([pair])


@pytest.fixture
def cli(ctx, monkeypatch):
    monkeypatch.setenv("OUTREACH_DATABASE__URL", ctx.settings.database.url)
    monkeypatch.setenv("OUTREACH_OUTBOX__DIRECTORY", str(ctx.settings.outbox.directory))
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(app, list(args))
    get_settings.cache_clear()


def test_the_command_takes_map_options(cli, ctx):
    path = write(ctx.data_dir, EXPORT)

    result = cli(
        "import",
        "clients",
        str(path),
        "--map",
        "Client ID=external_id",
        "--map",
        "Email Address=email",
        "--map",
        "Mobile Phone=phone",
    )

    assert result.exit_code == 0, result.stderr
    assert "2 created" in result.stdout
    assert "consent left unchanged" in result.stdout


def test_import_help_lists_the_accepted_values():
    result = CliRunner().invoke(app, ["import", "--help"], terminal_width=200)

    assert result.exit_code == 0
    for words in (
        "yes/no, true/false or 1/0",
        "booked, attended, cancelled, no_show",
        "from 0 to 10",
        "America/Chicago",
        "Windows-1252",
        "semicolons",
    ):
        assert words in result.stdout, words
