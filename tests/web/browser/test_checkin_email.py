"""A check-in email opened on a phone: tap a number, confirm it on the page, and the answer is recorded."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from outreach.sending.compose import client_context
from outreach.models import Message, MessageStatus, ProgressEntry, utcnow
from outreach.services.clients import load_facts
from tests.web.browser.conftest import screenshot
from tests.helpers import add_client

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def checkin_email_html(site) -> tuple[int, str]:  # noqa: ANN001
    """A client we may only email, the check-in sent to them an hour ago, and its HTML as it was sent."""
    ctx, sent_at = site.ctx, utcnow() - timedelta(hours=1)
    client_id = add_client(ctx, "email-only", at=sent_at, first_name="Gia", email="gia@example.com", sms_consent=False)
    campaign = ctx.catalog.get("checkin")
    with Session(ctx.engine, expire_on_commit=False) as session:
        row = Message(
            key=f"{client_id}:checkin:pain-checkin:1",
            client_id=client_id,
            campaign="checkin",
            step="pain-checkin",
            cycle="1",
            stream="checkin",
            channel="email",
            to_address="gia@example.com",
            status=MessageStatus.sent,
            due_at=sent_at,
            sent_at=sent_at,
        )
        session.add(row)
        session.commit()
        client = load_facts(session, [client_id], ctx.settings)[client_id]
    context = client_context(ctx, client, "checkin", "email", "1", sent_at, 0, message_id=row.id)
    html = ctx.renderer.render(campaign, campaign.steps[0], "email", context).html
    return client_id, html.replace(ctx.settings.web.public_url, site.url)


def test_a_client_taps_an_answer_in_the_email_and_confirms_it_on_a_phone(site):
    client_id, html = checkin_email_html(site)
    page = site.page(viewport=PHONE)
    page.set_content(html)
    answers = page.locator("a.answer")

    assert answers.count() == 11
    boxes = [answers.nth(i).bounding_box() for i in range(11)]
    assert min(min(box["width"], box["height"]) for box in boxes) >= 44
    screenshot(page, "20-checkin-email-phone")

    answers.nth(4).click()
    page.wait_for_url(re.compile(r"/checkin/[^/]+/4$"))
    assert page.locator(".chosen").inner_text() == "4"
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    screenshot(page, "21-checkin-confirm-phone")
    page.set_viewport_size({"width": 1366, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    page.set_viewport_size(PHONE)
    with Session(site.ctx.engine) as session:
        assert session.exec(select(ProgressEntry).where(ProgressEntry.client_id == client_id)).all() == []

    page.get_by_role("button", name="Send my answer").click()
    page.wait_for_load_state()

    assert page.get_by_role("heading", name="Thank you, Gia").is_visible()
    assert page.console_errors == []
    screenshot(page, "22-checkin-done-phone")
    with Session(site.ctx.engine) as session:
        entries = session.exec(select(ProgressEntry).where(ProgressEntry.client_id == client_id)).all()
    assert [(e.pain, e.source) for e in entries] == [(4, "email-link")]
