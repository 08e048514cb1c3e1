"""Erase a client on request: no personal data left anywhere, the STOP kept, the audit silent on what went."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, SQLModel, select

from outreach.models import Client, Message, Suppression
from outreach.services import facts
from tests.helpers import add_client, change, load
from tests.desk import START, audit_entries

NAME, EMAIL, PHONE = "Zelda", "zelda.q@example.com", "+16125550177"


@pytest.fixture
def zelda(desk) -> int:
    ctx = desk.ctx
    client_id = add_client(ctx, "ZQ-9", at=START - timedelta(days=40), first_name=NAME, email=EMAIL, phone=PHONE)
    change(ctx, client_id, facts.record_visit, START - timedelta(days=20), "attended", "test")
    change(ctx, client_id, facts.record_progress, START - timedelta(days=20), 7, "test")
    with Session(ctx.engine) as session:
        session.add(
            Message(
                key="m1",
                client_id=client_id,
                campaign="welcome",
                step="one",
                cycle="1",
                stream="education",
                channel="sms",
                to_address=PHONE,
                status="sent",
                due_at=START,
                body=f"Hi {NAME}",
            )
        )
        facts.suppress(session, "sms", PHONE, "STOP reply", "sms-keyword")
        session.commit()
    desk.sign_in_as("front_desk")
    return client_id


def every_value(ctx) -> str:
    with ctx.engine.connect() as conn:
        return "\n".join(
            repr(tuple(row))
            for table in SQLModel.metadata.sorted_tables
            if table.name != "suppression"
            for row in conn.execute(table.select())
        )


def test_erasing_leaves_no_personal_data_but_keeps_the_stop(desk, zelda):
    before = every_value(desk.ctx)

    unconfirmed = desk.post(f"/clients/{zelda}/erase", {})
    erased = desk.post(f"/clients/{zelda}/erase", {"confirm": "yes"})

    after = every_value(desk.ctx)
    assert NAME in before and EMAIL in before
    assert unconfirmed.status_code == 400
    assert erased.status_code == 303
    for personal in (NAME, EMAIL, PHONE, "ZQ-9", "zelda"):
        assert personal not in after, personal
    with Session(desk.ctx.engine) as session:
        message = session.exec(select(Message)).one()
        assert (message.to_address, message.body, message.status) == ("+1***77", None, "sent")
        assert facts.is_suppressed(session, "sms", PHONE)
        assert session.exec(select(Suppression.reason)).all() == ["STOP reply"]
    client = load(desk.ctx, Client, zelda)
    assert (client.status, client.email_consent, client.sms_consent) == ("archived", False, False)
    assert [(e.actor, e.client_id, e.detail) for e in audit_entries(desk.ctx, "client.erase")] == [
        ("frontdesk", zelda, "")
    ]
