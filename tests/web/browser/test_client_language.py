"""In Chromium, at phone and laptop width: the front desk adds a client who reads Spanish, sees it on their page,
switches it back with the edit form, finds them by language in the client list, and reads each message's language
in the delivery log. Nothing scrolls sideways; screenshots go to var/screenshots/."""

from __future__ import annotations

import pytest
from outreach.models import utcnow
from tests.web.browser.conftest import screenshot
from tests.web.dashboard.test_log import add_message

pytestmark = pytest.mark.browser
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 900}}


def fits(page) -> bool:  # noqa: ANN001
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture(scope="module")
def spanish_text(site) -> int:
    """A text that went out to Bo in Spanish."""
    return add_message(site.ctx, site.clients["bo"], utcnow(), status="delivered", channel="sms", language="es")


@pytest.mark.parametrize("size", VIEWPORTS)
def test_the_desk_sets_a_clients_language_and_finds_it_in_the_list(site, size):
    page = site.signed_in("frontdesk", start="/clients/new", viewport=VIEWPORTS[size])
    language = page.get_by_label("Language of messages")
    assert language.input_value() == "en"
    assert [option.strip() for option in language.locator("option").all_inner_texts()] == ["English", "Spanish"]

    page.get_by_label("First name").fill(f"Lucía {size}")
    page.get_by_label("Mobile", exact=True).fill("612 555 0142")
    language.select_option(label="Spanish")
    page.get_by_role("button", name="Add client").click()
    page.wait_for_url("**/clients/*")
    contact = page.get_by_role("region", name="Contact")
    assert "Language\nSpanish" in contact.inner_text() or "Language Spanish" in contact.inner_text()
    assert fits(page)
    screenshot(page, f"27-client-language-{size}")

    page.get_by_text("Edit contact details").click()
    edit = page.locator("#details-language")
    assert edit.input_value() == "es"
    edit.select_option(label="English")
    page.get_by_role("button", name="Save details").click()
    page.get_by_text("Details saved.").wait_for()
    assert page.locator("#client-language").inner_text() == "English"

    page.goto("/clients")
    page.get_by_label("Language").select_option(label="English")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/clients?*language=en*")
    assert page.get_by_role("link", name=f"Lucía {size}").is_visible()
    page.get_by_label("Language").select_option(label="Spanish")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/clients?*language=es*")
    assert page.get_by_role("link", name=f"Lucía {size}").count() == 0
    assert fits(page)
    assert page.console_errors == []
    screenshot(page, f"27-clients-by-language-{size}")


@pytest.mark.parametrize("size", VIEWPORTS)
def test_the_log_shows_and_filters_by_the_language_each_message_went_out_in(site, spanish_text, size):
    page = site.signed_in("frontdesk", start="/", viewport=VIEWPORTS[size])
    row = page.locator(f'tr[data-message="{spanish_text}"]')
    assert row.locator('[data-label="Language"]').inner_text().strip() == "Spanish"

    page.get_by_label("Language").select_option(label="Spanish")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/?*language=es*")
    assert page.locator("tr[data-message]").count() == 1
    assert row.is_visible()
    assert fits(page)
    assert page.console_errors == []
    screenshot(page, f"27-log-language-{size}")
