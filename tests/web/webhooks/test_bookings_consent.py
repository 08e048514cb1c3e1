"""Booking systems never change consent: a Square customer update or a signed client record changes the
client's details, never their consent on either channel, whatever the booking system says about marketing."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from outreach.models import Client, ConsentEvent
from outreach.settings import Secrets
from tests.conftest import make_settings
from tests.helpers import add_client, count, web_client
from tests.web.webhooks import test_bookings_signed as signed_hook
from tests.web.webhooks import test_bookings_square as square_hook

SQUARE_ID = "A0AP3YXD5H3N7BCWQF4E1RZ4K0"


@pytest.fixture
def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path, web={"public_url": square_hook.PUBLIC_URL})


@pytest.fixture
def web(ctx, monkeypatch):
    monkeypatch.setenv("OUTREACH_BOOKINGS_SECRET_ACME_BOOK", signed_hook.SECRET)
    ctx.secrets = Secrets(square_webhook_signature_key=square_hook.KEY)
    with web_client(ctx, square_hook.NOW) as client:
        yield client


def consent(ctx, external_id: str) -> tuple[bool, bool]:
    with Session(ctx.engine) as session:
        client = session.exec(select(Client).where(Client.external_id == external_id)).one()
        return client.email_consent, client.sms_consent


@pytest.mark.parametrize("consented", [True, False])
def test_a_square_customer_update_never_changes_consent(ctx, web, consented):
    add_client(ctx, SQUARE_ID, at=square_hook.NOW, email_consent=consented, sms_consent=consented)
    events = count(ctx, ConsentEvent)
    update = square_hook.customer_event(
        "e-cust-2",
        "customer.updated",
        phone_number="1-612-555-4241",
        preferences={"email_unsubscribed": consented},
        version=1,
    )

    response = square_hook.deliver(web, update)

    assert response.status_code == 200, response.text
    assert consent(ctx, SQUARE_ID) == (consented, consented)
    assert count(ctx, ConsentEvent) == events


def test_a_signed_client_record_never_changes_consent(ctx, web):
    add_client(ctx, "AC-7", at=signed_hook.NOW, email="old@example.com")
    events = count(ctx, ConsentEvent)

    response = signed_hook.deliver(web, signed_hook.CLIENT)

    assert response.json() == {"outcome": "updated 1"}
    assert consent(ctx, "AC-7") == (True, True)
    assert count(ctx, ConsentEvent) == events
