"""The inbox in a real browser: a client's text reaches the front desk, who answers it through the outbox."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlmodel import Session, select
from twilio.request_validator import RequestValidator

from outreach.sending.dispatch import dispatch_due
from outreach.models import AuditEntry, Message, utcnow
from outreach.settings import Secrets
from tests.web.browser.conftest import screenshot

pytestmark = pytest.mark.browser
AUTH_TOKEN = "browser-twilio-token"
BO, MALLORY = "+16515550199", "+16125550177"
PHONE = {"width": 390, "height": 844}


def text_in(site, sender: str, body: str, sid: str) -> None:
    site.ctx.secrets = Secrets(twilio_auth_token=AUTH_TOKEN)
    path = "/webhooks/twilio/inbound"
    params = {"MessageSid": sid, "From": sender, "To": "+16125550000", "Body": body}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(site.ctx.settings.web.public_url + path, params)
    response = httpx.post(site.url + path, data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200, response.text


def replies(site) -> list[Message]:
    with Session(site.ctx.engine) as session:
        return list(session.exec(select(Message).where(Message.stream == "reply")))


def fits(page) -> bool:  # noqa: ANN001
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_front_desk_answers_a_text_from_the_inbox(site):
    text_in(site, BO, "Hi, can I move Thursday's massage to Friday?", "SMbrowser1")
    page = site.signed_in("frontdesk", start="/attention")
    assert page.get_by_role("heading", name="Needs attention").is_visible()
    assert page.locator("nav .count").first.inner_text() == "1"
    attention = page.get_by_role("region", name=re.compile("Texts waiting for a reply"))
    assert "move Thursday" in attention.inner_text()
    screenshot(page, "20-attention")

    attention.get_by_role("link", name="Bo").click()
    page.wait_for_url(re.compile(r"/inbox/\d+$"))
    assert "move Thursday" in page.locator(".thread").inner_text()
    box = page.get_by_label("Your text to Bo")
    counter = page.locator("#body-count")
    page.get_by_role("link", name="reschedule").click()
    assert box.input_value().startswith("No problem, Bo.")
    assert counter.inner_text().startswith("1 segment · GSM-7")
    box.fill("Friday at 2pm works, see you then! 🙂")
    assert "UCS-2" in counter.inner_text()
    box.fill("Friday at 2pm works, see you then! " * 14)
    assert "over the limit of 3" in counter.inner_text()
    box.fill("Friday at 2pm works, see you then!")
    assert counter.inner_text().startswith("1 segment")
    screenshot(page, "21-conversation")
    page.get_by_role("button", name=re.compile("Send reply|Queue reply")).click()
    assert "Reply queued" in page.locator(".flash").inner_text()

    [reply] = replies(site)
    assert reply.author == "frontdesk" and reply.body == "Northside Massage: Friday at 2pm works, see you then!"
    with Session(site.ctx.engine) as session:
        assert session.exec(
            select(AuditEntry).where(AuditEntry.action == "inbox.reply", AuditEntry.actor == "frontdesk")
        ).first()
    dispatch_due(site.ctx, max(utcnow(), reply.due_at))
    page.reload()
    outgoing = page.locator(".bubble-out", has_text="Friday at 2pm")
    assert "Reply from frontdesk" in outgoing.inner_text() and "sent" in outgoing.inner_text()
    assert page.console_errors == []

    phone = site.signed_in("frontdesk", start=page.url.replace(site.url, ""), viewport=PHONE)
    assert fits(phone)
    screenshot(phone, "22-conversation-phone")
    phone.goto("/inbox?show=all")
    assert fits(phone)
    screenshot(phone, "23-inbox-phone")


def test_a_number_that_opted_out_has_no_reply_form(site):
    text_in(site, MALLORY, "Where are you located?", "SMbrowser2")
    text_in(site, MALLORY, "STOP", "SMbrowser3")
    page = site.signed_in("frontdesk", start="/inbox?show=all")
    page.locator(".conversation a", has_text="alert(1)").click()
    page.wait_for_url(re.compile(r"/inbox/\d+$"))
    assert "opted out of texts" in page.locator(".reply").inner_text()
    assert page.locator("textarea[name=body]").count() == 0
    assert page.get_by_role("button", name=re.compile("Send reply|Queue reply")).count() == 0
    assert [r for r in replies(site) if r.to_address == MALLORY] == []
    screenshot(page, "24-opted-out")
