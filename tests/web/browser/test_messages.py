"""A message's page in Chromium, at a laptop's width and a phone's: a skipped one says why, a sent email links to
its words rendered again; and the staff page where a member sets the contact details their test sends may go to."""

from __future__ import annotations

from sqlmodel import Session, select

from outreach.models import Message
from tests.web.browser.conftest import screenshot

PHONE = {"width": 390, "height": 844}


def message_id(site, status: str, channel: str) -> int:
    with Session(site.ctx.engine) as session:
        return session.exec(
            select(Message.id).where(Message.status == status, Message.channel == channel, Message.is_test.is_(False))
        ).first()


def test_message_pages_and_the_contact_form_read_at_both_widths(site):
    skipped, delivered = message_id(site, "skipped", "email"), message_id(site, "delivered", "email")
    for name, viewport in (("laptop", None), ("phone", PHONE)):
        page = site.signed_in("admin", f"/messages/{skipped}", viewport=viewport)
        text = page.locator("main").inner_text()
        assert "Nothing held it back" not in text and "Why it was skipped" in text
        assert "It was skipped before sending, so no provider has reported on it: No email consent." in text
        screenshot(page, f"31-message-skipped-{name}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        page.goto(f"/messages/{delivered}")
        page.get_by_role("link", name="Read the email as it would render now").click()
        page.frame_locator("iframe.email-preview").locator("body p").first.wait_for()
        assert "As it would render now" in page.locator("main").inner_text()
        screenshot(page, f"31-message-email-{name}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        page.goto("/users")
        page.get_by_label("Your email").fill("admin@example.com")
        page.get_by_label("Your mobile number").fill("(612) 555-0142")
        page.get_by_role("button", name="Save your contact details").click()
        page.get_by_text("Your contact details are saved").wait_for()
        screenshot(page, f"31-staff-contact-{name}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert page.console_errors == []
