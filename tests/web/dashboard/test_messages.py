"""A message's page: why it was skipped, and the words it carried (a text's as sent, an email's rendered again)."""

from __future__ import annotations

from sqlmodel import Session

from outreach.models import Message
from outreach.sending.worker import tick
from outreach.web.dashboard.routes.campaigns import PREVIEW_POLICY
from tests.conftest import utc
from tests.desk import Desk, page_text
from tests.helpers import add_client, messages
from tests.web.dashboard.test_log import add_message

MONDAY = utc(2026, 3, 2, 17, 0)  # 11:00 in Chicago


def test_a_skipped_message_says_why_and_that_nothing_was_sent(desk):
    client_id = add_client(desk.ctx, at=MONDAY)
    skipped = add_message(desk.ctx, client_id, MONDAY, status="skipped", channel="sms", reason="No SMS consent")
    desk.sign_in_as("front_desk")

    page = page_text(desk.get(f"/messages/{skipped}"))

    assert "Nothing held it back" not in page
    assert "Why it was skipped No SMS consent" in page
    assert "It was skipped before sending, so no provider has reported on it: No SMS consent." in page
    assert "What it said Nothing: it was not sent." in page


def test_a_sent_text_shows_its_words_and_a_sent_email_links_to_its_copy_rendered_again(ctx):
    add_client(ctx, "c1", at=MONDAY, first_name="Rosa")
    add_client(ctx, "c2", at=MONDAY, first_name="Lu", email=None, phone="+16125550101")  # hears by text
    tick(ctx, MONDAY, record=False)
    sent = {m.channel: m for m in messages(ctx, status="sent")}
    assert set(sent) == {"email", "sms"}
    desk = Desk(ctx, now=MONDAY).sign_in_as("front_desk")

    text_page = desk.get(f"/messages/{sent['sms'].id}")
    email_page = desk.get(f"/messages/{sent['email'].id}")
    email = desk.get(f"/messages/{sent['email'].id}/email")

    assert "The text as sent." in page_text(text_page)
    assert f'<div class="sms-bubble" lang="en">{sent["sms"].body}</div>' in text_page.text
    assert f'href="/messages/{sent["email"].id}/email">Read the email as it would render now</a>' in email_page.text
    assert email.headers["Content-Security-Policy"] == PREVIEW_POLICY
    assert "As it would render now" in page_text(email)
    assert "Rosa" in email.text and 'sandbox srcdoc="' in email.text
    assert desk.get(f"/messages/{sent['sms'].id}/email").status_code == 404  # a text has no email page


def test_marketing_reads_a_test_s_words_but_not_a_client_s(ctx):
    add_client(ctx, at=MONDAY)
    tick(ctx, MONDAY, record=False)
    [client_email] = [m for m in messages(ctx) if m.channel == "email"]
    with Session(ctx.engine) as session:
        words = {"subject": "Hello there", "text": "Plain words", "html": "<p>Kept words</p>", "headers": {}}
        test = Message(
            key="test:1",
            client_id=None,
            campaign="education",
            step="pain-cycle",
            cycle="test",
            stream="education",
            channel="email",
            to_address="mia@example.com",
            status="planned",
            due_at=MONDAY,
            is_test=True,
            rendered=words,
        )
        session.add(test)
        session.commit()
        test_id = test.id
    desk = Desk(ctx, now=MONDAY).sign_in_as("marketing")

    assert "Read the email as queued" in desk.get(f"/messages/{test_id}").text
    kept = desk.get(f"/messages/{test_id}/email")
    assert "these are the words kept with it" in page_text(kept) and "Kept words" in kept.text
    assert "Its words are client data" in page_text(desk.get(f"/messages/{client_email.id}"))
    assert desk.get(f"/messages/{client_email.id}/email").status_code == 404
