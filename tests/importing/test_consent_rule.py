"""The client importer keeps the one consent rule: a file never grants consent over the client's own opt-out,
and a file that tries imports nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from outreach.db import session_scope
from outreach.importing import store
from outreach.importing.files import import_clients
from outreach.models import Client
from outreach.services import facts
from outreach.services.unsubscribe import opt_in_address, unsubscribe_client
from tests.importing.test_clients import HEADER, NOW, clients_by_id, table_contents, write_csv

ANA = "C001,Ana,Lopez,ana@example.com,(415) 555-0101,,{email},{sms}\n"
ANA_NUMBER = "+14155550101"
STOPPED = "this number replied STOP on 2026-03-03; only the client's START re-opts in"


def stop_from(ctx, number: str = ANA_NUMBER, at=NOW + timedelta(days=1)) -> None:
    with Session(ctx.engine) as session:
        facts.suppress(session, "sms", number, "Replied STOP", "sms-keyword", at=at)
        session.commit()


def test_a_new_client_at_a_number_that_replied_stop_is_refused_and_nothing_imports(ctx):
    stop_from(ctx)
    path = write_csv(
        ctx.data_dir,
        HEADER + "C009,Zoe,Ng,zoe@example.com,212-555-0100,,yes,yes\n" + ANA.format(email="yes", sms="yes"),
    )
    before = table_contents(ctx)

    report = import_clients(ctx, path, now=NOW + timedelta(days=2))

    assert [str(problem) for problem in report.problems] == [f"{path}:3: sms_consent: {STOPPED}"]
    assert report.summary().endswith("nothing was imported.")
    assert table_contents(ctx) == before


def test_a_file_that_changes_its_mind_after_a_stop_is_refused(ctx):
    import_clients(ctx, write_csv(ctx.data_dir, HEADER + ANA.format(email="yes", sms="no")), now=NOW)
    stop_from(ctx)
    path = write_csv(ctx.data_dir, HEADER + ANA.format(email="yes", sms="yes"), name="later.csv")

    report = import_clients(ctx, path, now=NOW + timedelta(days=2), dry_run=True)
    written = import_clients(ctx, path, now=NOW + timedelta(days=2))

    assert [str(problem) for problem in report.problems] == [f"{path}:2: sms_consent: {STOPPED}"]
    assert [str(problem) for problem in written.problems] == [f"{path}:2: sms_consent: {STOPPED}"]
    assert clients_by_id(ctx)["C001"].sms_consent is False


def test_after_the_number_s_start_the_file_s_grant_imports(ctx):
    stop_from(ctx)
    with session_scope(ctx.engine) as session:
        opt_in_address(session, "sms", ANA_NUMBER, source="sms-keyword", actor="client", now=NOW + timedelta(days=2))
    path = write_csv(ctx.data_dir, HEADER + ANA.format(email="yes", sms="yes"))

    report = import_clients(ctx, path, now=NOW + timedelta(days=3))

    assert (report.problems, report.created) == ([], 1)
    assert clients_by_id(ctx)["C001"].sms_consent is True


def test_a_file_never_re_grants_email_the_client_unsubscribed_from(ctx, monkeypatch):
    monkeypatch.setattr(store, "SCAN_ABOVE", 1)  # the one-pass read of large imports keeps the rule too
    import_clients(ctx, write_csv(ctx.data_dir, HEADER + ANA.format(email="no", sms="no")), now=NOW)
    with session_scope(ctx.engine) as session:
        facts.record_consent(session, session.get(Client, 1), "email", True, "preferences-page", "client", at=NOW)
    with session_scope(ctx.engine) as session:
        ana = session.get(Client, 1)
        unsubscribe_client(
            session, ana, ["email"], source="unsubscribe-link", actor="client", now=NOW + timedelta(days=1)
        )
    path = write_csv(ctx.data_dir, HEADER + ANA.format(email="yes", sms="no"), name="later.csv")

    report = import_clients(ctx, path, now=NOW + timedelta(days=2))

    assert [str(problem) for problem in report.problems] == [
        f"{path}:2: email_consent: this address unsubscribed on 2026-03-03; only the client's own opt-in re-opts in"
    ]
    assert clients_by_id(ctx)["C001"].email_consent is False


@pytest.mark.parametrize("reason", ["bounce: bounce 550 no such user", "Invalid address (21211)"])
def test_an_address_that_only_bounced_may_be_granted_email(ctx, reason):
    with Session(ctx.engine) as session:
        facts.suppress(session, "email", "ana@example.com", reason, "provider", at=NOW)
        session.commit()

    report = import_clients(ctx, write_csv(ctx.data_dir, HEADER + ANA.format(email="yes", sms="no")), now=NOW)

    assert (report.problems, report.created) == ([], 1)
