"""The inbox and the client's page suggest switching a client whose texts read as another served language (one
click, CSRF-checked, audited; never by itself), and the thread tags each message not in the default language."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select
from twilio.request_validator import RequestValidator

from outreach.models import Client, Conversation, Message
from outreach.settings import Secrets
from tests.conftest import utc
from tests.desk import Desk, audit_entries, page_text
from tests.helpers import add_client, load

AUTH_TOKEN = "test-twilio-auth-token"
ANN = "+16125550100"
NOON = utc(2026, 3, 2, 20, 0)
SPANISH = "Hola, ¿puedo cambiar mi cita del jueves para el viernes?"
SUGGESTION = "Texts from Ann read as Spanish; messages go out in English."


@pytest.fixture
def desk(ctx) -> Desk:
    ctx.secrets = Secrets(twilio_auth_token=AUTH_TOKEN)
    return Desk(ctx, NOON).sign_in_as("front_desk")


@pytest.fixture
def ann(ctx) -> int:
    return add_client(ctx, at=NOON - timedelta(days=30), first_name="Ann", phone=ANN)


def text_in(desk: Desk, body: str, sid: str, sender: str = ANN) -> None:
    params = {"MessageSid": sid, "From": sender, "To": "+16125550000", "Body": body}
    path = "/webhooks/twilio/inbound"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(desk.ctx.settings.web.public_url + path, params)
    assert desk.http.post(path, data=params, headers={"X-Twilio-Signature": signature}).status_code == 200


def thread_path(ctx) -> str:
    with Session(ctx.engine) as session:
        return f"/inbox/{session.exec(select(Conversation.id).where(Conversation.phone == ANN)).one()}"


def switch_form(page) -> dict[str, str]:  # noqa: ANN001
    form = re.search(r'<form class="callout language-suggestion".*?</form>', page.text, re.S).group(0)
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))


def test_a_spanish_text_suggests_spanish_on_the_thread_and_the_client_page(ctx, desk, ann):
    text_in(desk, SPANISH, "SM1")
    thread = desk.get(thread_path(ctx))
    assert SUGGESTION in page_text(thread) and "Switch to Spanish" in page_text(thread)
    assert f'action="/clients/{ann}/switch-language"' in thread.text
    client_page = desk.get(f"/clients/{ann}")
    assert SUGGESTION in page_text(client_page) and "Switch to Spanish" in page_text(client_page)
    # It only suggests.
    assert load(ctx, Client, ann).language == "en" and audit_entries(ctx, "client.language") == []


@pytest.mark.parametrize("body", ["Can I move Thursday to Friday afternoon please?", "ok", "7", "STOP"])
def test_english_or_a_text_that_says_nothing_suggests_nothing(ctx, desk, ann, body):
    text_in(desk, body, "SM1")
    assert "read as" not in page_text(desk.get(thread_path(ctx)))
    assert "read as" not in page_text(desk.get(f"/clients/{ann}"))


def test_one_click_switches_records_who_and_when_and_returns_to_the_thread(ctx, desk, ann):
    text_in(desk, SPANISH, "SM1")
    path = thread_path(ctx)
    form = switch_form(desk.get(path))
    response = desk.post(f"/clients/{ann}/switch-language", form)
    assert response.status_code == 303 and response.headers["location"] == path
    assert load(ctx, Client, ann).language == "es"
    [entry] = audit_entries(ctx, "client.language")
    assert (entry.actor, entry.client_id, entry.at.replace(tzinfo=None)) == (
        "frontdesk",
        ann,
        NOON.replace(tzinfo=None),
    )
    page = page_text(desk.get(path))
    assert "Messages to Ann now go out in Spanish." in page and "read as" not in page


def test_from_the_client_page_it_returns_to_the_client_page(ctx, desk, ann):
    text_in(desk, SPANISH, "SM1")
    form = switch_form(desk.get(f"/clients/{ann}"))
    assert "conversation_id" not in form
    response = desk.post(f"/clients/{ann}/switch-language", form)
    assert response.headers["location"] == f"/clients/{ann}" and load(ctx, Client, ann).language == "es"


def test_without_the_csrf_token_nothing_switches(ctx, desk, ann):
    text_in(desk, SPANISH, "SM1")
    response = desk.post(f"/clients/{ann}/switch-language", {"language": "es"}, csrf=False)
    assert response.status_code == 403 and load(ctx, Client, ann).language == "en"


def test_a_language_not_served_is_refused_and_nothing_changes(ctx, desk, ann):
    response = desk.post(f"/clients/{ann}/switch-language", {"language": "fr"})
    assert response.status_code == 303
    assert "unknown language 'fr'" in page_text(desk.get(response.headers["location"]))
    assert load(ctx, Client, ann).language == "en" and audit_entries(ctx, "client.language") == []


def test_other_roles_cannot_switch(ctx, ann):
    marketing = Desk(ctx, NOON).sign_in_as("marketing")
    assert marketing.post(f"/clients/{ann}/switch-language", {"language": "es"}).status_code == 403
    assert load(ctx, Client, ann).language == "en"


def add_text_out(ctx, client_id: int, body: str, language: str, minutes: int) -> None:  # noqa: ANN001
    at = NOON - timedelta(minutes=minutes)
    with Session(ctx.engine) as session:
        session.add(
            Message(
                key=f"{client_id}:out:{minutes}",
                client_id=client_id,
                campaign="rebook",
                step="nudge",
                cycle="0",
                stream="rebook",
                channel="sms",
                status="sent",
                due_at=at,
                sent_at=at,
                created_at=at,
                updated_at=at,
                to_address=ANN,
                body=body,
                language=language,
            )
        )
        session.commit()


def bubble(page, words: str) -> str:  # noqa: ANN001
    return re.search(rf'<li class="bubble[^"]*">(?:(?!</li>).)*{re.escape(words)}.*?</li>', page.text, re.S).group(0)


def test_the_thread_tags_each_message_not_in_the_default_language(ctx, desk, ann):
    add_text_out(ctx, ann, "Northside Massage: time to book again?", "en", 90)
    add_text_out(ctx, ann, "Northside Massage: ¿le reservamos otra cita?", "es", 60)
    text_in(desk, SPANISH, "SM1")
    text_in(desk, "Thursday afternoon would suit me better", "SM2")
    page = desk.get(thread_path(ctx))
    spanish_out, spanish_in = bubble(page, "reservamos"), bubble(page, "cambiar mi cita")
    english_out, english_in = bubble(page, "time to book"), bubble(page, "Thursday afternoon")
    for spanish in (spanish_out, spanish_in):
        assert 'class="badge badge-language"' in spanish and ">ES<" in spanish and 'lang="es"' in spanish
    for english in (english_out, english_in):
        assert "badge-language" not in english
