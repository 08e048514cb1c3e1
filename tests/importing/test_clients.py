"""`outreach import clients`: a good file creates clients, a bad one imports nothing and names every problem."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from tests.conftest import FIXTURES, utc
from outreach.cli import app
from outreach.db import session_scope
from outreach.importing.files import import_clients
from outreach.importing import store
from outreach.importing.csvfile import MAX_ROW_BYTES
from outreach.models import AuditEntry, Client, ConsentEvent
from outreach.services.facts import record_consent
from outreach.settings import get_settings

CSV = FIXTURES / "csv"
NOW = utc(2026, 3, 2, 15)
LATER = NOW + timedelta(days=7)
HEADER = "external_id,first_name,last_name,email,phone,timezone,email_consent,sms_consent\n"


def table_contents(ctx) -> dict[str, list[tuple]]:
    """Every row of every table, to show an import left the database exactly as it was."""
    with ctx.engine.connect() as conn:
        return {
            table.name: [tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key))]
            for table in SQLModel.metadata.sorted_tables
        }


def write_csv(folder: Path, body: str, name: str = "clients.csv") -> Path:
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def clients_by_id(ctx) -> dict[str, Client]:
    with Session(ctx.engine) as session:
        return {client.external_id: client for client in session.execute(select(Client).order_by(Client.id)).scalars()}


def consent_history(ctx, external_id: str) -> list[tuple[str, bool, str]]:
    with Session(ctx.engine) as session:
        events = session.execute(
            select(ConsentEvent)
            .join(Client, Client.id == ConsentEvent.client_id)
            .where(Client.external_id == external_id)
            .order_by(ConsentEvent.id)
        ).scalars()
        return [(event.channel, event.granted, event.source) for event in events]


def test_it_creates_clients_with_normalised_details(ctx):
    report = import_clients(ctx, CSV / "clients.csv", now=NOW)

    assert report.problems == []
    assert (report.created, report.updated, report.unchanged) == (5, 0, 0)
    clients = clients_by_id(ctx)
    assert [(c.first_name, c.last_name, c.email, c.phone, c.timezone) for c in clients.values()] == [
        ("Ana", "Lopez", "ana.lopez@example.com", "+14155550101", "America/Los_Angeles"),
        ("Ben", "Okafor", None, "+12125550199", "America/New_York"),
        ("Chloe", "Martin", "chloe@example.com", None, "America/Denver"),
        ("Dev", "Patel", "dev@example.com", "+442079460958", "Europe/London"),
        ("Elif", "Sahin", "elif@example.com", None, "America/Chicago"),
    ]
    assert [(c.email_consent, c.sms_consent) for c in clients.values()] == [
        (True, True),
        (False, True),
        (True, False),
        (True, False),
        (False, False),
    ]
    assert {c.next_plan_at for c in clients.values()} == {NOW}


def test_it_records_each_clients_consent_with_its_source(ctx):
    import_clients(ctx, CSV / "clients.csv", now=NOW)

    assert consent_history(ctx, "C001") == [("email", True, "import"), ("sms", True, "import")]
    assert consent_history(ctx, "C005") == [("email", False, "import"), ("sms", False, "import")]


def test_it_changes_nothing_when_the_same_file_is_imported_again(ctx):
    import_clients(ctx, CSV / "clients.csv", now=NOW)
    before = table_contents(ctx)

    report = import_clients(ctx, CSV / "clients.csv", now=LATER)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 5)
    assert table_contents(ctx) == before


def test_it_updates_changed_clients_and_wakes_only_them(ctx):
    import_clients(ctx, CSV / "clients.csv", now=NOW)
    with session_scope(ctx.engine) as session:
        session.execute(Client.__table__.update().values(next_plan_at=LATER + timedelta(days=30)))

    report = import_clients(ctx, CSV / "clients_updated.csv", now=LATER)

    assert (report.created, report.updated, report.unchanged) == (1, 3, 2)
    clients = clients_by_id(ctx)
    assert clients["C001"].last_name == "Lopez-Reyes"
    assert (clients["C003"].email, clients["C003"].sms_consent) == ("chloe.martin@example.com", False)
    assert (clients["C004"].email_consent, clients["C004"].sms_consent) == (False, False)
    woken = {external_id for external_id, client in clients.items() if client.next_plan_at == LATER}
    assert woken == {"C001", "C003", "C004", "C006"}
    assert consent_history(ctx, "C003")[-1] == ("sms", False, "import")


def test_it_matches_stored_clients_the_same_way_when_a_file_is_large(ctx, monkeypatch):
    monkeypatch.setattr(store, "SCAN_ABOVE", 1)  # large files read the table in one pass instead of by keys
    import_clients(ctx, CSV / "clients.csv", now=NOW)

    report = import_clients(ctx, CSV / "clients_updated.csv", now=LATER)

    assert (report.created, report.updated, report.unchanged) == (1, 3, 2)


def test_it_leaves_a_column_missing_from_the_file_as_stored(ctx):
    import_clients(ctx, CSV / "clients.csv", now=NOW)
    path = write_csv(
        ctx.data_dir,
        "external_id,first_name,email,phone,email_consent,sms_consent\nC003,Chloe,chloe@example.com,,yes,no\n",
    )

    report = import_clients(ctx, path, now=LATER)

    assert report.unchanged == 1
    assert (clients_by_id(ctx)["C003"].last_name, clients_by_id(ctx)["C003"].timezone) == ("Martin", "America/Denver")


def test_it_keeps_a_later_opt_out_when_an_unchanged_file_is_imported_again(ctx):
    import_clients(ctx, CSV / "clients.csv", now=NOW)
    with session_scope(ctx.engine) as session:
        ana = session.execute(select(Client).where(Client.external_id == "C001")).scalar_one()
        record_consent(session, ana, "sms", False, source="sms-keyword", actor="client", at=NOW + timedelta(hours=1))

    report = import_clients(ctx, CSV / "clients.csv", now=LATER)

    assert clients_by_id(ctx)["C001"].sms_consent is False
    assert (report.updated, report.unchanged) == (0, 5)
    assert report.notes == [
        "1 consent answer in the file left as stored: unchanged since the last import, "
        "so a later change (such as a STOP reply) stands"
    ]


def test_it_applies_consent_once_the_file_changes_its_answer(ctx):
    import_clients(ctx, CSV / "clients.csv", now=NOW)
    opted_out = write_csv(ctx.data_dir, HEADER + "C001,Ana,Lopez,ana.lopez@example.com,(415) 555-0101,,no,no\n")
    opted_in_again = write_csv(
        ctx.data_dir, HEADER + "C001,Ana,Lopez,ana.lopez@example.com,(415) 555-0101,,yes,no\n", name="again.csv"
    )

    import_clients(ctx, opted_out, now=NOW + timedelta(days=1))
    import_clients(ctx, opted_in_again, now=NOW + timedelta(days=2))

    assert (clients_by_id(ctx)["C001"].email_consent, clients_by_id(ctx)["C001"].sms_consent) == (True, False)
    assert consent_history(ctx, "C001") == [
        ("email", True, "import"),
        ("sms", True, "import"),
        ("email", False, "import"),
        ("sms", False, "import"),
        ("email", True, "import"),
    ]


def test_it_lists_every_problem_and_imports_nothing(ctx):
    import_clients(ctx, CSV / "clients.csv", now=NOW)
    before = table_contents(ctx)
    path = CSV / "clients_bad.csv"

    report = import_clients(ctx, path, now=LATER)

    assert [str(problem) for problem in report.problems] == [
        f"{path}:3: first_name: required, but empty",
        f"{path}:4: email: not a valid email address ('chloe@': There must be something after the @-sign.)",
        f"{path}:5: phone: not a valid phone number ('123')",
        f"{path}:6: last_name: contains a line break or other control character",
        f"{path}:8: timezone: unknown IANA time zone 'Mars/Olympus' (e.g. America/Chicago)",
        f"{path}:9: email_consent: expected yes/no, true/false or 1/0, got 'maybe'",
        f"{path}:10: email: a client needs an email address or a phone number; both are empty",
        f"{path}:11: email_consent: yes, but the email column is empty",
        f"{path}:12: sms_consent: yes, but the phone column is empty",
        f"{path}:13: external_id: 'C001' is also on line 2",
        f"{path}:14: external_id: required, but empty",
        f"{path}:15: expected 8 fields as in the header, found 4",
        f"{path}:16: expected 8 fields as in the header, found 9",
    ]
    assert (report.created, report.updated) == (0, 0)
    assert table_contents(ctx) == before


def test_it_names_unknown_duplicate_and_missing_columns(ctx):
    path = CSV / "clients_bad_header.csv"

    report = import_clients(ctx, path, now=NOW)

    assert [str(problem) for problem in report.problems] == [
        f"{path}:1: notes: unknown column (expected external_id, first_name, email, phone, last_name, "
        "timezone, language, email_consent, sms_consent)",
        f"{path}:1: email: this column appears twice",
        f"{path}:1: first_name: required column is missing",
    ]


def test_it_refuses_an_empty_file(ctx):
    path = CSV / "clients_empty.csv"

    report = import_clients(ctx, path, now=NOW)

    assert [str(problem) for problem in report.problems] == [
        f"{path}:1: the file is empty; expected a header row with external_id, first_name, email, phone"
    ]


def test_it_reads_a_file_that_starts_with_a_utf8_byte_order_mark(ctx):
    report = import_clients(ctx, CSV / "clients_bom.csv", now=NOW)

    assert report.created == 1
    assert clients_by_id(ctx)["C001"].display_name == "Zoë Müller"


def test_it_reads_a_file_that_is_not_utf8_as_windows_1252_and_says_so(ctx):
    # Mixed UTF-8 and other bytes are still refused: tests/test_import_formats.py.
    path = CSV / "clients_latin1.csv"

    report = import_clients(ctx, path, now=NOW)

    assert (report.problems, report.created) == ([], 2)
    assert clients_by_id(ctx)["C002"].display_name == "Zoë Müller"
    assert "read as Windows-1252 text, as the file is not UTF-8" in report.notes


def test_it_names_a_utf16_file_for_what_it_is(ctx):
    path = ctx.data_dir / "clients.csv"
    path.write_text(HEADER, encoding="utf-16")

    report = import_clients(ctx, path, now=NOW)

    assert [str(problem) for problem in report.problems] == [
        f'{path}:1: the file is UTF-16 text; save it as "CSV UTF-8"'
    ]


def test_it_caps_the_size_of_a_field(ctx):
    path = write_csv(ctx.data_dir, HEADER + f"C001,{'A' * 1500},Lopez,ana@example.com,,,yes,no\n")

    report = import_clients(ctx, path, now=NOW)

    assert [str(problem) for problem in report.problems] == [
        f"{path}:2: first_name: 1500 characters; at most 1000 are allowed"
    ]


def test_it_stops_at_a_row_too_large_to_be_real(ctx):
    path = write_csv(ctx.data_dir, HEADER + f'C001,Ana,Lopez,ana@example.com,,,yes,no\nC002,"{"B" * MAX_ROW_BYTES}\n')

    report = import_clients(ctx, path, now=NOW)

    assert [str(problem) for problem in report.problems] == [
        f"{path}:3: this row is longer than 64 KiB (a quote left open, or not a CSV file?)"
    ]
    assert clients_by_id(ctx) == {}


def test_it_points_at_the_row_where_an_unclosed_quote_starts(ctx):
    path = write_csv(ctx.data_dir, HEADER + 'C001,Ana,Lopez,ana@example.com,,,yes,no\nC002,"Ben,Okafor\n\n')

    report = import_clients(ctx, path, now=NOW)

    assert [str(problem) for problem in report.problems] == [
        f"{path}:3: a quoted field starting in this row is never closed"
    ]


def test_it_skips_blank_lines(ctx):
    path = write_csv(ctx.data_dir, HEADER + "\nC001,Ana,Lopez,ana@example.com,,,yes,no\n,,,,,,,\n")

    report = import_clients(ctx, path, now=NOW)

    assert (report.problems, report.created) == ([], 1)


def test_it_writes_nothing_on_a_dry_run_but_reports_what_would_change(ctx):
    import_clients(ctx, CSV / "clients.csv", now=NOW)
    before = table_contents(ctx)

    report = import_clients(ctx, CSV / "clients_updated.csv", now=LATER, dry_run=True)

    assert (report.created, report.updated, report.unchanged) == (1, 3, 2)
    assert report.summary() == (
        "{}: dry run, nothing was written. Would import clients: 1 created, 3 updated, 2 unchanged.".format(
            CSV / "clients_updated.csv"
        )
    )
    assert table_contents(ctx) == before


def test_it_reports_progress_while_checking_and_saving(ctx):
    calls = []
    path = CSV / "clients.csv"

    import_clients(ctx, path, now=NOW, on_progress=lambda *call: calls.append(call))

    size = path.stat().st_size
    assert calls == [("reading", size, size), ("saving", 0, 1), ("saving", 1, 1)]


def test_it_imports_an_uploaded_stream_by_the_name_given(ctx):
    upload = io.BytesIO((HEADER + "C001,Ana,Lopez,ana@example.com,,,yes,no\nC001,Ana,Lopez,,,,no,no\n").encode())
    upload.name = "from-the-desk.csv"

    report = import_clients(ctx, upload, now=NOW)

    assert [str(problem) for problem in report.problems] == [
        "from-the-desk.csv:3: email: a client needs an email address or a phone number; both are empty"
    ]


def test_it_leaves_the_commit_to_a_caller_that_passes_its_own_session(ctx):
    with Session(ctx.engine) as session:
        report = import_clients(session, CSV / "clients.csv", now=NOW, settings=ctx.settings)
        session.rollback()

    assert (report.created, clients_by_id(ctx)) == (5, {})


def test_it_audits_each_import_that_changes_something_once_with_its_counts(ctx):
    import_clients(ctx, CSV / "clients.csv", now=NOW)
    import_clients(ctx, CSV / "clients.csv", now=LATER)

    with Session(ctx.engine) as session:
        entries = session.execute(select(AuditEntry)).scalars().all()
    assert [(e.actor, e.action, e.detail, e.at) for e in entries] == [
        ("import", "import.clients", "clients.csv: 5 created, 0 updated, 0 unchanged", NOW)
    ]


def test_it_leaves_the_database_as_it_was_when_the_database_fails_midway(ctx):
    import_clients(ctx, CSV / "clients.csv", now=NOW)
    refuse_consent_events(ctx)
    before = table_contents(ctx)

    with pytest.raises(SQLAlchemyError, match="refused by the test"):
        import_clients(ctx, CSV / "clients_updated.csv", now=LATER)

    assert table_contents(ctx) == before


def refuse_consent_events(ctx) -> None:
    """A real database error after the client rows are written: inserting a consent event fails."""
    statements = {
        "sqlite": [
            "CREATE TRIGGER refuse BEFORE INSERT ON consent_event BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        ],
        "postgresql": [
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
            "CREATE TRIGGER refuse BEFORE INSERT ON consent_event FOR EACH ROW EXECUTE FUNCTION refuse()",
        ],
    }
    with ctx.engine.begin() as conn:
        for statement in statements[ctx.engine.dialect.name]:
            conn.execute(text(statement))


@pytest.fixture
def cli(ctx, monkeypatch):
    """Run `outreach …` against the test database."""
    monkeypatch.setenv("OUTREACH_DATABASE__URL", ctx.settings.database.url)
    monkeypatch.setenv("OUTREACH_OUTBOX__DIRECTORY", str(ctx.settings.outbox.directory))
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(app, list(args))
    get_settings.cache_clear()


def test_the_command_prints_the_counts_and_exits_0(cli, ctx):
    result = cli("import", "clients", str(CSV / "clients.csv"))

    assert (result.exit_code, result.stdout) == (
        0,
        f"{CSV / 'clients.csv'}: imported clients: 5 created, 0 updated, 0 unchanged.\n",
    )
    assert len(clients_by_id(ctx)) == 5


def test_the_command_prints_every_problem_and_exits_1(cli, ctx):
    path = CSV / "clients_bad_header.csv"

    result = cli("import", "clients", str(path))

    assert result.exit_code == 1
    assert result.stderr.splitlines()[-2:] == [
        f"{path}:1: first_name: required column is missing",
        f"{path}: 3 problems; nothing was imported.",
    ]
    assert result.stdout == ""


def test_the_command_writes_nothing_on_a_dry_run(cli, ctx):
    result = cli("import", "clients", str(CSV / "clients.csv"), "--dry-run")

    assert result.exit_code == 0
    assert "Would import clients: 5 created" in result.stdout
    assert clients_by_id(ctx) == {}


def test_the_command_exits_1_for_a_file_that_does_not_exist(cli, tmp_path):
    result = cli("import", "visits", str(tmp_path / "missing.csv"))

    assert (result.exit_code, result.stderr.splitlines()[0]) == (
        1,
        f"{tmp_path / 'missing.csv'}: cannot read the file: No such file or directory",
    )


def test_the_command_exits_1_when_the_database_refuses_the_import(cli, ctx):
    refuse_consent_events(ctx)

    result = cli("import", "clients", str(CSV / "clients.csv"))

    assert result.exit_code == 1
    assert "the database refused the import, so nothing was imported: refused by the test" in result.stderr
    assert clients_by_id(ctx) == {}
