"""In Chromium, at phone and laptop width: a possible opt-out on the attention list says its number's texts are
held, since when and how many; the conversation says so beside the decision; "Text this client" on a client's
page opens the reply form."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session

from outreach.models import Message, utcnow
from outreach.policy.consent import held_reason
from outreach.services.holds import held_numbers
from tests.web.browser.conftest import screenshot
from tests.web.browser.test_inbox import text_in

pytestmark = pytest.mark.browser
ANN = "+16125550100"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def held(site) -> None:
    """Ann's number sent a text that may ask to stop; one check-in by text waits on the decision."""
    text_in(site, ANN, "Why do you keep texting me?", "SMheld1")
    with Session(site.ctx.engine) as session:
        since = held_numbers(session, [ANN])[ANN]
        now = utcnow()
        session.add(
            Message(
                key="held-checkin",
                client_id=site.clients["ann"],
                campaign="checkin",
                step="pain-checkin",
                cycle="1",
                stream="checkin",
                channel="sms",
                to_address=ANN,
                due_at=now,
                reason=held_reason(since),
                created_at=now,
                updated_at=now,
            )
        )
        session.commit()


def fits(page) -> bool:  # noqa: ANN001
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", VIEWPORTS)
def test_the_attention_list_and_the_conversation_say_the_texts_are_held(site, held, width):
    page = site.signed_in("frontdesk", start="/attention", viewport=VIEWPORTS[width])
    item = page.get_by_role("region", name=re.compile("May be asking to stop texts"))
    assert "Automated texts to these numbers are held" in item.inner_text()
    held_line = item.locator(".held")
    assert held_line.is_visible() and re.search(r"Texts held since .+ · 1 text waiting", held_line.inner_text())
    assert fits(page)
    screenshot(page, f"30-attention-held-{width}")

    item.get_by_role("link", name="Ann").click()
    page.wait_for_url(re.compile(r"/inbox/\d+$"))
    decision = page.get_by_role("region", name="Is this a request to stop texts?")
    assert "Automated texts to this number are held" in decision.inner_text()
    assert "1 text waiting" in decision.inner_text()
    keep = decision.get_by_role("button", name="Keep the number")
    assert keep.is_visible() and decision.get_by_role("button", name="Opt this number out").is_visible()
    assert "held" in keep.evaluate("b => document.getElementById(b.getAttribute('aria-describedby')).innerText")
    assert fits(page)
    screenshot(page, f"31-conversation-held-{width}")
    assert page.console_errors == []


@pytest.mark.parametrize("width", VIEWPORTS)
def test_text_this_client_opens_the_reply_form(site, width):
    page = site.signed_in("frontdesk", start=f"/clients/{site.clients['bo']}", viewport=VIEWPORTS[width])
    button = page.get_by_role("button", name="Text this client")
    assert button.is_visible() and fits(page)
    screenshot(page, f"32-client-text-button-{width}")

    button.click()
    page.wait_for_url(re.compile(r"/inbox/\d+#body$"))
    box = page.get_by_label("Your text to Bo")
    assert box.is_visible() and box.is_editable()
    assert fits(page)
    screenshot(page, f"33-started-conversation-{width}")
    assert page.console_errors == []
