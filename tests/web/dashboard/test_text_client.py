""" "Text this client": the front desk starts a conversation from a client's page, under the rules of a reply."""

from __future__ import annotations

from datetime import timedelta

import pytest

from outreach.models import Conversation
from outreach.services.unsubscribe import opt_out_address
from tests.conftest import utc
from tests.desk import Desk, audit_entries, page_text
from tests.helpers import add_client, change, count, load, messages

NOON = utc(2026, 3, 2, 20, 0)  # 14:00 in Minneapolis
NIGHT = utc(2026, 3, 3, 3, 0)  # 21:00 in Minneapolis: quiet hours
ANN = "+16125550100"


@pytest.fixture
def ann(ctx) -> int:
    return add_client(ctx, at=NOON - timedelta(days=30), phone=ANN)


def signed_in(ctx, at=NOON) -> Desk:  # noqa: ANN001
    return Desk(ctx, at).sign_in_as("front_desk")


def start(desk: Desk, client_id: int):  # noqa: ANN201
    return desk.post(f"/clients/{client_id}/text")


def test_it_opens_the_reply_form_on_a_new_conversation_and_the_text_goes(ctx, ann):
    desk = signed_in(ctx)
    assert "Text this client" in page_text(desk.get(f"/clients/{ann}"))
    response = start(desk, ann)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.endswith("#body")
    conversation = load(ctx, Conversation, int(location.split("/")[-1].split("#")[0]))
    assert (conversation.phone, conversation.client_id, conversation.needs_reply) == (ANN, ann, False)
    page = desk.get(location.split("#")[0])
    assert 'name="body"' in page.text and "Your text to Ann" in page_text(page)
    assert desk.post(f"/inbox/{conversation.id}/reply", {"body": "Hi Ann, a slot opened Friday."}).status_code == 303
    [row] = messages(ctx, stream="reply")
    assert (row.client_id, row.to_address, row.due_at, row.reason) == (ann, ANN, NOON, "")
    assert [e.client_id for e in audit_entries(ctx, "inbox.start")] == [ann]
    # Again: the same conversation, not a second one.
    assert start(desk, ann).headers["location"] == location


def test_an_unprompted_text_at_night_waits_for_the_morning(ctx, ann):
    desk = signed_in(ctx, NIGHT)
    conversation = start(desk, ann).headers["location"].split("#")[0]
    page = page_text(desk.get(conversation))
    assert "quiet hours" in page and "Queue reply" in page
    desk.post(f"{conversation}/reply", {"body": "Call us tomorrow?"})
    [row] = messages(ctx, stream="reply")
    assert row.due_at == utc(2026, 3, 3, 14, 0) and "quiet hours" in row.reason


def opt_out(session, client) -> None:  # noqa: ANN001
    opt_out_address(session, "sms", ANN, reason="Replied STOP", source="sms-keyword", actor="client", now=NOON)


@pytest.mark.parametrize(
    "details, later, reason",
    [
        ({"sms_consent": False}, None, "No SMS consent recorded for this client"),
        ({"phone": None}, None, "No phone number"),
        ({}, opt_out, "This number opted out of texts"),
    ],
)
def test_it_is_refused_without_consent_or_a_number_or_after_stop(ctx, details, later, reason):
    client = add_client(ctx, at=NOON, **details)
    if later:
        change(ctx, client, later)
    desk = signed_in(ctx)
    page = page_text(desk.get(f"/clients/{client}"))
    assert "Text this client" not in page and f"No text can be sent from here: {reason}" in page
    response = start(desk, client)
    assert response.headers["location"] == f"/clients/{client}"
    assert f"No text can be sent: {reason}" in page_text(desk.get(f"/clients/{client}"))
    assert count(ctx, Conversation) == 0


def test_on_a_shared_number_it_opens_the_conversation_with_this_client(ctx, ann):
    sam = add_client(ctx, "c2", at=NOON, first_name="Sam", phone=ANN)
    desk = signed_in(ctx)
    first = start(desk, ann).headers["location"]
    assert start(desk, sam).headers["location"] == first
    assert load(ctx, Conversation, int(first.split("/")[-1].split("#")[0])).client_id == sam
    assert "Your text to Sam" in page_text(desk.get(first.split("#")[0]))
    assert [e.client_id for e in audit_entries(ctx, "inbox.link")] == [sam]
