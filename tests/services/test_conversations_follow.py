"""Conversations follow the client: a number that texted before it was anyone's links to the client added at it,
through every door (dashboard, API, CSV import), and to the client whose number changes to it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from outreach.importing.files import import_clients
from outreach.models import Client, Conversation
from outreach.services import conversations, facts
from tests.desk import page_text
from tests.helpers import add_client, change, load
from tests.services import test_inbox
from tests.services.test_inbox import NOON, conversation_id, text_in
from tests.web.api.test_api import bearer, make_key

# The inbox's front desk, signed in, with Twilio's signing secret set.
desk = test_inbox.desk

STRANGER = "+16125550142"
UNKNOWN = "No client has this number"


@pytest.fixture
def waiting(desk) -> int:
    """A text from a number no client has yet: its conversation's id."""
    text_in(desk, "Hi, I'd like to book my first massage", sender=STRANGER)
    cid = conversation_id(desk.ctx, STRANGER)
    assert load(desk.ctx, Conversation, cid).client_id is None
    assert UNKNOWN in page_text(desk.get(f"/inbox/{cid}"))
    return cid


def linked_to(ctx, cid: int) -> int | None:
    return load(ctx, Conversation, cid).client_id


def test_a_client_added_on_the_dashboard_takes_their_waiting_conversation_at_once(desk, waiting):
    form = {"first_name": "Dee", "phone": "612-555-0142", "email": "dee@example.com"}
    response = desk.post("/clients/new", form)
    assert response.status_code == 303, page_text(response)
    client_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert linked_to(desk.ctx, waiting) == client_id
    page = page_text(desk.get(f"/inbox/{waiting}"))
    assert UNKNOWN not in page and "Dee" in page
    assert "No SMS consent" in page  # the next step is the consent, as for any client


def test_a_client_added_through_the_api_takes_it(desk, ctx, waiting):
    headers = bearer(make_key(ctx))
    record = {"external_id": "B7", "first_name": "Dee", "phone": "(612) 555-0142"}
    response = desk.http.post("/api/v1/clients", json={"records": [record]}, headers=headers)
    assert response.status_code == 200, response.text
    assert linked_to(ctx, waiting) == response.json()["ids"][0]


def test_a_client_imported_from_a_file_takes_it(ctx, waiting, tmp_path):
    path = tmp_path / "clients.csv"
    path.write_text("external_id,first_name,email,phone\nB8,Dee,,612-555-0142\nB9,Eve,eve@example.com,\n")
    report = import_clients(ctx, path, now=NOON)
    assert (report.problems, report.created) == ([], 2)
    with Session(ctx.engine) as session:
        dee = session.exec(select(Client.id).where(Client.external_id == "B8")).one()
    assert linked_to(ctx, waiting) == dee


def test_a_client_whose_number_changes_takes_the_conversation_there_and_leaves_the_old_one(desk, ctx, waiting):
    old = "+16125550100"
    ann = add_client(ctx, at=NOON - timedelta(days=30), phone=old)
    text_in(desk, "Thanks!", sender=old, sid="SMold")
    at_old = conversation_id(ctx, old)
    assert linked_to(ctx, at_old) == ann
    response = desk.post(f"/clients/{ann}/details", {"first_name": "Ann", "phone": "612-555-0142"})
    assert response.status_code == 303, page_text(response)
    assert linked_to(ctx, waiting) == ann
    assert linked_to(ctx, at_old) is None  # nobody is at the old number now: replies there would reach Ann's new one


def test_a_shared_number_keeps_the_client_the_front_desk_picked(desk, ctx):
    ann = add_client(ctx, at=NOON, phone=STRANGER)
    text_in(desk, "This is Sam, can I book?", sender=STRANGER)
    cid = conversation_id(ctx, STRANGER)
    sam = add_client(ctx, "c2", at=NOON, first_name="Sam", phone="+16125550199")
    with_number = {"first_name": "Sam", "phone": STRANGER}
    change(ctx, sam, lambda session, client: facts.save_client(session, client.external_id, with_number, "test"))
    assert linked_to(ctx, cid) == ann  # several clients now: the first stays until the desk picks
    desk.post(f"/inbox/{cid}/client", {"client_id": str(sam)})
    tom = {"first_name": "Tom", "phone": STRANGER}
    change(ctx, ann, lambda session, client: facts.save_client(session, "c3", tom, "test"))
    assert linked_to(ctx, cid) == sam
    with Session(ctx.engine) as session:
        assert len(conversations.clients_for(session, session.get(Conversation, cid))) == 3


def test_several_clients_added_at_once_link_the_first_as_an_inbound_text_would(ctx, waiting, tmp_path):
    path = tmp_path / "clients.csv"
    path.write_text("external_id,first_name,email,phone\nB8,Dee,,612-555-0142\nB9,Sam,,612-555-0142\n")
    assert import_clients(ctx, path, now=NOON).created == 2
    with Session(ctx.engine) as session:
        first = session.exec(select(func.min(Client.id)).where(Client.phone == STRANGER)).one()
    assert linked_to(ctx, waiting) == first
