"""The language suggestion in Chromium: a Spanish text from an English-set client shows the suggestion on the thread
and the client's page at phone and laptop width (axe-core clean, nothing scrolls sideways), and one click
switches."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlmodel import Session
from twilio.request_validator import RequestValidator

from outreach.models import Client
from outreach.settings import Secrets
from tests.web.browser.conftest import screenshot

pytestmark = pytest.mark.browser
AUTH_TOKEN = "browser-twilio-token"
BO = "+16515550199"
PHONE, LAPTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 800}
SUGGESTION = "Texts from Bo read as Spanish; messages go out in English."


def text_in(site, sender: str, body: str, sid: str) -> None:  # noqa: ANN001
    site.ctx.secrets = Secrets(twilio_auth_token=AUTH_TOKEN)
    path = "/webhooks/twilio/inbound"
    params = {"MessageSid": sid, "From": sender, "To": "+16125550000", "Body": body}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(site.ctx.settings.web.public_url + path, params)
    response = httpx.post(site.url + path, data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200, response.text


def check(page, name: str) -> None:  # noqa: ANN001
    """The suggestion passes axe-core, the page does not scroll sideways; and a screenshot."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page, context=".language-suggestion", options={"runOnly": ["wcag2a", "wcag2aa", "best-practice"]}
    )
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    assert page.console_errors == []
    screenshot(page, name)


def test_a_spanish_text_is_suggested_at_both_widths_and_one_click_switches(site):
    bo = site.clients["bo"]
    text_in(site, BO, "Buenas tardes, ¿puedo cambiar mi cita del jueves para el viernes?", "SMlang1")
    for viewport in (PHONE, LAPTOP):
        width = viewport["width"]
        page = site.signed_in("frontdesk", start="/inbox", viewport=viewport)
        page.get_by_role("link", name=re.compile("Bo")).first.click()
        page.wait_for_url(re.compile(r"/inbox/\d+$"))
        suggestion = page.locator(".language-suggestion")
        assert suggestion.inner_text().startswith(SUGGESTION)
        tag = page.locator(".bubble-in .badge-language").first
        assert tag.locator("[aria-hidden=true]").inner_text() == "ES" and tag.get_attribute("title") == "Spanish"
        check(page, f"60-language-suggestion-thread-{width}")
        page.goto(f"/clients/{bo}")
        assert page.locator(".language-suggestion").inner_text().startswith(SUGGESTION)
        check(page, f"61-language-suggestion-client-{width}")

    page.go_back()
    page.get_by_role("button", name="Switch to Spanish").click()
    page.wait_for_url(re.compile(r"/inbox/\d+$"))
    assert "Messages to Bo now go out in Spanish." in page.locator(".flash").inner_text()
    assert page.locator(".language-suggestion").count() == 0
    with Session(site.ctx.engine) as session:
        assert session.get(Client, bo).language == "es"
    screenshot(page, "62-language-switched")
