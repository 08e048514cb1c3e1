"""`outreach import progress`: pain scores and PEG items, once per client and moment, never in the audit trail."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from outreach.importing.files import import_clients, import_progress
from outreach.models import AuditEntry, Client, ProgressEntry
from tests.conftest import utc
from tests.importing.test_clients import CSV, LATER, NOW, table_contents, write_csv


def entries(ctx) -> list[tuple]:
    with Session(ctx.engine) as session:
        rows = session.execute(
            select(
                Client.external_id,
                ProgressEntry.recorded_at,
                ProgressEntry.pain,
                ProgressEntry.peg_enjoyment,
                ProgressEntry.peg_activity,
                ProgressEntry.source,
            )
            .join(Client, Client.id == ProgressEntry.client_id)
            .order_by(ProgressEntry.id)
        )
        return [tuple(row) for row in rows]


def with_clients(ctx) -> None:
    assert import_clients(ctx, CSV / "clients.csv", now=NOW).ok


def test_it_records_scores_at_the_moment_given_in_the_clients_zone(ctx):
    with_clients(ctx)

    report = import_progress(ctx, CSV / "progress.csv", now=NOW)

    assert (report.problems, report.created) == ([], 3)
    assert entries(ctx) == [
        ("C001", utc(2026, 2, 23, 18), 7, 6, 5, "import"),
        ("C001", utc(2026, 3, 2, 8), 5, None, None, "import"),  # a bare date: midnight in Los Angeles
        ("C002", utc(2026, 2, 24, 14, 15), 8, 7, 8, "import"),
    ]


def test_it_changes_nothing_when_the_same_file_is_imported_again(ctx):
    with_clients(ctx)
    import_progress(ctx, CSV / "progress.csv", now=NOW)
    before = table_contents(ctx)

    report = import_progress(ctx, CSV / "progress.csv", now=LATER)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert table_contents(ctx) == before


def test_it_updates_a_changed_score_and_keeps_peg_items_a_file_leaves_out(ctx):
    with_clients(ctx)
    import_progress(ctx, CSV / "progress.csv", now=NOW)

    report = import_progress(ctx, CSV / "progress_pain_only.csv", now=LATER)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    assert entries(ctx)[0] == ("C001", utc(2026, 2, 23, 18), 6, 6, 5, "import")


def test_it_lists_every_problem_and_imports_nothing(ctx):
    with_clients(ctx)
    import_progress(ctx, CSV / "progress.csv", now=NOW)
    before = table_contents(ctx)
    path = CSV / "progress_bad.csv"

    report = import_progress(ctx, path, now=NOW)

    assert [str(problem) for problem in report.problems] == [
        f"{path}:2: pain: expected a whole number from 0 to 10, got '11'",
        f"{path}:3: pain: expected a whole number from 0 to 10, got '7.5'",
        f"{path}:4: pain: required, but empty",
        f"{path}:5: peg_enjoyment: expected a whole number from 0 to 10, got '12'",
        f"{path}:5: peg_activity: expected a whole number from 0 to 10, got '-1'",
        f"{path}:6: recorded_at: 2026-03-09 17:00 UTC is in the future",
        f"{path}:7: client_external_id: no client 'C404' (import clients first)",
        f"{path}:9: recorded_at: same client and time as line 8",
        f"{path}:10: recorded_at: expected an ISO-8601 date and time such as 2026-03-02T09:30 or "
        "2026-03-02T09:30-06:00, got 'yesterday'",
    ]
    assert table_contents(ctx) == before


def test_it_writes_nothing_on_a_dry_run(ctx):
    with_clients(ctx)
    before = table_contents(ctx)

    report = import_progress(ctx, CSV / "progress.csv", now=NOW, dry_run=True)

    assert report.created == 3
    assert table_contents(ctx) == before


def test_it_keeps_scores_out_of_the_audit_trail(ctx):
    with_clients(ctx)

    import_progress(ctx, CSV / "progress.csv", now=NOW)

    with Session(ctx.engine) as session:
        details = session.execute(select(AuditEntry.detail).where(AuditEntry.action == "import.progress")).all()
    assert details == [("progress.csv: 3 created, 0 updated, 0 unchanged",)]


def test_it_reads_the_peg_columns_in_any_case_and_order(ctx):
    with_clients(ctx)
    path = write_csv(
        ctx.data_dir,
        " PEG_Activity ,Pain,Recorded_At,Client_External_ID\n3,4,2026-02-20T10:00Z,C002\n",
        name="progress.csv",
    )

    report = import_progress(ctx, path, now=NOW)

    assert report.problems == []
    assert entries(ctx) == [("C002", utc(2026, 2, 20, 10), 4, None, 3, "import")]
