"""The front desk adds a client, edits contact details (checked as the importer checks), archives and restores."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from outreach.models import Client, ConsentEvent
from outreach.services import facts
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


def test_consent_given_on_the_add_form_is_recorded_with_its_source(desk):
    desk.sign_in_as("front_desk")
    form = desk.get("/clients/new").text

    added = desk.post(
        "/clients/new",
        {
            "first_name": "Cleo",
            "email": "cleo@example.com",
            "phone": "612 555 0177",
            "external_id": "SQ-3",
            "email_consent": "yes",
            "sms_consent": "yes",
            "consent_source": "intake-form",
        },
    )

    assert 'name="email_consent"' in form and 'name="sms_consent"' in form and 'name="consent_source"' in form
    assert added.status_code == 303
    client = by_external_id(desk.ctx, "SQ-3")
    assert (client.email_consent, client.sms_consent) == (True, True)
    with Session(desk.ctx.engine) as session:
        events = session.exec(select(ConsentEvent).where(ConsentEvent.client_id == client.id)).all()
    assert sorted((e.channel, e.source) for e in events) == [
        ("email", "dashboard:intake-form"),
        ("sms", "dashboard:intake-form"),
    ]


@pytest.mark.parametrize(
    "data, problem",
    [
        ({"sms_consent": "yes"}, "consent: say how the client gave it"),
        ({"email_consent": "yes", "consent_source": "phone"}, "consent: there is no email address on file"),
    ],
)
def test_consent_on_the_add_form_is_refused_without_a_source_or_an_address(desk, data, problem):
    desk.sign_in_as("front_desk")

    refused = desk.post("/clients/new", {"first_name": "Cleo", "phone": "612 555 0177", "external_id": "SQ-4", **data})

    assert refused.status_code == 400 and problem in page_text(refused)
    assert 'value="Cleo"' in refused.text and 'value="yes" checked' in refused.text
    assert by_external_id(desk.ctx, "SQ-4") is None


def test_the_add_form_will_not_grant_texts_over_the_numbers_stop(desk):
    desk.sign_in_as("front_desk")
    add_client(desk.ctx, "old", at=START - timedelta(days=9), phone="+16125550177", email=None)
    with Session(desk.ctx.engine, expire_on_commit=False) as session:
        old = session.exec(select(Client).where(Client.external_id == "old")).one()
        facts.record_consent(session, old, "sms", False, "sms-keyword", "client", at=START - timedelta(days=8))
        facts.suppress(session, "sms", "+16125550177", "Replied STOP", "sms-keyword", at=START - timedelta(days=8))
        session.commit()

    refused = desk.post(
        "/clients/new",
        {"first_name": "Cleo", "phone": "612 555 0177", "sms_consent": "yes", "consent_source": "in-person"},
    )

    assert refused.status_code == 400
    assert "consent: this number replied STOP on 2026-02-22" in page_text(refused)
    assert by_external_id(desk.ctx, "old") is not None and count_clients(desk.ctx) == 1


def count_clients(ctx) -> int:
    with Session(ctx.engine) as session:
        return len(session.exec(select(Client)).all())


def test_the_time_zone_is_chosen_from_a_list_with_us_zones_first_and_kept_after_an_error(desk, ann):
    form = desk.get("/clients/new").text
    refused = desk.post(f"/clients/{ann}/details", {"first_name": "Ann", "timezone": "America/Chicgo"})
    zones = re.findall(r'<option value="([^"]+)">', form.split('id="new-zones"')[1].split("</datalist>")[0])

    assert 'list="new-zones"' in form
    assert zones[:5] == [
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
    ]
    assert "Europe/Madrid" in zones and "Asia/Tokyo" in zones and len(zones) > 300
    assert not [zone for zone in zones if zone.startswith(("Etc/", "US/"))]
    assert refused.status_code == 400 and 'value="America/Chicgo"' in refused.text
    assert 'list="details-zones"' in refused.text
