"""`outreach import visits`: visits land at the right instant for each client, once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session

from outreach.db import session_scope
from outreach.importing.files import import_clients, import_visits
from outreach.models import AuditEntry, Client, Visit
from tests.conftest import utc
from tests.importing.test_clients import CSV, LATER, NOW, clients_by_id, table_contents, write_csv


def visits(ctx) -> list[tuple[str, object, str]]:
    with Session(ctx.engine) as session:
        rows = session.execute(
            select(Client.external_id, Visit.starts_at, Visit.status)
            .join(Client, Client.id == Visit.client_id)
            .order_by(Visit.id)
        )
        return [tuple(row) for row in rows]


def with_clients(ctx) -> None:
    assert import_clients(ctx, CSV / "clients.csv", now=NOW).ok


def test_it_places_each_visit_in_its_clients_own_time_zone(ctx):
    with_clients(ctx)

    report = import_visits(ctx, CSV / "visits.csv", now=NOW)

    assert (report.problems, report.created) == ([], 4)
    assert visits(ctx) == [
        ("C001", utc(2026, 3, 3, 18), "booked"),  # 10:00 in Los Angeles
        ("C002", utc(2026, 2, 23, 15), "attended"),  # 10:00 in New York
        ("C003", utc(2026, 2, 24, 16), "no_show"),  # 10:00 at the offset given, -06:00
        ("C003", utc(2026, 3, 10, 9), "cancelled"),
    ]


def test_it_changes_nothing_when_the_same_file_is_imported_again(ctx):
    with_clients(ctx)
    import_visits(ctx, CSV / "visits.csv", now=NOW)
    before = table_contents(ctx)

    report = import_visits(ctx, CSV / "visits.csv", now=LATER)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 4)
    assert table_contents(ctx) == before


def test_it_updates_a_changed_status_and_wakes_only_those_clients(ctx):
    with_clients(ctx)
    import_visits(ctx, CSV / "visits.csv", now=NOW)
    with session_scope(ctx.engine) as session:
        session.execute(Client.__table__.update().values(next_plan_at=LATER + timedelta(days=30)))

    report = import_visits(ctx, CSV / "visits_updated.csv", now=LATER)

    assert (report.created, report.updated, report.unchanged) == (1, 1, 3)
    assert visits(ctx)[0] == ("C001", utc(2026, 3, 3, 18), "cancelled")
    assert visits(ctx)[-1] == ("C003", utc(2026, 3, 17, 9), "booked")
    woken = {external_id for external_id, client in clients_by_id(ctx).items() if client.next_plan_at == LATER}
    assert woken == {"C001", "C003"}


def test_it_lists_every_problem_and_imports_nothing(ctx):
    with_clients(ctx)
    import_visits(ctx, CSV / "visits.csv", now=NOW)
    before = table_contents(ctx)
    path = CSV / "visits_bad.csv"

    report = import_visits(ctx, path, now=NOW)

    example = "such as 2026-03-02T09:30 or 2026-03-02T09:30-06:00"
    assert [str(problem) for problem in report.problems] == [
        f"{path}:3: client_external_id: no client 'C999' (import clients first)",
        f"{path}:4: starts_at: 2026-03-08 02:30 does not exist in America/Los_Angeles (the clocks jump forward then)",
        f"{path}:5: starts_at: needs a time of day as well as the date, {example}",
        f"{path}:6: starts_at: expected an ISO-8601 date and time {example}, got 'next tuesday'",
        f"{path}:7: status: expected one of booked, attended, cancelled, no_show, got 'maybe'",
        f"{path}:8: starts_at: same client and time as line 2",
        f"{path}:9: client_external_id: required, but empty",
        f"{path}:10: starts_at: the year 9999 is outside 1900-2100; is the date right?",
    ]
    assert table_contents(ctx) == before


def test_it_writes_nothing_on_a_dry_run(ctx):
    with_clients(ctx)
    before = table_contents(ctx)

    report = import_visits(ctx, CSV / "visits.csv", now=NOW, dry_run=True)

    assert (report.created, report.dry_run) == (4, True)
    assert table_contents(ctx) == before


def test_it_audits_the_import_without_naming_anyone(ctx):
    with_clients(ctx)

    import_visits(ctx, CSV / "visits.csv", now=NOW)

    with Session(ctx.engine) as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "import.visits")).scalar_one()
    assert (entry.client_id, entry.detail) == (None, "visits.csv: 4 created, 0 updated, 0 unchanged")


def test_it_refuses_a_file_of_visits_for_an_empty_clinic(ctx):
    path = write_csv(
        ctx.data_dir, "client_external_id,starts_at,status\nC001,2026-03-03T10:00,booked\n", name="visits.csv"
    )

    report = import_visits(ctx, path, now=NOW)

    assert [str(problem) for problem in report.problems] == [
        f"{path}:2: client_external_id: no client 'C001' (import clients first)"
    ]
    assert visits(ctx) == []
