"""The front desk adds a client, edits contact details (checked as the importer checks), archives and restores."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from outreach.models import Client
from tests.helpers import add_client, load
from tests.desk import START, audit_entries, page_text


@pytest.fixture
def ann(desk) -> int:
    client_id = add_client(desk.ctx, at=START - timedelta(days=30), first_name="Ann")
    desk.sign_in_as("front_desk")
    return client_id


def by_external_id(ctx, external_id: str) -> Client | None:
    with Session(ctx.engine) as session:
        return session.exec(select(Client).where(Client.external_id == external_id)).first()


def test_the_desk_adds_a_client_without_consent_and_it_is_audited(desk):
    desk.sign_in_as("front_desk")
    form = desk.get("/clients/new")

    added = desk.post(
        "/clients/new",
        {
            "first_name": "Cleo",
            "last_name": "Ng",
            "email": "cleo@example.com",
            "phone": "612 555 0177",
            "external_id": "SQ-1",
        },
    )

    assert form.status_code == 200 and "Add a client" in form.text
    assert added.status_code == 303
    client = by_external_id(desk.ctx, "SQ-1")
    assert (client.phone, client.email_consent, client.sms_consent) == ("+16125550177", False, False)
    assert added.headers["location"] == f"/clients/{client.id}"
    assert [(e.actor, e.client_id) for e in audit_entries(desk.ctx, "client.create")] == [("frontdesk", client.id)]


def test_a_bad_new_client_is_refused_with_the_importer_s_reason_and_nothing_is_saved(desk):
    desk.sign_in_as("front_desk")

    refused = desk.post("/clients/new", {"first_name": "Cleo", "phone": "555", "external_id": "SQ-2"})

    assert refused.status_code == 400
    assert "phone: not a phone number" in page_text(refused) or "phone: not a valid phone number" in page_text(refused)
    assert 'value="Cleo"' in refused.text
    assert by_external_id(desk.ctx, "SQ-2") is None


def test_an_existing_id_is_not_overwritten_by_adding(desk, ann):
    refused = desk.post("/clients/new", {"first_name": "Other", "email": "o@example.com", "external_id": "c1"})

    assert refused.status_code == 400
    assert "already a client's id" in page_text(refused)
    assert load(desk.ctx, Client, ann).first_name == "Ann"


def test_the_desk_edits_contact_details_and_time_zone(desk, ann):
    saved = desk.post(
        f"/clients/{ann}/details",
        {
            "first_name": "Ann",
            "last_name": "Lee",
            "email": "ann@example.com",
            "phone": "(612) 555-0199",
            "timezone": "America/Denver",
        },
    )

    client = load(desk.ctx, Client, ann)
    assert saved.status_code == 303
    assert (client.last_name, client.phone, client.timezone) == ("Lee", "+16125550199", "America/Denver")
    entries = audit_entries(desk.ctx, "client.update")
    assert [(e.actor, e.detail) for e in entries] == [("frontdesk", "last_name, phone, timezone")]


def test_a_bad_edit_changes_nothing_and_names_the_field(desk, ann):
    refused = desk.post(
        f"/clients/{ann}/details", {"first_name": "Ann", "email": "", "phone": "", "timezone": "Mars/Olympus"}
    )

    text = page_text(refused)
    assert refused.status_code == 400
    assert "timezone: unknown IANA time zone" in text
    assert "a client needs an email address or a phone number" in text
    assert load(desk.ctx, Client, ann).email == "ann@example.com"


def test_the_desk_archives_and_restores_a_client(desk, ann):
    archived = desk.post(f"/clients/{ann}/status", {"status": "archived"})
    page = desk.get(f"/clients/{ann}")
    status_after_archive = load(desk.ctx, Client, ann).status
    desk.post(f"/clients/{ann}/status", {"status": "active"})

    assert archived.status_code == 303
    assert status_after_archive == "archived"
    assert "Restore client" in page.text and "Client archived" in page.text
    assert load(desk.ctx, Client, ann).status == "active"
    assert [e.detail for e in audit_entries(desk.ctx, "client.status")] == ["archived", "active"]


def test_an_admin_sees_api_keys_and_revokes_one(desk):
    from outreach.services import api_keys

    with Session(desk.ctx.engine) as session:
        api_keys.create_key(session, "booking-sync", ["facts:write"], "test")
        session.commit()
    desk.sign_in_as("admin")

    listed = page_text(desk.get("/users"))
    revoked = desk.post("/api-keys/booking-sync/revoke")

    assert "booking-sync" in listed and "facts:write" in listed and "never" in listed
    assert revoked.status_code == 303
    assert "revoked" in page_text(desk.get("/users"))
    assert [(e.actor, e.detail) for e in audit_entries(desk.ctx, "api_key.revoke")] == [("admin", "booking-sync")]


def test_the_front_desk_cannot_revoke_api_keys(desk):
    desk.sign_in_as("front_desk")

    assert desk.post("/api-keys/booking-sync/revoke").status_code == 403
